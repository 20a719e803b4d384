import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from workflow import compile_procedure
from workflow.replay import ReplayStep, data_differences, replay

NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
START = {"subject_id": 7, "dossier_id": 42, "year": 2025}
SELF_REPORT = {"self_report": {"members": 4, "note": "ok"}, "self_score": 85, "self_score_passed": True}


def scoring(score, passed=True, decision="accept"):
    return {"commune_scoring": {"decision": decision, "note": "x"}, "score": score, "score_passed": passed}


def recorded(score=95, passed=True, district="approve"):
    """The submissions of a dossier that went household → commune → district → city."""
    return [
        ReplayStep("self_report", SELF_REPORT),
        ReplayStep("commune_scoring", scoring(score, passed)),
        ReplayStep("district_verification", {"district_verification": {"decision": district}}),
        ReplayStep(
            "city_commendation", {"city_commendation": {"decision": "approve", "decision_no": "12/QĐ"}}
        ),
    ]


@pytest.fixture(scope="module")
def stricter(package):
    """A candidate version whose decision table only recognises "đạt" from 80 points."""
    source = package.dmn["rating.dmn"].decode()
    cell = '<inputEntry id="rule_dat_score"><text>-</text></inputEntry>'
    assert cell in source
    stricter_dmn = source.replace(cell, '<inputEntry id="rule_dat_score"><text>&gt;= 80</text></inputEntry>')
    return compile_procedure(dataclasses.replace(package, dmn={"rating.dmn": stricter_dmn.encode()}))


def test_recorded_steps_reach_end_recognized(runtime, proc):
    outcome = replay(runtime, proc, start_data=START, steps=recorded(), now=NOW)
    assert outcome.status == "completed" and outcome.completed
    assert outcome.end_state == proc.end_states["end_recognized"] == "recognized"
    assert outcome.steps_applied == 4 and outcome.stopped_at is None and outcome.ready == []
    assert (outcome.data["rating"], outcome.data["recognized"]) == ("tot", True)
    assert outcome.data["city_commendation"] == {"decision": "approve", "decision_no": "12/QĐ"}
    assert outcome.as_dict()["end_state"] == "recognized"


def test_plain_tuples_are_accepted(runtime, proc):
    steps = [(s.bpmn_id, s.data) for s in recorded()]
    assert replay(runtime, proc, start_data=START, steps=steps, now=NOW).end_state == "recognized"


def test_different_variables_lead_to_another_end_state(runtime, proc):
    outcome = replay(runtime, proc, start_data=START, steps=recorded(passed=False), now=NOW)
    assert outcome.completed and outcome.end_state == "not_recognized"
    assert (outcome.data["rating"], outcome.data["recognized"]) == ("khong_dat", False)
    # The instance ended after commune scoring; the district and city submissions were left over.
    assert outcome.steps_applied == 2
    assert (outcome.stopped_at, outcome.stopped_step) == (2, "district_verification")


def test_a_stricter_candidate_changes_the_outcome_of_the_same_submissions(runtime, proc, stricter):
    steps = recorded(score=75)
    current = replay(runtime, proc, start_data=START, steps=steps, now=NOW)
    candidate = replay(runtime, stricter, start_data=START, steps=steps, now=NOW)
    assert current.end_state == "recognized"
    assert candidate.end_state == "not_recognized"
    assert data_differences(current.data, candidate.data, ["rating", "recognized", "score"]) == {
        "rating": ("dat", "khong_dat"),
        "recognized": (True, False),
    }
    # Above the new floor nothing changes.
    high = replay(runtime, stricter, start_data=START, steps=recorded(score=85), now=NOW)
    assert high.end_state == "recognized" and high.data["rating"] == "dat"


def test_diverging_replay_reports_where_and_what_was_ready(runtime, proc):
    steps = [recorded()[0], recorded()[2]]  # skips commune scoring
    outcome = replay(runtime, proc, start_data=START, steps=steps, now=NOW)
    assert outcome.status == "diverged" and outcome.diverged and not outcome.completed
    assert (outcome.stopped_at, outcome.stopped_step) == (1, "district_verification")
    assert outcome.ready == ["commune_scoring"] and outcome.steps_applied == 1
    assert outcome.end_state is None
    assert "district_verification" in outcome.error and "commune_scoring" in outcome.error
    assert outcome.data["self_score"] == 85


def test_steps_exhausted_before_the_end_is_waiting(runtime, proc):
    outcome = replay(runtime, proc, start_data=START, steps=recorded()[:2], now=NOW)
    assert outcome.status == "waiting" and not outcome.completed
    assert outcome.ready == ["district_verification"] and outcome.stopped_at is None
    assert outcome.data["rating"] == "tot"


def test_engine_error_on_recorded_data_is_reported(runtime, proc):
    broken = [recorded()[0], ReplayStep("commune_scoring", {"score": 95, "score_passed": True})]
    outcome = replay(runtime, proc, start_data=START, steps=broken, now=NOW)
    assert outcome.status == "failed" and (outcome.stopped_at, outcome.stopped_step) == (1, "commune_scoring")
    assert "commune_decision_gateway" in outcome.error
    assert outcome.ready == ["commune_scoring"]


class CountingRuntime:
    """Delegates to the real runtime and keeps what the timer checks returned."""

    def __init__(self, runtime):
        self._runtime = runtime
        self.fired = []

    def start(self, *args, **kwargs):
        return self._runtime.start(*args, **kwargs)

    def complete_task(self, *args, **kwargs):
        return self._runtime.complete_task(*args, **kwargs)

    def fire_due_timers(self, *args, **kwargs):
        result = self._runtime.fire_due_timers(*args, **kwargs)
        self.fired.append([n.kind for n in result.notices])
        return result


def test_recorded_times_fire_due_timers_on_the_way(runtime, proc):
    # The commune took 20 days: its 10-day reminder is due before the scoring is replayed.
    times = [NOW, NOW + timedelta(days=20), NOW + timedelta(days=21), NOW + timedelta(days=22)]
    timed = [ReplayStep(s.bpmn_id, s.data, at) for s, at in zip(recorded(), times, strict=True)]
    counting = CountingRuntime(runtime)
    outcome = replay(counting, proc, start_data=START, steps=timed, now=NOW)
    assert outcome.end_state == "recognized" and outcome.steps_applied == 4
    assert counting.fired == [["task_reminder"]]
    # Without recorded times every step runs at ``now`` and no timer is ever due.
    untimed = CountingRuntime(runtime)
    replay(untimed, proc, start_data=START, steps=recorded(), now=NOW)
    assert untimed.fired == []
