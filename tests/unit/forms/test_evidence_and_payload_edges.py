"""When a criterion needs evidence, and how JSON payloads and stored values become form input.

A criterion with ``evidence_required`` needs a file as soon as the submission claims it: one point is a
claim, a level reached is a claim, a score the step does not ask for (the commune returns the dossier) is
not. The payload helpers must read every key of a payload or of stored data, whatever comes before it.
"""

import pytest

from forms import MultiDict, formdata_from_json, input_values, load_form_definition, validate_submission


def bilingual(vi: str, en: str) -> dict:
    return {"vi": vi, "en": en}


def score(name: str, criterion: str, **extra) -> dict:
    return {
        "name": name,
        "type": "score",
        "label": name,
        "max_points": 10,
        "criterion": criterion,
        "required_if": {"field": "decision", "in": ["accept"]},
        **extra,
    }


# The first criterion needs no evidence, the second does; scores are asked for only when accepting.
COMMUNE = load_form_definition(
    {
        "key": "commune",
        "title": "Chấm điểm",
        "fields": [
            {
                "name": "decision",
                "type": "choice",
                "label": "Kết quả",
                "required": True,
                "choices": [{"value": "accept", "label": "Chấm"}, {"value": "return", "label": "Trả lại"}],
            },
            score("a1", "k1"),
            score("b1", "k2"),
            {"name": "k2_files", "type": "file", "label": "Minh chứng", "criterion": "k2"},
        ],
        "scoring": {
            "criteria": [
                {"key": "k1", "label": bilingual("Trẻ em", "Children"), "max_points": 10},
                {
                    "key": "k2",
                    "label": bilingual("Người lớn", "Adults"),
                    "max_points": 10,
                    "evidence_required": True,
                },
            ],
            "rule": {"kind": "threshold", "pass_total": 0},
        },
    }
)
EVIDENCE_MISSING = {
    "vi": "Tiêu chí 2 (Người lớn) có điểm nên cần ít nhất một minh chứng.",
    "en": "Criterion 2 (Adults) is scored, so it needs at least one piece of evidence.",
}


def submit(definition, locale="vi", **posted):
    return validate_submission(definition, MultiDict(posted), evidence_ids={7}, locale=locale)


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_one_point_on_a_later_criterion_needs_evidence(locale):
    submitted = submit(COMMUNE, locale, decision="accept", a1="5", b1="1")
    assert submitted.errors == {"k2_files": [EVIDENCE_MISSING[locale]]}


def test_evidence_attached_to_a_claimed_criterion_is_enough():
    assert submit(COMMUNE, decision="accept", a1="5", b1="1", k2_files="7").valid


def test_evidence_without_points_is_accepted():
    submitted = submit(COMMUNE, decision="accept", a1="5", b1="0", k2_files="7")
    assert submitted.valid, submitted.errors


def test_points_the_step_does_not_ask_for_claim_nothing():
    # Returning the dossier: the scores are not required, so leftover points need no evidence.
    submitted = submit(COMMUNE, decision="return", b1="5")
    assert submitted.valid, submitted.errors
    assert submitted.data["b1"] == 5


LEVEL_CHOICES = [{"value": "muc_1", "label": "Mức 1"}, {"value": "chua_dat", "label": "Chưa đạt"}]
SCHOOL = load_form_definition(
    {
        "key": "school",
        "title": "Tự đánh giá",
        "fields": [
            {
                "name": "i1",
                "type": "choice",
                "label": "Chỉ tiêu",
                "choices": LEVEL_CHOICES,
                "criterion": "k1",
            },
            {"name": "k1_files", "type": "file", "label": "Minh chứng", "criterion": "k1"},
        ],
        "scoring": {
            "criteria": [{"key": "k1", "label": "Tổ chức", "evidence_required": True}],
            "rule": {"kind": "levels", "levels": [{"code": "muc_1", "label": "Mức độ 1"}]},
        },
    }
)


@pytest.mark.parametrize(("answer", "claims"), [("muc_1", True), ("chua_dat", False)])
def test_a_level_reached_needs_evidence_under_the_levels_rule(answer, claims):
    submitted = submit(SCHOOL, i1=answer)
    expected = (
        {"k1_files": ["Tiêu chí 1 (Tổ chức) có điểm nên cần ít nhất một minh chứng."]} if claims else {}
    )
    assert submitted.errors == expected
    assert submit(SCHOOL, i1=answer, k1_files="7").valid


def test_under_a_points_rule_an_answer_spelling_a_band_code_claims_nothing():
    # Band codes are ratings of the total, not answers: only points claim a criterion here.
    bands = load_form_definition(
        {
            "key": "bands",
            "title": "Xếp loại",
            "fields": [
                {"name": "s1", "type": "score", "label": "Điểm", "max_points": 10, "criterion": "k"},
                {
                    "name": "note",
                    "type": "choice",
                    "label": "Tự xếp loại",
                    "criterion": "k",
                    "choices": [{"value": "tot", "label": "Tốt"}, {"value": "kha", "label": "Khá"}],
                },
                {"name": "k_files", "type": "file", "label": "Minh chứng", "criterion": "k"},
            ],
            "scoring": {
                "criteria": [{"key": "k", "label": "K", "max_points": 10, "evidence_required": True}],
                "rule": {
                    "kind": "bands",
                    "bands": [{"code": "tot", "label": "Tốt", "min_total": 5}],
                    "pass_from": "tot",
                },
            },
        }
    )
    submitted = submit(bands, s1="0", note="tot")
    assert submitted.valid, submitted.errors
    assert submit(bands, s1="1", note="tot").errors == {
        "k_files": ["Tiêu chí 1 (K) có điểm nên cần ít nhất một minh chứng."]
    }


# ------------------------------------------------------------------------------ JSON payloads


def test_a_null_value_is_skipped_and_the_keys_after_it_still_read():
    formdata, errors = formdata_from_json(COMMUNE, {"a1": None, "b1": 5, "decision": "accept"})
    assert errors == {}
    assert dict(formdata.lists()) == {"b1": ["5"], "decision": ["accept"]}


def test_unknown_keys_pass_through_as_sent_for_validation_to_report():
    formdata, errors = formdata_from_json(COMMUNE, {"extra": [1, 2], "other": "x", "b1": 5})
    assert errors == {}
    assert formdata.getlist("extra") == ["1", "2"]
    assert formdata.getlist("other") == ["x"]
    assert formdata.getlist("b1") == ["5"]


@pytest.mark.parametrize(
    ("locale", "text"),
    [("vi", "Dữ liệu gửi lên phải là một đối tượng JSON."), ("en", "The payload must be a JSON object.")],
)
def test_a_payload_that_is_not_an_object_is_refused_in_the_readers_language(locale, text):
    formdata, errors = formdata_from_json(COMMUNE, [1, 2], locale=locale)
    assert errors == {"_payload": [text]}
    assert list(formdata.keys()) == []


@pytest.mark.parametrize("first", [None, "not a score"])
def test_stored_values_after_an_empty_or_stale_one_are_still_shown(first):
    # A stale value (an older form's answer of another type) is left out, not the fields after it.
    values = input_values(COMMUNE, {"decision": "accept", "a1": first, "b1": 4})
    assert dict(values.lists()) == {"decision": ["accept"], "b1": ["4"]}
