"""The edges of scoring and submission that mutation testing found untested.

A household is recognised with at least 80 of 100 points and at least half the points of every criterion
(criteria 1 and 2: 30 points, floor 15; criteria 3 and 4: 20 points, floor 10; every sub-item 0–10).
Each test sits on one edge — 0, the last failing and the first passing value, the maximum and one past
it — so that turning a ``<`` into ``<=``, an ``and`` into ``or`` or a 0 into a 1 changes an outcome.
"""

import dataclasses
import json

import pytest

from forms import MultiDict, formdata_from_json, score_submission, validate_submission

SCORES = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c4a", "c4b")
CRITERIA = {
    "c1": ("c1a", "c1b", "c1c"),
    "c2": ("c2a", "c2b", "c2c"),
    "c3": ("c3a", "c3b"),
    "c4": ("c4a", "c4b"),
}
FLOORS = {"c1": 15, "c2": 15, "c3": 10, "c4": 10}


def answers(default: int = 10, **points) -> dict:
    return {name: points.get(name, default) for name in SCORES}


def with_criterion(total: int, criterion: str, default: int = 10) -> dict:
    """Full marks except ``criterion``, which gets ``total`` points spread over its sub-items."""
    items = CRITERIA[criterion]
    spread = {name: total // len(items) for name in items}
    for name in items[: total % len(items)]:
        spread[name] += 1
    return answers(default, **spread)


# ------------------------------------------------------------------------------------------ zero


def test_all_zeros_is_a_score_of_zero_that_misses_everything(shipped):
    result = score_submission(shipped["commune_scoring"], answers(0))
    assert (result.total, result.max_total) == (0, 100)
    assert [c.points for c in result.criteria] == [0, 0, 0, 0]
    assert [c.met for c in result.criteria] == [False, False, False, False]
    assert not result.meets_pass_total and not result.floors_met and not result.passed
    assert len(result.shortfalls) == 5  # the total, then each criterion


def test_a_zero_among_full_marks_counts_as_zero_points(shipped):
    result = score_submission(shipped["commune_scoring"], answers(10, c1a=0))
    assert result.total == 90
    assert result.criteria[0].points == 20
    assert result.passed


@pytest.mark.parametrize("form", ["self_report", "commune_scoring"])
def test_zero_answers_a_required_score(shipped, form):
    # "0" is an answer, not an empty field: a household may honestly give itself no points.
    data = {"decision": "accept"} if form == "commune_scoring" else {}
    submitted = validate_submission(shipped[form], MultiDict({**data, **dict.fromkeys(SCORES, "0")}))
    assert submitted.valid, submitted.errors
    assert all(submitted.data[name] == 0 for name in SCORES)
    assert score_submission(shipped[form], submitted.data).total == 0


@pytest.mark.parametrize("zero", [0, 0.0, -0.0])
def test_zero_from_the_api_is_a_score(shipped, zero):
    formdata, errors = formdata_from_json(shipped["self_report"], answers(8, c1a=zero))
    assert errors == {}
    submitted = validate_submission(shipped["self_report"], formdata)
    assert submitted.valid, submitted.errors
    assert submitted.data["c1a"] == 0


# ------------------------------------------------------------------------------------------ the pass mark


@pytest.mark.parametrize(("total", "passes"), [(79, False), (80, True), (81, True)])
def test_pass_mark_is_80_inclusive(shipped, total, passes):
    # Every floor is met in all three, so only the total decides.
    points = answers(8, c1a=8 + total - 80)
    result = score_submission(shipped["self_report"], points)
    assert result.total == total
    assert result.floors_met
    assert result.meets_pass_total is passes
    assert result.passed is passes
    if passes:
        assert result.shortfalls == ()
    else:
        assert result.shortfalls == ("Tổng điểm 79/100, thấp hơn mức 80 điểm để được công nhận.",)


def test_pass_mark_is_reported_in_the_workflow_outputs(shipped):
    definition = shipped["commune_scoring"]
    assert score_submission(definition, answers(8, c1a=7)).outputs(definition) == {
        "score": 79,
        "score_passed": False,
    }
    assert score_submission(definition, answers(8)).outputs(definition) == {"score": 80, "score_passed": True}


# ------------------------------------------------------------------------------------------ criterion floors


@pytest.mark.parametrize("criterion", CRITERIA)
def test_a_criterion_floor_met_exactly_passes(shipped, criterion):
    floor = FLOORS[criterion]
    result = score_submission(shipped["commune_scoring"], with_criterion(floor, criterion))
    scored = {c.key: c for c in result.criteria}[criterion]
    assert (scored.points, scored.floor, scored.met) == (floor, floor, True)
    assert result.floors_met and result.passed
    assert result.shortfalls == ()


@pytest.mark.parametrize("criterion", CRITERIA)
def test_a_criterion_floor_missed_by_one_point_fails_despite_the_total(shipped, criterion):
    floor = FLOORS[criterion]
    result = score_submission(shipped["commune_scoring"], with_criterion(floor - 1, criterion))
    scored = {c.key: c for c in result.criteria}[criterion]
    assert (scored.points, scored.met) == (floor - 1, False)
    assert result.total >= 80 and result.meets_pass_total
    assert not result.floors_met
    assert not result.passed
    index = list(CRITERIA).index(criterion) + 1
    assert len(result.shortfalls) == 1
    assert result.shortfalls[0].startswith(f"Tiêu chí {index} (")
    assert f"đạt {floor - 1}/{scored.max_points} điểm" in result.shortfalls[0]


def test_every_floor_met_exactly_with_the_total_short(shipped):
    # Floors met (15+15+10+10 = 50) but the total is not: the two conditions are both required.
    points = {**with_criterion(15, "c1", 0), **dict(zip(CRITERIA["c2"], (5, 5, 5), strict=True))}
    points.update(c3a=5, c3b=5, c4a=5, c4b=5)
    result = score_submission(shipped["commune_scoring"], points)
    assert result.total == 50
    assert result.floors_met and not result.meets_pass_total and not result.passed


def test_floors_that_are_whole_numbers_stay_integers(shipped):
    # The score is stored as JSON with the dossier: "floor": 15, not 15.0.
    result = score_submission(shipped["commune_scoring"], answers(10))
    assert [type(c.floor) for c in result.criteria] == [int, int, int, int]
    assert '"floor": 15,' in json.dumps(result.as_dict())


# ------------------------------------------------------------------------------------------ max and min


def test_every_item_at_its_maximum_is_full_marks(shipped):
    result = score_submission(shipped["self_report"], answers(10))
    assert result.total == result.max_total == 100
    assert [c.points == c.max_points for c in result.criteria] == [True] * 4


@pytest.mark.parametrize(("value", "accepted"), [(-1, False), (0, True), (10, True), (11, False)])
def test_score_items_run_from_zero_to_ten(shipped, value, accepted):
    points = answers(8, c2b=value)
    if accepted:
        assert score_submission(shipped["self_report"], points).criteria[1].points == 16 + value
    else:
        with pytest.raises(ValueError, match="c2b"):
            score_submission(shipped["self_report"], points)


@pytest.mark.parametrize(
    ("typed", "clean"),
    [("-1", None), ("0", 0), (" 0 ", 0), ("10", 10), ("11", None), ("100", None), ("", None)],
)
def test_typed_scores_at_the_edges(shipped, typed, clean):
    submitted = validate_submission(
        shipped["self_report"], MultiDict({**dict.fromkeys(SCORES, "5"), "c4b": typed})
    )
    assert submitted.data["c4b"] == clean
    assert submitted.valid is (clean is not None)
    if clean is None:
        assert list(submitted.errors) == ["c4b"]


@pytest.mark.parametrize(
    ("sent", "clean"),
    [(-1, None), (0, 0), (10, 10), (10.0, 10), (11, None), (10.5, None), (10**20, None), (-(10**20), None)],
)
def test_scores_sent_as_json_numbers_at_the_edges(shipped, sent, clean):
    formdata, errors = formdata_from_json(
        shipped["commune_scoring"], {"decision": "accept", **answers(5, c3b=sent)}
    )
    assert errors == {}
    submitted = validate_submission(shipped["commune_scoring"], formdata)
    assert submitted.data["c3b"] == clean
    assert submitted.valid is (clean is not None)


@pytest.mark.parametrize("sent", [True, False, [5], {"value": 5}])
def test_non_numbers_are_not_scores(shipped, sent):
    formdata, errors = formdata_from_json(shipped["self_report"], answers(5, c1a=sent))
    assert list(errors) == ["c1a"]
    assert "c1a" not in formdata


# ------------------------------------------------------------------------------------------ what is totalled


def test_only_score_fields_are_totalled(shipped):
    # A commune submission carries a decision and a comment beside the scores; they are not points.
    definition = shipped["commune_scoring"]
    submitted = validate_submission(
        definition,
        MultiDict({"decision": "accept", "comment": "Đủ minh chứng", **dict.fromkeys(SCORES, "8")}),
    )
    assert submitted.valid
    assert submitted.data["comment"] == "Đủ minh chứng"
    assert score_submission(definition, submitted.data).total == 80


def test_a_form_without_scoring_has_no_outputs(shipped):
    result = score_submission(shipped["commune_scoring"], answers(10))
    assert result.outputs(shipped["district_verification"]) == {}


def test_a_score_result_cannot_be_altered_after_the_fact(shipped):
    result = score_submission(shipped["commune_scoring"], answers(7))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.passed = True
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.criteria[0].met = True


def test_a_validated_submission_cannot_be_made_valid_after_the_fact(shipped):
    submitted = validate_submission(shipped["self_report"], MultiDict({"c1a": "11"}))
    assert not submitted.valid
    with pytest.raises(dataclasses.FrozenInstanceError):
        submitted.valid = True
