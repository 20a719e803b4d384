"""Scripts cannot hang the system: code in a procedure is stopped within the step's budget.

The procedures here are the shipped one with one piece of code replaced (the reminder script, the
commune gateway's condition, the reminder timer, a DMN cell), so they pass the deploy-time checks exactly
as an uploaded package would.
"""

import dataclasses
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

import pytest

from workflow import WorkflowRuntime, WorkflowStepError, compile_check, compile_procedure, sandbox
from workflow.sandbox import ScriptBudgetExceeded, engine_step, make_script_engine

BUDGET = 0.2
# Functional bound, not a benchmark: stopped well before anyone would notice a hang.
# Generous: the bound proves the step was stopped (else it would never end), not how fast this machine is.
SLACK = 2.0
NOW = datetime(2025, 3, 3, 1, 30, tzinfo=UTC)
AFTER_REMINDER = NOW + timedelta(days=11)
START_DATA = {"commune_reminder_days": 10, "subject_id": 7, "dossier_id": 42, "year": 2025}
SELF_REPORT = {"self_report": {"members": 4, "note": "ok"}, "self_score": 85, "self_score_passed": True}

REMINDER = 'notify("task_reminder", task="commune_scoring")'
COMMUNE_RETURN = 'commune_scoring["decision"] == "return_to_household"'
TIMER = '"P" + str(commune_reminder_days) + "D"'
DMN_CELL = '<inputEntry id="rule_tot_score"><text>&gt;= 90</text></inputEntry>'
# Endless in a single expression: iterating a list while the iteration appends to it.
ENDLESS_EXPRESSION = "any(L.append(x) for L in [[1]] for x in L)"
# 2**60 calls through lambdas: no loop anywhere, recursion depth only 60.
EXPONENTIAL_LAMBDAS = "(lambda f: f(f, 60))(lambda g, n: n == 0 or (g(g, n - 1) and g(g, n - 1)))"


def scoring(decision="accept", score=95):
    return {"commune_scoring": {"decision": decision, "note": "x"}, "score": score, "score_passed": True}


def replaced(package, filename, old, new):
    kind = "dmn" if filename.endswith(".dmn") else "bpmn"
    files = dict(getattr(package, kind))
    source = files[filename].decode()
    assert old in source, old
    files[filename] = source.replace(old, new).encode()
    return compile_procedure(dataclasses.replace(package, **{kind: files}))


def with_reminder_script(package, script):
    return replaced(package, "process.bpmn", REMINDER, escape(script))


def with_commune_condition(package, condition):
    return replaced(package, "process.bpmn", escape(COMMUNE_RETURN), escape(condition))


@pytest.fixture(scope="module")
def runtime():
    return WorkflowRuntime(step_budget_seconds=BUDGET)


# Ordinary steps that only bring a dossier to the point under test run under the default budget: the
# budget is wall-clock time, and on a loaded two-core CI machine an ordinary step once took over 0.2 s.
SETUP = WorkflowRuntime()


def at_commune(proc):
    started = SETUP.start(proc, data=dict(START_DATA), now=NOW)
    return SETUP.complete_task(
        proc, started.state, started.ready_tasks[0].id, SELF_REPORT, actor="u", now=NOW
    )


def stopped(call, element, budget=BUDGET):
    """Run ``call``; it must fail as a WorkflowStepError naming ``element``, within the budget.

    The budget is the thread's processor time, so that is what is measured: wall time on a loaded
    machine includes waiting for a core, which the budget rightly does not charge."""
    started = time.thread_time()
    with pytest.raises(WorkflowStepError) as info:
        call()
    elapsed = time.thread_time() - started
    assert elapsed < budget + SLACK, elapsed
    assert f"'{element}'" in str(info.value)
    assert isinstance(info.value.__cause__, ScriptBudgetExceeded)
    return str(info.value), elapsed


