"""``derived`` fields (forms/fields/derived.py): a value the application computes from the records below,
read-only on the form, scored by thresholds like a score field, and checked against the indicator kinds
the application registers."""

import subprocess
import sys
from pathlib import Path

import pytest

import forms.fields.derived as derived_module
from forms import (
    FormDefinitionError,
    MultiDict,
    definition_schema,
    formdata_from_json,
    load_form_definition,
    load_form_file,
    score_submission,
    validate_submission,
)
from forms.outcome import preview_outcome

ROOT = Path(__file__).resolve().parents[3]
SHARE = {
    "name": "share",
    "type": "derived",
    "indicator": "households_recognised",
    "label": {"vi": "Tỷ lệ hộ đạt Gia đình học tập", "en": "Share of learning families"},
    "params": {"title": "gia_dinh_hoc_tap"},
    "max_points": 20,
    "criterion": "c3",
    "points": [{"min": 60, "points": 15}, {"min": 70, "points": 20}, {"min": 50, "points": 10}],
}
OTHER = {"name": "other", "type": "score", "label": "Nội dung khác", "max_points": 20, "criterion": "c3"}
SCORING = {"criteria": [{"key": "c3", "label": "Kết quả học tập", "max_points": 40}], "pass_total": 30}


@pytest.fixture
def known_kinds(monkeypatch):
    """The kinds the application registers (app/indicators), as the app would have them."""
    monkeypatch.setattr(
        derived_module,
        "_INDICATOR_KINDS",
        {"households_recognised", "clan_families_recognised", "staff_citizens_recognised"},
    )


@pytest.fixture
def form(make_form, known_kinds):
    return make_form(SHARE, OTHER, scoring=SCORING)


def problems(raw) -> list[str]:
    with pytest.raises(FormDefinitionError) as caught:
        load_form_definition(raw)
    return caught.value.errors


@pytest.mark.parametrize(
    ("value", "points"),
    [(None, 0), (0.0, 0), (49.9, 0), (50.0, 10), (59.9, 10), (60.0, 15), (69.9, 15), (70.0, 20), (100.0, 20)],
)
def test_scores_by_the_highest_threshold_reached(form, value, points):
    result = score_submission(form, {"share": value, "other": 10})
    assert result.total == points + 10
    item = next(item for item in result.items if item.name == "share")
    assert (item.points, item.max_points) == (points, 20)


def test_the_value_comes_in_with_the_submission_and_is_never_required(form):
    checked = validate_submission(form, MultiDict({"share": "66.7", "other": "10"}))
    assert checked.valid and checked.data["share"] == 66.7
    # No value (nothing to count) is no error: it earns no points.
    empty = validate_submission(form, MultiDict({"other": "10"}))
    assert empty.valid and empty.data["share"] is None
    # Nonsense the application would never send is no value either, not an error nobody could fix.
    assert validate_submission(form, MultiDict({"share": "nhiều", "other": "1"})).data["share"] is None


def test_a_json_client_cannot_set_it(form):
    formdata, errors = formdata_from_json(form, {"share": 100, "other": 10})
    assert errors == {} and "share" not in formdata
    assert validate_submission(form, formdata).data["share"] is None


def test_the_outcome_preview_scores_it_like_the_submission(form):
    preview = preview_outcome(form, MultiDict({"share": "72.5", "other": "10"}))
    assert preview.score.total == 30 and preview.score.passed


def test_shown_as_a_percentage(form):
    field = form.field("share")
    assert field.display(35.5, "vi") == "35,5%" and field.display(35.5, "en") == "35.5%"
    assert field.display(60.0, "vi") == "60,0%"
    assert field.display(None) == ""


def test_the_api_describes_its_indicator_and_thresholds(form):
    api = form.field("share").to_api("vi")
    assert api["type"] == "derived" and api["indicator"] == "households_recognised"
    assert api["params"] == {"title": "gia_dinh_hoc_tap"}
    assert api["points"] == [{"min": 70, "points": 20}, {"min": 60, "points": 15}, {"min": 50, "points": 10}]
    assert api["max_points"] == 20 and api["criterion"] == "c3"


