import json

import pytest

from forms import CriterionScore, MultiDict, score_submission, validate_submission

SCORES = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c4a", "c4b")


def answers(default=9, **points):
    return {name: points.get(name, default) for name in SCORES}


def test_full_marks_pass(shipped):
    result = score_submission(shipped["commune_scoring"], answers(10))
    assert (result.total, result.max_total) == (100, 100)
    assert result.passed and result.meets_pass_total and result.floors_met
    assert result.shortfalls == ()
    assert result.criteria[0] == CriterionScore(
        key="c1", label="Học tập của trẻ em trong gia đình", points=30, max_points=30, floor=15, met=True
    )


def test_exactly_80_with_every_floor_met_passes(shipped):
    result = score_submission(shipped["self_report"], answers(8))
    assert result.total == 80
    assert result.passed


def test_total_below_pass_mark(shipped):
    result = score_submission(shipped["self_report"], answers(7, c1a=9, c1b=9))
    assert result.total == 74
    assert result.floors_met
    assert not result.meets_pass_total
    assert not result.passed
    assert result.shortfalls == ("Tổng điểm 74/100, thấp hơn mức 80 điểm để được công nhận.",)


def test_criterion_floor_fails_despite_high_total(shipped):
    result = score_submission(shipped["commune_scoring"], answers(10, c2a=4, c2b=4, c2c=4))
    assert result.total == 82
    assert result.meets_pass_total
    assert not result.floors_met
    assert not result.passed
    assert [c.met for c in result.criteria] == [True, False, True, True]
    assert result.shortfalls == (
        "Tiêu chí 2 (Học tập của người lớn trong gia đình) đạt 12/30 điểm, thấp hơn 50% điểm tối đa.",
    )


def test_floor_is_inclusive(shipped):
    result = score_submission(shipped["commune_scoring"], answers(10, c3a=5, c3b=5, c4a=5, c4b=5))
    assert [c.points for c in result.criteria] == [30, 30, 10, 10]
    assert result.floors_met
    assert result.passed


def test_both_shortfalls_in_english(shipped):
    result = score_submission(shipped["commune_scoring"], answers(5, c2a=2, c2b=2), locale="en")
    assert result.total == 44
    assert result.shortfalls == (
        "Total score 44/100 is below the 80 points required for recognition.",
        "Criterion 2 (Adults' learning in the family) scored 9/30, below 50% of its maximum.",
    )
    assert result.criteria[1].label == "Adults' learning in the family"


def test_missing_and_none_scores_count_as_zero(shipped):
    data = answers(10)
    data["c4a"] = None
    del data["c4b"]
    result = score_submission(shipped["commune_scoring"], data)
    assert result.total == 80
    assert result.criteria[3].points == 0
    assert not result.passed
    assert result.shortfalls == (
        "Tiêu chí 4 (Tác động của học tập) đạt 0/20 điểm, thấp hơn 50% điểm tối đa.",
    )


def test_as_dict_and_outputs(shipped):
    definition = shipped["commune_scoring"]
    result = score_submission(definition, answers(9, c1a=4))
    as_dict = result.as_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["total"] == 85
    assert as_dict["passed"] is True
    assert as_dict["criteria"][0] == {
        "key": "c1",
        "label": "Học tập của trẻ em trong gia đình",
        "points": 22,
        "max_points": 30,
        "floor": 15,
        "met": True,
    }
    assert as_dict["shortfalls"] == []
    assert result.outputs(definition) == {"score": 85, "score_passed": True}
    assert result.outputs(shipped["self_report"]) == {"self_score": 85, "self_score_passed": True}


def test_fractional_floor_and_ratio(make_form):
    definition = make_form(
        {"name": "a", "type": "score", "label": "A", "max_points": 5, "criterion": "c1"},
        scoring={
            "criteria": [{"key": "c1", "label": {"vi": "Một", "en": "One"}, "max_points": 5}],
            "pass_total": 0,
            "criterion_floor_ratio": 0.7,
        },
    )
    result = score_submission(definition, {"a": 3})
    assert result.criteria[0].floor == 3.5
    assert not result.passed
    assert result.shortfalls == ("Tiêu chí 1 (Một) đạt 3/5 điểm, thấp hơn 70% điểm tối đa.",)
    assert result.outputs(definition) == {}


def test_scores_from_a_validated_submission(shipped):
    definition = shipped["self_report"]
    submitted = validate_submission(definition, MultiDict({name: "8" for name in SCORES}))
    assert score_submission(definition, submitted.data).total == 80


@pytest.mark.parametrize("bad", [11, -1, "8", 7.5, True])
def test_rejects_unclean_scores(shipped, bad):
    with pytest.raises(ValueError, match="c1a"):
        score_submission(shipped["self_report"], answers(c1a=bad))


def test_form_without_scoring(shipped):
    with pytest.raises(ValueError, match="no scoring"):
        score_submission(shipped["district_verification"], {})