def fire_reminder(runtime, proc):
    state = at_commune(proc).state
    return lambda: runtime.fire_due_timers(proc, state, now=AFTER_REMINDER)


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    "script",
    [
        "while True: pass",
        "L = [1]\nfor x in L:\n    L.append(x)",
        "def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(60)",
        "x = sorted(range(10), key=lambda k: " + EXPONENTIAL_LAMBDAS + ")",
        "x = [y for y in " + ENDLESS_EXPRESSION.removeprefix("any") + "]",
    ],
    ids=["while", "for-over-growing-list", "exponential-recursion", "lambda-key", "comprehension"],
)
def test_endless_script_task_is_stopped_within_the_budget(runtime, package, script):
    proc = with_reminder_script(package, script)
    message, _ = stopped(fire_reminder(runtime, proc), "send_commune_reminder")
    assert "quá thời gian" in message and "0,2 giây" in message


@pytest.mark.parametrize(
    "script",
    [
        "try:\n    while True: pass\nexcept Exception:\n    pass\nnotify('task_reminder')",
        "try:\n    while True: pass\nexcept:\n    pass\nnotify('task_reminder')",
        # Swallow, then carry on looping: every later check fails again (expiry is sticky).
        "for i in range(999):\n    try:\n        while True: pass\n    except:\n        continue",
        # Replace the budget error with an ordinary one and catch that.
        "try:\n    try:\n        while True: pass\n    finally:\n        raise ValueError('x')\n"
        "except Exception:\n    pass",
        "try:\n    while True: pass\nexcept BaseException:\n    pass",
    ],
    ids=["except-Exception", "bare-except", "bare-except-in-loop", "finally-raise", "except-BaseException"],
)
def test_scripts_cannot_swallow_the_budget(runtime, package, script):
    proc = with_reminder_script(package, script)
    stopped(fire_reminder(runtime, proc), "send_commune_reminder")


@pytest.mark.parametrize("condition", [ENDLESS_EXPRESSION, EXPONENTIAL_LAMBDAS], ids=["growing", "lambdas"])
def test_endless_gateway_condition_is_stopped(runtime, package, condition):
    proc = with_commune_condition(package, condition)
    state = at_commune(proc)
    task_id = state.ready_tasks[0].id
    stopped(
        lambda: runtime.complete_task(proc, state.state, task_id, scoring(), actor="u", now=NOW),
        "commune_decision_gateway",
    )


def test_endless_timer_expression_is_stopped(runtime, package):
    proc = replaced(package, "process.bpmn", escape(TIMER), escape(f'"P" + str({ENDLESS_EXPRESSION}) + "D"'))
    started = runtime.start(proc, data=dict(START_DATA), now=NOW)
    task_id = started.ready_tasks[0].id
    stopped(
        lambda: runtime.complete_task(proc, started.state, task_id, SELF_REPORT, actor="u", now=NOW),
        "commune_reminder_timer",
    )


def test_endless_dmn_cell_is_stopped(runtime, package):
    cell = DMN_CELL.replace("&gt;= 90", escape(ENDLESS_EXPRESSION))
    proc = replaced(package, "rating.dmn", DMN_CELL, cell)
    state = at_commune(proc)
    task_id = state.ready_tasks[0].id
    stopped(
        lambda: runtime.complete_task(proc, state.state, task_id, scoring(), actor="u", now=NOW),
        "rate_dossier",
    )


# --------------------------------------------------------------------------- size


@pytest.mark.parametrize(
    ("script", "what"),
    [
        ("x = 'a' * 10**10", "kết quả quá lớn"),
        ("x = [0] * 10**9", "kết quả quá lớn"),
        ("x = 2 ** 10**8", "số nguyên quá lớn"),
        ("x = 1 << 10**9", "số nguyên quá lớn"),
        ("s = 'ab'\ns *= 10**9", "kết quả quá lớn"),
        ("x = f'{1:>1000000000}'", "kết quả quá lớn"),
        ("x = '%1000000000d' % 1", "kết quả quá lớn"),
        ("x = '%*d' % (10**9, 1)", "kết quả quá lớn"),
        ("x = ','.join(['a' * 1000] * 2000)", "kết quả quá lớn"),
        ("x = ('a' * 1000).replace('a', 'b' * 2000)", "kết quả quá lớn"),
        ("x = 'a'.rjust(10**10)", "kết quả quá lớn"),
        ("x = round(5, -10**9)", "số nguyên quá lớn"),
        ("x = (0).to_bytes(10**9, 'big')", "kết quả quá lớn"),
        # The same methods reached through their type.
        ("x = str.rjust('a', 10**10)", "kết quả quá lớn"),
        ("x = str.join(',', ['a' * 1000] * 2000)", "kết quả quá lớn"),
    ],
)
def test_huge_values_are_refused_before_they_are_built(package, script, what):
    # A long budget, so only the size check can stop these, even on a loaded machine.
    runtime = WorkflowRuntime(step_budget_seconds=5.0)
    proc = with_reminder_script(package, script)
    message, _elapsed = stopped(fire_reminder(runtime, proc), "send_commune_reminder")
    # Refused by the size check itself (its own message), not by running into the deadline.
    assert what in message


