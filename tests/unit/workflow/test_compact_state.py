"""A finished instance's state is stored deflated; it restores exactly as the JSON it came from."""

import json

import pytest

from tests.unit.workflow.test_runtime import (
    NOW,
    SELF_REPORT,
    START_DATA,
    complete,
    scoring,
    verification,
)
from workflow.serialization import COMPACT_PREFIX, compact_state, expand_state, is_compact


@pytest.fixture
def at_district(runtime, proc):
    started = runtime.start(proc, data=dict(START_DATA), now=NOW)
    at_commune = complete(runtime, proc, started, "self_report", SELF_REPORT)
    return complete(runtime, proc, at_commune, "commune_scoring", scoring(95))


def _finished(runtime, proc, at_district):
    at_city = complete(runtime, proc, at_district, "district_verification", verification("approve"))
    return complete(
        runtime, proc, at_city, "city_commendation", {"city_commendation": {"decision": "approve"}}
    )


def test_a_finished_instance_is_stored_compact_and_a_running_one_as_json(runtime, proc, at_district):
    assert not is_compact(at_district.state)
    json.loads(at_district.state)
    done = _finished(runtime, proc, at_district)
    assert done.completed and is_compact(done.state) and done.state.startswith(COMPACT_PREFIX)
    assert len(done.state) * 3 < len(expand_state(done.state))
    assert json.loads(expand_state(done.state))["spec_ref"] == proc.sha256


def test_compacting_is_lossless_and_idempotent(runtime, proc, at_district):
    plain = expand_state(_finished(runtime, proc, at_district).state)
    compact = compact_state(plain)
    assert compact_state(compact) == compact
    assert expand_state(compact) == plain
    assert expand_state(plain) == plain


def test_a_compact_state_restores_like_its_json(runtime, proc, at_district):
    done = _finished(runtime, proc, at_district)
    plain = expand_state(done.state)
    # Restoring either form gives the same finished instance (no timer left to fire).
    from_compact = runtime.fire_due_timers(proc, done.state, now=NOW)
    from_plain = runtime.fire_due_timers(proc, plain, now=NOW)
    assert from_compact.completed and from_plain.completed
    assert from_compact.end_state == from_plain.end_state == "recognized"
    assert expand_state(from_compact.state) == expand_state(from_plain.state)
    assert from_compact.data == from_plain.data == done.data
