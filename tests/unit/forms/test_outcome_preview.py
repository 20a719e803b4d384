"""forms.outcome: the verdict of the values entered on a step, rule by rule, before they are submitted.

The preview must say what the submission path (validate_submission, then the score the step records)
says, for every scoring rule the shipped forms use: threshold totals, criterion floors (a share of the
maximum or absolute), item floors, knock-outs, bands and levels.
"""

import random
from pathlib import Path

import pytest

from forms import MultiDict, load_form_definition, load_form_file, score_submission, validate_submission
from forms.model import LEVELS
from forms.outcome import preview_outcome, scored_data

ROOT = Path(__file__).resolve().parents[3]
PATHS = sorted((ROOT / "criteria").glob("*.json")) + sorted((ROOT / "bpmn").glob("*/forms/*.json"))

# The one rule no shipped form uses: a criterion's own absolute floor.
ABSOLUTE_FLOOR = {
    "key": "absolute_floor",
    "title": "Sàn tuyệt đối",
    "fields": [
        {"name": "a1", "type": "score", "label": "Nội dung 1", "max_points": 10, "criterion": "c1"},
        {
            "name": "a2",
            "type": "score",
            "label": "Nội dung 2",
            "max_points": 10,
            "criterion": "c1",
            "floor": 3,
        },
        {"name": "b1", "type": "score", "label": "Nội dung 3", "max_points": 10, "criterion": "c2"},
    ],
    "scoring": {
        "criteria": [
            {"key": "c1", "label": "Tiêu chí một", "max_points": 20, "floor": 12},
            {"key": "c2", "label": "Tiêu chí hai", "max_points": 10},
        ],
        "rule": {"kind": "threshold", "pass_total": 20, "criterion_floor_ratio": 0.5},
    },
}


def scored_forms():
    forms = [load_form_file(path) for path in PATHS]
    return [form for form in forms if form.scoring is not None] + [load_form_definition(ABSOLUTE_FLOOR)]


FORMS = scored_forms()


def generated_input(form, rng: random.Random) -> MultiDict:
    """Input strings as a page posts them, from all best answers to all random ones (so that inputs
    pass and fail), now and then an empty or invalid one."""
    generosity = rng.random()
    best_level = form.scoring.grades[-1].code if form.scoring.kind == LEVELS else None
    formdata = MultiDict()
    for field in form.value_fields:
        best = rng.random() < generosity
        if field.type == "score":
            value = str(field.max_points if best else rng.randint(0, field.max_points))
            if rng.random() < 0.03:
                value = rng.choice(["", "7.5", "-1", str(field.max_points + 1), "bảy"])
        elif field.type == "choice":
            choices = field.choice_values
            value = (
                best_level
                if best and best_level in choices
                else rng.choice([*choices, *choices, "", "khong_co"])
            )
        elif field.type == "yesno":
            value = "no" if best else rng.choice(["yes", "no", ""])
        elif field.type == "derived":
            # The application passes the computed share in under the field's name.
            value = "100" if best else str(rng.randint(0, 1000) / 10)
        else:
            continue
        if value:
            formdata.add(field.name, value)
    return formdata


@pytest.mark.parametrize("form", FORMS, ids=[f"{form.key}-{form.sha256[:6]}" for form in FORMS])
@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_preview_says_what_the_submission_path_records_on_every_rule(form, locale):
    rng = random.Random(f"{form.key}-{locale}")
    verdicts = set()
    for _ in range(150):
        formdata = generated_input(form, rng)
        preview = preview_outcome(form, formdata, locale=locale)
        checked = validate_submission(form, formdata, locale=locale)
        _kept, recorded = scored_data(form, checked.data, locale=locale)
        assert preview.data == checked.data and preview.errors == checked.errors
        if recorded is not None:
            assert preview.counted and preview.score == recorded
        else:
            assert not preview.counted and preview.score == score_submission(
                form, checked.data, locale=locale
            )
        score = preview.score
        unmet = [check for check in preview.checks if not check.met]
        # Every rule is listed, and the verdict is the conjunction of the rules.
        assert (not unmet) == score.passed, (formdata, preview)
        knockouts = len(form.scoring.knockouts)
        assert sum(not check.met for check in preview.checks[:knockouts]) == len(score.knockouts)
        if form.scoring.kind == LEVELS:
            # A check per criterion: all its indicators at the first level.
            assert [check.met for check in preview.checks[knockouts:]] == [c.met for c in score.criteria]
        else:
            # One shortfall sentence (what the applicant reads) per failing rule.
            assert len(unmet) == len(score.shortfalls), (formdata, preview)
        verdicts.add(score.passed)
    assert verdicts == {True, False}, "the generated inputs pass and fail"