@pytest.mark.parametrize(
    "script",
    [
        "s = 'a'\nwhile True:\n    s = s + s",
        "s = 'a'\nwhile True:\n    s += s",
        "L = [0]\nwhile True:\n    L.extend(L)",
        "L = [0]\nwhile True:\n    list.extend(L, L)",
        "L = [0]\nwhile True:\n    L = L * 2",
        "x = sum([[0] * 1000] * 5000, [])",
    ],
)
def test_growth_in_a_loop_is_stopped(runtime, package, script):
    proc = with_reminder_script(package, script)
    stopped(fire_reminder(runtime, proc), "send_commune_reminder")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="memory sampling needs /proc")
def test_fresh_allocations_in_a_loop_hit_the_memory_limit(runtime, package, monkeypatch):
    # Each 1 MB string is within the size limit; only the step's total growth gives the loop away.
    monkeypatch.setattr(sandbox, "MAX_STEP_MEMORY_GROWTH", 64 * 2**20)
    proc = with_reminder_script(package, "a = []\nwhile True:\n    a.append('x' * 1000000)")
    message, _ = stopped(fire_reminder(runtime, proc), "send_commune_reminder")
    assert "bộ nhớ" in message


# --------------------------------------------------------------------------- normal operation


def test_the_shipped_procedure_runs_unaffected_under_the_default_budget(proc):
    runtime = WorkflowRuntime()
    result = at_commune(proc)
    result = runtime.fire_due_timers(proc, result.state, now=AFTER_REMINDER)
    assert [n.kind for n in result.notices] == ["task_reminder"]
    data = {
        "commune_scoring": scoring(),
        "district_verification": {"district_verification": {"decision": "approve"}},
        "city_commendation": {"city_commendation": {"decision": "approve"}},
    }
    while result.ready_tasks:
        task = result.ready_tasks[0]
        result = runtime.complete_task(
            proc, result.state, task.id, data[task.bpmn_id], actor="u", now=AFTER_REMINDER
        )
    assert result.completed and result.end_state == "recognized"
    assert result.data["rating"] == "tot"


def test_the_budget_resets_for_the_next_step(package):
    # The default budget: the ordinary step after each stopped one must fit it even on a loaded machine.
    runtime = WorkflowRuntime()
    loop_on_demand = f'{COMMUNE_RETURN} or (commune_scoring["decision"] == "loop" and {ENDLESS_EXPRESSION})'
    proc = with_commune_condition(package, loop_on_demand)
    before = at_commune(proc)
    task_id = before.ready_tasks[0].id
    for _ in range(2):
        stopped(
            lambda: runtime.complete_task(proc, before.state, task_id, scoring("loop"), actor="u", now=NOW),
            "commune_decision_gateway",
            budget=sandbox.DEFAULT_STEP_BUDGET_SECONDS,
        )
        # The caller still has its old state, and the same runtime runs the next step normally.
        after = runtime.complete_task(proc, before.state, task_id, scoring(), actor="u", now=NOW)
        assert [t.bpmn_id for t in after.ready_tasks] == ["district_verification"]


def test_other_requests_keep_being_served_while_a_step_loops(package, proc):
    # A long budget: the point is that other steps finish while one loops, not how fast it is stopped,
    # and on a loaded two-core machine a short budget could end the loop before the other step is done.
    runtime = WorkflowRuntime(step_budget_seconds=3.0)
    looping = with_reminder_script(package, "while True: pass")
    fire = fire_reminder(runtime, looping)
    outcome = {}

    def run_looping_step():
        try:
            fire()
        except WorkflowStepError as exc:
            outcome["looping"] = (time.monotonic(), exc)

    thread = threading.Thread(target=run_looping_step)
    thread.start()
    try:
        served = at_commune(proc)
        outcome["served"] = time.monotonic()
    finally:
        thread.join()
    assert served.ready_tasks[0].bpmn_id == "commune_scoring"
    assert outcome["served"] < outcome["looping"][0]


