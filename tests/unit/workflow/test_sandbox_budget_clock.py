"""The step budget's clocks, driven by hand.

A step's budget is processor time; the wall clock only paces how often the (costlier) processor clock is
read, and memory is sampled at most once per 5 ms of processor time, because every read of /proc releases
the GIL (workflow/sandbox.py explains the measurements). With both clocks and the memory reading replaced,
these tests put the budget exactly on each of its edges.
"""

import math

import pytest

from workflow import sandbox
from workflow.sandbox import MAX_STEP_MEMORY_GROWTH, ScriptBudgetExceeded, StepBudget, engine_step


class Clocks:
    def __init__(self):
        self.wall = 1000.0
        self.cpu = 10.0
        self.rss = 50 * 2**20
        self.gc = 0.0  # processor time spent in the garbage collector so far
        self.reads = {"wall": 0, "cpu": 0, "rss": 0}

    def monotonic(self):
        self.reads["wall"] += 1
        return self.wall

    def thread_time(self):
        self.reads["cpu"] += 1
        return self.cpu

    def rss_bytes(self):
        self.reads["rss"] += 1
        return self.rss


@pytest.fixture
def clocks(monkeypatch):
    clocks = Clocks()
    monkeypatch.setattr(sandbox, "monotonic", clocks.monotonic)
    monkeypatch.setattr(sandbox, "thread_time", clocks.thread_time)
    monkeypatch.setattr(sandbox, "_rss_bytes", clocks.rss_bytes)
    monkeypatch.setattr(sandbox, "_gc_seconds", lambda: clocks.gc)
    return clocks


TIME_OUT = (
    "Mã chạy quá thời gian cho phép (1,5 giây xử lý mỗi bước) nên đã bị dừng; "
    "hãy kiểm tra các vòng lặp trong mã"
)


def test_the_budget_ends_exactly_at_its_processor_time_and_stays_ended(clocks):
    budget = StepBudget(1.5)
    clocks.cpu += 1.4
    clocks.wall = budget.next_check  # the processor clock is read from this instant on
    budget.check()
    clocks.cpu = budget.cpu_deadline
    clocks.wall = budget.next_check
    with pytest.raises(ScriptBudgetExceeded) as stopped:
        budget.check()
    assert str(stopped.value) == TIME_OUT
    with pytest.raises(ScriptBudgetExceeded):  # and again, whatever the clocks say now
        budget.check()


def test_the_processor_clock_is_read_once_per_probe_interval_of_wall_time(clocks):
    budget = StepBudget(1)
    assert clocks.reads["cpu"] == 1
    for _ in range(100):
        budget.check()
    assert clocks.reads["cpu"] == 1
    clocks.wall += 0.005
    for _ in range(100):
        budget.check()
    assert clocks.reads["cpu"] == 2


def test_memory_is_sampled_once_per_probe_interval_of_processor_time(clocks):
    budget = StepBudget(1)
    clocks.wall += 0.005
    budget.check()  # the processor clock moved less than one interval: /proc is not read
    assert clocks.reads["rss"] == 0
    clocks.cpu = budget.next_probe_cpu
    clocks.wall += 0.005
    budget.check()
    assert clocks.reads["rss"] == 1
    clocks.wall += 0.005
    budget.check()
    assert clocks.reads["rss"] == 1


def test_memory_may_grow_by_the_limit_and_not_one_byte_more(clocks):
    budget = StepBudget(1)

    def sample():
        clocks.cpu = budget.next_probe_cpu
        clocks.wall += 0.005
        budget.check()

    sample()  # the baseline
    clocks.rss += MAX_STEP_MEMORY_GROWTH
    sample()
    clocks.rss += 1
    with pytest.raises(ScriptBudgetExceeded) as stopped:
        sample()
    assert str(stopped.value) == "Mã dùng quá nhiều bộ nhớ (hơn 256 MB trong một bước) nên đã bị dừng"
    assert clocks.reads["rss"] == 3


def test_the_check_compiled_into_scripts_fires_at_the_same_instant(clocks):
    environment = sandbox.make_script_engine().environment
    with engine_step(1) as step:
        clocks.cpu = step.budget.cpu_deadline
        clocks.wall = step.budget.next_check
        with pytest.raises(ScriptBudgetExceeded):
            environment.globals["_budget_"]()


@pytest.mark.parametrize("seconds", [0, -1, math.inf, True, "1"])
def test_a_budget_must_be_a_positive_number(seconds):
    with pytest.raises(ValueError, match=f"^budget_seconds must be a positive number, not {seconds!r}$"):
        StepBudget(seconds)


def test_time_in_the_garbage_collector_is_not_charged_to_the_step(clocks):
    # A full collection of a big heap can start inside any step; it is the interpreter's time.
    budget = StepBudget(1.0)
    clocks.cpu += 2.5
    clocks.gc += 2.0  # of which the collector took 2 s
    clocks.wall = budget.next_check
    budget.check()
    clocks.cpu += 0.6  # computing, past the budget
    clocks.wall = budget.next_check
    with pytest.raises(ScriptBudgetExceeded):
        budget.check()


def test_the_collectors_time_is_measured_per_thread_by_its_callbacks():
    import threading
    import time

    before = sandbox._gc_seconds()
    sandbox._count_gc_time("start", {})
    deadline = time.thread_time() + 0.02
    while time.thread_time() < deadline:
        pass
    sandbox._count_gc_time("stop", {})
    assert sandbox._gc_seconds() - before >= 0.02
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(sandbox._gc_seconds()))
    thread.start()
    thread.join()
    assert elsewhere[0] < 0.02, "another thread's collections are its own"
