from datetime import UTC, datetime

import pytest

from workflow import compile_check, engine_clock, make_script_engine
from workflow.sandbox import engine_step, notify

HOSTILE = [
    "__import__('os')",
    "().__class__.__base__.__subclasses__()",
    "open('/etc/hostname').read()",
    "getattr(x, '__globals__')",
    "eval('1')",
    "x.__globals__",
]


@pytest.fixture
def environment():
    return make_script_engine().environment


@pytest.mark.parametrize("source", HOSTILE)
@pytest.mark.parametrize("mode", ["exec", "eval"])
def test_hostile_code_fails_the_static_check(source, mode):
    assert compile_check(source, mode)


@pytest.mark.parametrize("source", ["import os", "from os import system", "import os as o\no.getcwd()"])
def test_imports_fail_the_static_check(source):
    assert any("import" in e for e in compile_check(source, "exec"))


def test_syntax_errors_are_reported():
    assert compile_check("x ==", "eval")
    assert compile_check("if x\n  y = 1", "exec")


@pytest.mark.parametrize("source", [*HOSTILE, "import os", "os.system('echo PWNED')"])
def test_hostile_code_is_refused_at_run_time(environment, source):
    context = {"x": (lambda: None), "os": None}
    with pytest.raises(Exception):  # noqa: B017 - refusal may be a compile refusal or a NameError
        environment.execute(source, context)
    if "\n" not in source and not source.startswith("import"):
        with pytest.raises(Exception):  # noqa: B017
            environment.evaluate(source, dict(context))


def test_useful_python_still_works(environment):
    context = {"scores": {"a": 30, "b": 25, "c": 40}, "floors": {"a": 10, "b": 10, "c": 10}}
    script = "\n".join(
        [
            "total = sum(scores.values())",
            "total += 0",
            "ok = all(scores[k] >= floors[k] for k in sorted(floors))",
            "best = max(scores, key=lambda k: scores[k])",
            "pairs = [f'{i}:{k}' for i, k in enumerate(sorted(scores))]",
            "avg = round(total / len(scores), 1)",
            "copy = dict(scores)",
            "copy['d'] = int('5') + min(list(range(3)))",
            "a, b = 1, 2",
        ]
    )
    environment.execute(script, context)
    assert context["total"] == 95
    assert context["ok"] is True
    assert context["best"] == "c"
    assert context["pairs"] == ["0:a", "1:b", "2:c"]
    assert context["avg"] == 31.7
    assert context["copy"]["d"] == 5
    assert "notify" not in context and "_getattr_" not in context
    assert environment.evaluate("total >= 90 and ok", context) is True


def test_task_data_cannot_shadow_guards(environment):
    with pytest.raises(Exception):  # noqa: B017
        environment.evaluate("x.__class__", {"x": 1, "_getattr_": getattr})


def test_notify_requires_a_running_step():
    with pytest.raises(RuntimeError):
        notify("task_reminder")
    with engine_step() as step:
        notify("task_reminder", task="t")
    assert [(n.kind, n.params) for n in step.notices] == [("task_reminder", {"task": "t"})]


def test_today_follows_the_injected_clock(environment):
    context = {}
    with engine_clock(datetime(2025, 12, 31, 17, 30, tzinfo=UTC)):
        environment.execute("d = today()", context)
    assert context["d"] == "2026-01-01"