@pytest.mark.parametrize("budget", [0, -1, float("inf"), float("nan"), "1", True])
def test_an_invalid_budget_is_refused_at_construction(budget):
    with pytest.raises(ValueError):
        WorkflowRuntime(step_budget_seconds=budget)


# --------------------------------------------------------------------------- sandbox level


def test_scripts_cannot_reach_the_guards():
    for source in ("_budget_()", "_add_(1, 2)", "_mul_('a', 10**10)"):
        assert compile_check(source, "eval")


def test_guarded_operations_keep_their_python_meaning():
    environment = make_script_engine().environment
    script = "\n".join(
        [
            "a = [1]",
            "alias = a",
            "a += [2]",  # in place, as in Python: the alias sees it
            "b = [1, 2] + [3]",
            "c = 'ab' * 3 + 'c'",
            "d = 2 ** 10 + (1 << 3) + 7 % 3 + 2.5 * 2",
            "e = '%05.1f|%s' % (2.5, 'x') + f'{3.14159:.2f}|{name!r:>8}|{7:03d}'",
            "f = sum([[1], [2]], []) + [sum(x * x for x in range(4))]",
            "g = round(2.567, 2), round(1234, -2)",
            "h = '-'.join(['a', 'b']) + 'aXb'.replace('X', '--') + 'a'.center(5, '.') + '7'.zfill(3)",
            "i = [x for x in [3, 1, 2] if x > 1]",
            "j = sorted(['bb', 'a', 'ccc'], key=lambda s: -len(s))",
            "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
            "k = fib(15)",
            "try:\n    l = 1 // 0\nexcept ZeroDivisionError:\n    l = 'caught'",
            "n = 0\nwhile n < 50:\n    n += 1",
            "m = [0]\nm.extend([1, 2])",
            "o = str.join('-', ['a', 'b']) + str.upper('a') + str.rjust('a', 3)",
            "p = (258).to_bytes(2, 'big')",
        ]
    )
    context = {"name": "An"}
    with engine_step(BUDGET):
        environment.execute(script, context)
    assert context["alias"] == [1, 2]
    assert context["b"] == [1, 2, 3]
    assert context["c"] == "abababc"
    assert context["d"] == 1024 + 8 + 1 + 5.0
    assert context["e"] == "002.5|x3.14|    'An'|007"
    assert context["f"] == [1, 2, 14]
    assert context["g"] == (2.57, 1200)
    assert context["h"] == "a-ba--b..a..007"
    assert context["i"] == [3, 2]
    assert context["j"] == ["ccc", "bb", "a"]
    assert context["k"] == 610
    assert context["l"] == "caught"
    assert context["n"] == 50
    assert context["m"] == [0, 1, 2]
    assert context["o"] == "a-bA  a"
    assert context["p"] == b"\x01\x02"


def test_code_run_outside_an_engine_step_gets_a_budget_of_its_own(monkeypatch):
    monkeypatch.setattr(sandbox, "DEFAULT_STEP_BUDGET_SECONDS", BUDGET)
    environment = make_script_engine().environment
    assert environment.evaluate("1 + 1", {}) == 2
    started = time.thread_time()
    with pytest.raises(ScriptBudgetExceeded):
        environment.execute("while True: pass", {})
    assert time.thread_time() - started < BUDGET + SLACK
    # Each call has its own budget; the next one is not charged for the last.
    assert environment.evaluate("sum(range(10))", {}) == 45


def test_waiting_is_not_charged_to_the_budget_only_computing_is():
    # A loaded server stretches a step's wall time (waiting for the processor or the GIL) without the
    # step computing more; only processor time counts, so such a step is not stopped.
    environment = make_script_engine().environment
    with engine_step(BUDGET):
        time.sleep(BUDGET * 2)
        assert environment.evaluate("sum(range(10))", {}) == 45
        with pytest.raises(ScriptBudgetExceeded):
            environment.execute("while True: pass", {})
        # Spent is spent: the rest of the step stays stopped.
        with pytest.raises(ScriptBudgetExceeded):
            environment.evaluate("1 + 1", {})
