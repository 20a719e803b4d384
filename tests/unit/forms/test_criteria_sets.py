"""The shipped criteria sets (criteria/*.json, domain.md §5): they load, follow the JSON Schema,
carry their legal basis and reconstruction marks, and score full marks and failing submissions.
"""

import datetime
import json
from pathlib import Path

import jsonschema
import pytest

from forms import (
    MultiDict,
    formdata_from_json,
    load_form_definition,
    load_form_file,
    score_submission,
    validate_submission,
)

ROOT = Path(__file__).resolve().parents[3]
CRITERIA_DIR = ROOT / "criteria"
SCHEMA_FILE = ROOT / "forms" / "schema" / "form-definition.schema.json"

CDHT = (
    "cong_dan_hoc_tap_nguoi_dan",
    "cong_dan_hoc_tap_nguoi_lao_dong",
    "cong_dan_hoc_tap_can_bo_doanh_nhan",
    "cong_dan_hoc_tap_hoc_sinh_sinh_vien",
)
GDHT = "gia_dinh_hoc_tap"
TT22 = "don_vi_hoc_tap_tt22_2020"
LEVEL_FORMS = ("don_vi_hoc_tap_tt24_2023", "cong_dong_hoc_tap_xa_tt25_2023")

# Form key → (rule kind, documents cited, criteria marked reconstructed: [R]/[U] in domain.md §5).
EXPECTED = {
    **{key: ("threshold", {"324/QĐ-KHVN", "677/QĐ-TTg"}, {"c1", "c2", "c3"}) for key in CDHT},
    GDHT: ("threshold", {"448/QĐ-KHVN", "281/QĐ-TTg", "387/QĐ-TTg"}, {"c2", "c3", "c4"}),
    "dong_ho_hoc_tap": (
        "threshold",
        {"448/QĐ-KHVN", "281/QĐ-TTg", "387/QĐ-TTg", "677/QĐ-TTg"},
        {"c1", "c2", "c3", "c4"},
    ),
    "cong_dong_hoc_tap_thon": (
        "threshold",
        {"448/QĐ-KHVN", "281/QĐ-TTg", "387/QĐ-TTg", "677/QĐ-TTg"},
        {"c1", "c2", "c3", "c4"},
    ),
    TT22: ("bands", {"22/2020/TT-BGDĐT"}, {"c3"}),
    "don_vi_hoc_tap_tt24_2023": (
        "levels",
        {"24/2023/TT-BGDĐT", "324/QĐ-KHVN", "4740/QĐ-BGDĐT"},
        {"c1", "c2"},
    ),
    "cong_dong_hoc_tap_xa_tt25_2023": ("levels", {"25/2023/TT-BGDĐT"}, {"c3", "c4", "c5"}),
}

PATHS = sorted(CRITERIA_DIR.glob("*.json"))


