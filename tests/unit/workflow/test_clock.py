import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module

from workflow import engine_clock
from workflow.clock import business_date, current_time

FIXED = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_timer_module_sees_the_injected_time_only_inside_the_context():
    with engine_clock(FIXED):
        assert timer_module.datetime.now(UTC) == FIXED
        assert current_time() == FIXED
    assert abs(timer_module.datetime.now(UTC) - datetime.now(UTC)) < timedelta(seconds=5)


def test_non_utc_input_is_normalised_and_naive_is_refused():
    with engine_clock(datetime(2030, 1, 2, 10, 4, 5, tzinfo=timezone(timedelta(hours=7)))):
        assert timer_module.datetime.now(UTC) == FIXED
        assert current_time().tzinfo == UTC
    with pytest.raises(ValueError), engine_clock(datetime(2030, 1, 1)):  # noqa: DTZ001
        pass


def test_business_date_is_vietnam_local():
    with engine_clock(datetime(2025, 3, 1, 18, 0, tzinfo=UTC)):
        assert business_date().isoformat() == "2025-03-02"


def test_two_threads_keep_their_own_clocks():
    barrier = threading.Barrier(2)
    seen = {}

    def worker(offset_days):
        moment = FIXED + timedelta(days=offset_days)
        with engine_clock(moment):
            barrier.wait()
            values = {timer_module.datetime.now(UTC) for _ in range(2000)}
            barrier.wait()
        seen[offset_days] = values

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {0: {FIXED}, 9: {FIXED + timedelta(days=9)}}