def commune_form():
    return load_form_file(ROOT / "bpmn" / "gia_dinh_hoc_tap" / "forms" / "commune_scoring.json")


def commune_input(**scores) -> dict:
    values = {"c1a": 10, "c1b": 10, "c1c": 8, "c2a": 4, "c2b": 5, "c2c": 5, "c3a": 10, "c3b": 10}
    values |= {"c4a": 10, "c4b": 10, **scores}
    return {"decision": "accept", **{name: str(value) for name, value in values.items()}}


def test_82_points_with_a_criterion_under_half_fails_on_that_criterion_alone():
    preview = preview_outcome(commune_form(), commune_input())
    assert preview.valid and preview.settled and preview.counted
    assert preview.score.total == 82 and not preview.score.passed
    assert [(check.text, check.met) for check in preview.checks] == [
        ("Tổng điểm: 82/100 (cần từ 80)", True),
        ("Tiêu chí 1 (Học tập của trẻ em trong gia đình): 28/30 điểm (tối thiểu 15)", True),
        ("Tiêu chí 2 (Học tập của người lớn trong gia đình): 14/30 điểm (tối thiểu 15)", False),
        ("Tiêu chí 3 (Điều kiện học tập của gia đình): 20/20 điểm (tối thiểu 10)", True),
        ("Tiêu chí 4 (Tác động của học tập): 20/20 điểm (tối thiểu 10)", True),
    ]
    assert preview.score.shortfalls == (
        "Tiêu chí 2 (Học tập của người lớn trong gia đình) đạt 14/30 điểm, thấp hơn 50% điểm tối đa.",
    )
    english = preview_outcome(commune_form(), commune_input(c2a=2), locale="en")
    assert [(check.text, check.met) for check in english.checks[:3]] == [
        ("Total: 80/100 (needs 80)", True),
        ("Criterion 1 (Children's learning in the family): 28/30 points (minimum 15)", True),
        ("Criterion 2 (Adults' learning in the family): 12/30 points (minimum 15)", False),
    ]


def test_a_total_under_the_pass_mark_and_knock_outs_are_their_own_rules():
    form = load_form_file(ROOT / "criteria" / "gia_dinh_hoc_tap.json")
    values = {field.name: str(field.max_points) for field in form.value_fields if field.type == "score"}
    values["c1a"] = "0"
    values["member_broke_law"] = "yes"
    preview = preview_outcome(form, values)
    unmet = [check.text for check in preview.checks if not check.met]
    assert unmet[:2] == [
        f"Mục loại trừ: {form.field('c1a').label()}",
        f"Mục loại trừ: {form.field('member_broke_law').label()}",
    ]
    assert len(unmet) == len(preview.score.shortfalls)


def test_an_item_floor_is_checked_with_the_item_named():
    form = load_form_definition(ABSOLUTE_FLOOR)
    preview = preview_outcome(form, {"a1": "10", "a2": "2", "b1": "10"})
    assert [(check.text, check.met) for check in preview.checks] == [
        ("Tổng điểm: 22/30 (cần từ 20)", True),
        ("Tiêu chí 1 (Tiêu chí một): 12/20 điểm (tối thiểu 12)", True),
        ("Tiêu chí 2 (Tiêu chí hai): 10/10 điểm (tối thiểu 5)", True),
        ("“Nội dung 2”: 2/10 điểm (tối thiểu 3)", False),
    ]


def test_a_return_records_no_score_but_the_official_still_sees_what_the_scores_amount_to():
    values = commune_input()
    values["decision"] = "return_to_household"
    values["comment"] = "Bổ sung minh chứng"
    preview = preview_outcome(commune_form(), values)
    assert preview.valid and preview.settled and not preview.counted
    assert preview.score.total == 82
    kept, recorded = scored_data(commune_form(), preview.data)
    assert recorded is None and kept["c1a"] is None


def test_an_invalid_score_or_an_unanswered_decision_leaves_the_outcome_unsettled():
    assert not preview_outcome(commune_form(), commune_input(c2a="7.5")).settled
    values = commune_input()
    del values["decision"]
    assert not preview_outcome(commune_form(), values).settled
    # A note that is too long is no answer a procedure branches on: the outcome stands.
    values = commune_input()
    values["comment"] = "x" * 2001
    preview = preview_outcome(commune_form(), values)
    assert "comment" in preview.errors and preview.settled