def test_counts_towards_the_criterion_sum(make_form, known_kinds):
    errors = problems({"key": "s", "title": "T", "fields": [SHARE], "scoring": {**SCORING, "pass_total": 10}})
    assert errors == [
        "scoring.criteria[0].max_points: 40 khác tổng max_points của các trường score thuộc "
        'tiêu chí "c3" (20).'
    ]


def test_shown_without_points_when_it_has_no_criterion(make_form, known_kinds):
    plain = {key: SHARE[key] for key in ("name", "type", "indicator", "label")}
    scoring = {"criteria": [{**SCORING["criteria"][0], "max_points": 20}], "pass_total": 10}
    definition = make_form(plain, OTHER, scoring=scoring)
    assert score_submission(definition, {"share": 90.0, "other": 20}).total == 20


def test_an_unknown_indicator_is_refused_naming_the_field(known_kinds):
    errors = problems(
        {"key": "s", "title": "T", "fields": [{**SHARE, "indicator": "ho_ngheo"}], "scoring": SCORING}
    )
    assert errors[0] == (
        'fields[0].indicator: trường "share" dùng chỉ số "ho_ngheo" không có trong hệ thống; các chỉ số có: '
        "clan_families_recognised, households_recognised, staff_citizens_recognised."
    )


def test_without_registered_kinds_the_indicator_name_is_not_checked(make_form, monkeypatch):
    monkeypatch.setattr(derived_module, "_INDICATOR_KINDS", None)
    plain = {key: SHARE[key] for key in ("name", "type", "label")} | {"indicator": "bat_ky"}
    assert make_form(plain).field("share").options["indicator"] == "bat_ky"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"points": [{"min": 70, "points": 25}]},
            "fields[0].points[0].points: ngưỡng 1 cho 25 điểm, nhiều hơn max_points (20).",
        ),
        (
            {"points": [{"min": 70, "points": 20}, {"min": 70, "points": 10}]},
            "fields[0].points: hai ngưỡng trùng mức tỷ lệ (min).",
        ),
        (
            {"points": [{"min": 170, "points": 20}]},
            'fields[0].points[0]: phải là đối tượng {"min": <tỷ lệ 0–100>, '
            '"points": <số điểm nguyên không âm>}.',
        ),
        ({"required": True}, 'fields[0].required: khóa không được hỗ trợ cho trường kiểu "derived".'),
        ({"prefill": "a.b"}, 'fields[0].prefill: khóa không được hỗ trợ cho trường kiểu "derived".'),
    ],
)
def test_definition_mistakes_are_reported(known_kinds, change, expected):
    errors = problems({"key": "s", "title": "T", "fields": [{**SHARE, **change}], "scoring": SCORING})
    assert expected in errors, errors


def test_scored_keys_come_together(known_kinds):
    field = {key: value for key, value in SHARE.items() if key != "points"}
    errors = problems({"key": "s", "title": "T", "fields": [field], "scoring": SCORING})
    assert any(error.startswith("fields[0]") and "points" in error for error in errors), errors


def test_the_published_schema_has_the_type():
    schema = definition_schema()
    assert "derived" in schema["$defs"]["field_type"]["enum"]
    shape = schema["$defs"]["field_derived"]
    assert shape["required"] == ["name", "type", "label", "indicator"]
    assert {"indicator", "params", "points", "max_points", "criterion"} <= set(shape["properties"])
    assert "prefill" not in shape["properties"] and "required" not in shape["properties"]


def test_the_village_procedures_form_loads(known_kinds):
    definition = load_form_file(
        ROOT / "bpmn" / "cong_dong_hoc_tap_thon" / "forms" / "cong_dong_hoc_tap_thon.json"
    )
    share = definition.field("c3_households")
    assert share.type == "derived" and share.options["indicator"] == "households_recognised"
    full = {"c1a": 20, "c2a": 20, "c3b": 20, "c4a": 20}
    assert score_submission(definition, {**full, "c3_households": 80.0}).total == 100
    assert score_submission(definition, {**full, "c3_households": 65.0}).total == 95
    assert score_submission(definition, {**full, "c3_households": None}).total == 80


def test_the_forms_package_still_needs_no_flask():
    code = "import forms, sys; assert not any(m == 'flask' or m.startswith('app') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