def raw(key):
    return json.loads((CRITERIA_DIR / f"{key}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def forms():
    return {path.stem: load_form_file(path) for path in PATHS}


def full_marks(definition, evidence=(1,)):
    """Every score at its maximum, every indicator at Mức độ 2, no knock-out answer, evidence attached."""
    data = {}
    for field in definition.value_fields:
        if field.type == "score":
            data[field.name] = field.max_points
        elif field.type == "choice" and field.criterion:
            data[field.name] = "muc_2"
        elif field.type == "yesno":
            data[field.name] = False
        elif field.type == "file":
            data[field.name] = list(evidence)
    return data


def score_names(definition):
    return [field.name for field in definition.value_fields if field.type == "score"]


def lower(data, definition, by):
    """``data`` with ``by`` points taken off, from the last score field backwards."""
    data = dict(data)
    for name in reversed(score_names(definition)):
        step = min(by, data[name])
        data[name] -= step
        by -= step
        if not by:
            return data
    raise AssertionError("not enough points to take off")


def test_the_ten_shipped_sets_are_there():
    assert {path.stem for path in PATHS} == set(EXPECTED)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_loads_and_follows_the_json_schema(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [error.message for error in validator.iter_errors(doc)] == []
    definition = load_form_definition(doc)
    assert definition.key == path.stem
    assert definition.scoring.kind == EXPECTED[path.stem][0]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_field_names_are_stable_identifiers(key, forms):
    for field in forms[key].fields:
        assert field.name.isidentifier() and field.name == field.name.lower(), field.name


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_texts_in_vietnamese_and_english(key):
    doc = raw(key)
    labels = [doc["title"], doc["description"]]
    labels += [field["label"] for field in doc["fields"]]
    labels += [field["help"] for field in doc["fields"] if "help" in field]
    labels += [choice["label"] for field in doc["fields"] for choice in field.get("choices", ())]
    labels += [criterion["label"] for criterion in doc["scoring"]["criteria"]]
    labels += [knockout["message"] for knockout in doc["scoring"].get("knockouts", ())]
    for label in labels:
        assert set(label) == {"vi", "en"} and all(text.strip() for text in label.values()), label


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_legal_basis_on_the_form_and_in_the_api(key, forms):
    definition = forms[key]
    documents = definition.legal_basis
    assert {document["number"] for document in documents} == EXPECTED[key][1]
    for document in documents:
        assert document["issuer"] and document["title"]
        if "date" in document:
            datetime.date.fromisoformat(document["date"])
    for locale in ("vi", "en"):
        api = definition.to_api(locale)
        assert api["legal_basis"] == [dict(document) for document in documents]
    # The description names the main document too, for readers of the form itself.
    main = documents[0]["number"]
    assert main in definition.description("vi") and main in definition.description("en")


def test_an_uncertain_date_is_stated_not_invented():
    qd_448 = next(document for document in raw(GDHT)["legal_basis"] if document["number"] == "448/QĐ-KHVN")
    assert "date" not in qd_448
    assert "01/12/2015" in qd_448["title"] and "10/11/2015" in qd_448["title"]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_reconstructed_criteria_are_marked_and_explained(key, forms):
    criteria = forms[key].scoring.criteria
    assert {criterion.key for criterion in criteria if criterion.reconstructed} == EXPECTED[key][2]
    assert "xây dựng lại" in forms[key].description("vi")
    assert "reconstruction" in forms[key].description("en")


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_criterion_has_an_evidence_field(key, forms):
    definition = forms[key]
    for criterion in definition.scoring.criteria:
        files = [f for f in definition.fields if f.type == "file" and f.criterion == criterion.key]
        assert files, criterion.key


# -- points: threshold and bands --------------------------------------------------------------


POINT_FORMS = sorted(key for key, (kind, _, _) in EXPECTED.items() if kind != "levels")


@pytest.mark.parametrize("key", POINT_FORMS)
def test_full_marks_pass_with_the_top_outcome(key, forms):
    definition = forms[key]
    result = score_submission(definition, full_marks(definition))
    assert (result.total, result.max_total) == (100, 100)
    assert result.passed and result.shortfalls == ()
    assert result.rating == ("tot" if key == TT22 else "dat")


@pytest.mark.parametrize("key", POINT_FORMS)
def test_a_total_below_the_mark_fails(key, forms):
    definition = forms[key]
    mark = 50 if key == TT22 else 80
    data = lower(full_marks(definition), definition, 100 - mark + 1)
    for locale, sentence in (
        ("vi", f"Tổng điểm {mark - 1}/100, thấp hơn mức {mark} điểm để được công nhận."),
        ("en", None),
    ):
        result = score_submission(definition, data, locale=locale)
        assert result.total == mark - 1
        assert not result.passed
        assert result.rating == "khong_dat"
        if sentence:
            assert sentence in result.shortfalls
        else:
            assert any(f"{mark - 1}/100" in text for text in result.shortfalls)


@pytest.mark.parametrize("key", CDHT)
def test_cdht_80_with_every_indicator_at_5_or_more_passes(key, forms):
    definition = forms[key]
    data = {name: 8 for name in score_names(definition)}
    assert score_submission(definition, data).passed
    data = {**data, "i1": 5, "i2": 5, "i3": 10, "i4": 10, "i5": 10}
    result = score_submission(definition, data)
    assert (result.total, result.passed) == (80, True)
    result = score_submission(definition, {**data, "i10": 7})
    assert (result.total, result.passed) == (79, False)


@pytest.mark.parametrize("key", CDHT)
def test_cdht_an_indicator_below_5_fails_a_high_total(key, forms):
    definition = forms[key]
    data = {**full_marks(definition), "i7": 4}
    result = score_submission(definition, data)
    assert result.total == 94
    assert not result.passed
    label = definition.field("i7").label("vi")
    assert result.shortfalls == (f"Nội dung “{label}” đạt 4/10 điểm, thấp hơn mức tối thiểu 5 điểm.",)


@pytest.mark.parametrize("key", CDHT)
def test_cdht_four_plus_four_plus_two_indicators_of_ten_points(key, forms):
    definition = forms[key]
    assert [c.max_points for c in definition.scoring.criteria] == [40, 40, 20]
    scores = [definition.field(name) for name in score_names(definition)]
    assert [f.name for f in scores] == [f"i{n}" for n in range(1, 11)]
    assert {(f.max_points, f.options["floor"]) for f in scores} == {(10, 5)}
    assert [sum(f.criterion == c for f in scores) for c in ("c1", "c2", "c3")] == [4, 4, 2]


@pytest.mark.parametrize("key", CDHT)
def test_cdht_points_need_evidence(key, forms):
    definition = forms[key]
    payload = {name: value for name, value in full_marks(definition).items() if "evidence" not in name}
    formdata, type_errors = formdata_from_json(definition, payload)
    result = validate_submission(definition, formdata, evidence_ids={1})
    assert type_errors == {} and not result.valid
    assert set(result.errors) == {"evidence_c1", "evidence_c2", "evidence_c3"}
    formdata, _ = formdata_from_json(definition, full_marks(definition))
    assert validate_submission(definition, formdata, evidence_ids={1}).valid


def test_gdht_is_pass_or_fail_with_a_floor_of_half_per_criterion(forms):
    definition = forms[GDHT]
    doc = raw(GDHT)
    assert doc["scoring"]["rule"] == {"kind": "threshold", "pass_total": 80, "criterion_floor_ratio": 0.5}
    assert "90" not in json.dumps(doc["scoring"])
    data = {**full_marks(definition), "c2a": 10, "c2b": 4, "c2c": 0}
    result = score_submission(definition, data)
    assert result.total == 84 and not result.passed
    assert result.shortfalls == (
        "Tiêu chí 2 (Học tập của người lớn trong gia đình) đạt 14/30 điểm, thấp hơn 50% điểm tối đa.",
    )


def test_gdht_a_school_age_child_out_of_school_fails_whatever_the_total(forms):
    definition = forms[GDHT]
    data = {**full_marks(definition), "c1a": 0}
    result = score_submission(definition, data)
    assert result.total == 90 and result.meets_pass_total and result.floors_met
    assert not result.passed
    assert [hit.field for hit in result.knockouts] == ["c1a"]
    assert result.shortfalls == (
        "Có trẻ em trong độ tuổi đi học không đến trường (nội dung 1a: 0 điểm): "
        "gia đình không được công nhận.",
    )


def test_gdht_a_member_who_broke_the_law_fails_100_points(forms):
    definition = forms[GDHT]
    data = {**full_marks(definition), "member_broke_law": True}
    result = score_submission(definition, data, locale="en")
    assert result.total == 100
    assert not result.passed and result.rating == "khong_dat"
    assert result.shortfalls == (
        "A member of the family broke the law during the year: the family is not recognised.",
    )
    # Through the form: the yes/no answer arrives as "yes".
    formdata = MultiDict({**{k: str(v) for k, v in data.items() if k in score_names(definition)}})
    formdata.add("member_broke_law", "yes")
    submitted = validate_submission(definition, formdata)
    assert submitted.valid, submitted.errors
    assert not score_submission(definition, submitted.data).passed


def test_tt22_bands_at_their_edges(forms):
    definition = forms[TT22]
    full = full_marks(definition)
    cases = {
        85: ("tot", True),
        84: ("kha", True),
        70: ("kha", True),
        69: ("trung_binh", True),
        50: ("trung_binh", True),
        49: ("khong_dat", False),
    }
    for total, (rating, passed) in cases.items():
        result = score_submission(definition, lower(full, definition, 100 - total))
        assert (result.total, result.rating, result.passed) == (total, rating, passed)
    assert score_submission(definition, lower(full, definition, 15)).rating_label == "Tốt"


# -- levels: Thông tư 24/2023 and 25/2023 -----------------------------------------------------


def indicators(definition):
    return [field for field in definition.value_fields if field.type == "choice" and field.criterion]


@pytest.mark.parametrize("key", LEVEL_FORMS)
def test_levels_all_at_level_2(key, forms):
    definition = forms[key]
    result = score_submission(definition, full_marks(definition))
    assert result.passed and result.rating == "muc_2" and result.shortfalls == ()
    assert result.outputs(definition) == {"level_passed": True, "level": "muc_2"}


@pytest.mark.parametrize("key", LEVEL_FORMS)
def test_levels_one_indicator_at_level_1_gives_level_1(key, forms):
    definition = forms[key]
    last = indicators(definition)[-1].name
    result = score_submission(definition, {**full_marks(definition), last: "muc_1"})
    assert result.passed and result.rating == "muc_1"
    english = score_submission(definition, {**full_marks(definition), last: "muc_1"}, locale="en")
    assert english.rating_label == "Level 1"


@pytest.mark.parametrize("key", LEVEL_FORMS)
def test_levels_one_indicator_not_met_fails(key, forms):
    definition = forms[key]
    first = indicators(definition)[0]
    result = score_submission(definition, {**full_marks(definition), first.name: "chua_dat"})
    assert not result.passed and result.rating == "chua_dat"
    criterion = definition.scoring.criterion(first.criterion).label("vi")
    assert result.shortfalls == (
        f"Tiêu chí 1 ({criterion}): chỉ tiêu “{first.label('vi')}” chưa đạt Mức độ 1.",
    )


@pytest.mark.parametrize("key", LEVEL_FORMS)
def test_levels_an_unanswered_indicator_fails(key, forms):
    definition = forms[key]
    data = full_marks(definition)
    del data[indicators(definition)[-1].name]
    assert not score_submission(definition, data).passed


def test_tt25_has_five_criteria_and_tt24_three(forms):
    assert [c.key for c in forms["cong_dong_hoc_tap_xa_tt25_2023"].scoring.criteria] == [
        "c1",
        "c2",
        "c3",
        "c4",
        "c5",
    ]
    assert [c.key for c in forms["don_vi_hoc_tap_tt24_2023"].scoring.criteria] == ["c1", "c2", "c3"]
