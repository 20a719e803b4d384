"""One test per guard of the script sandbox (workflow/sandbox.py), each failing when its guard is removed
or loosened.

test_sandbox.py checks that hostile code is refused at all; these tests pin down *which* guard refuses it,
so that swapping a guard for the plain builtin, dropping an entry from a table or reordering a scope
cannot pass unnoticed. Every script here is one an uploaded BPMN or DMN could carry.
"""

import copy
import dataclasses
from datetime import UTC, datetime

import pytest

from workflow import ProcedureError, WorkflowStepError, compile_check, compile_procedure, make_script_engine
from workflow.sandbox import engine_step, notify, today

FORBIDDEN_BUILTINS = (
    "open",
    "eval",
    "exec",
    "compile",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "dir",
    "breakpoint",
    "input",
    "help",
    "memoryview",
)


@pytest.fixture
def environment():
    return make_script_engine().environment


def execute(environment, script: str, **data) -> dict:
    context = dict(data)
    environment.execute(script, context)
    return context


# ------------------------------------------------------------------------------ the attribute guard

# str.format and format_map read attributes inside the format string, where the compile-time check on
# underscore names cannot see them; only the attribute guard (RestrictedPython's safer_getattr) stops
# them. With the plain getattr as guard these return "<class 'int'>", a step from __subclasses__().
FORMAT_ESCAPES = [
    "'{0.__class__}'.format(x)",
    "'{0.__class__.__base__.__subclasses__}'.format(x)",
    "'{a.__class__}'.format_map({'a': x})",
    "str.format('{0.__class__}', x)",
    "'{0.real}'.format(x)",
]


@pytest.mark.parametrize("source", FORMAT_ESCAPES)
def test_format_strings_cannot_walk_attributes_in_an_expression(environment, source):
    try:
        leaked = environment.evaluate(source, {"x": 1})
    except Exception:  # noqa: BLE001 - any refusal will do; the point is that nothing comes back
        return
    pytest.fail(f"{source} returned {leaked!r}")


@pytest.mark.parametrize("source", FORMAT_ESCAPES)
def test_format_strings_cannot_walk_attributes_in_a_script(environment, source):
    context = {"x": 1}
    with pytest.raises(Exception):  # noqa: B017 - the refusal type is the guard's business
        environment.execute(f"leaked = {source}", context)
    assert "leaked" not in context


def test_ordinary_attribute_reads_pass_the_guard(environment):
    # The guard refuses only the dangerous reads: scripts use methods of data all the time.
    assert environment.evaluate("x.real + len(d.keys())", {"x": 3, "d": {"a": 1}}) == 4


# ------------------------------------------------------------------------------ the write guard


@pytest.mark.parametrize(
    "script",
    ["notify.kind = 'x'", "today.cache = {}", "del notify.kind", "f = notify\nf.kind = 'x'"],
)
def test_scripts_cannot_set_attributes_on_the_helpers(environment, script):
    # Without the write guard (_write_) these would change the helper functions shared by every
    # dossier of every procedure in the process.
    with pytest.raises(Exception):  # noqa: B017
        execute(environment, script)
    assert not hasattr(notify, "kind")
    assert not hasattr(today, "cache")


def test_scripts_still_write_into_their_own_data(environment):
    context = execute(environment, "d['k'] = 1\nitems.append(2)\nitems[0] = 0", d={}, items=[1])
    assert context["d"] == {"k": 1}
    assert context["items"] == [0, 2]


# ------------------------------------------------------------------- task data versus helpers and guards


@pytest.mark.parametrize("name", ["notify", "today"])
def test_task_data_named_like_a_helper_is_refused_not_silently_replaced(environment, name):
    context = {name: "giá trị của hồ sơ", "x": 1}
    with pytest.raises(ValueError, match=name):
        environment.execute("y = x", context)
    assert context[name] == "giá trị của hồ sơ"


@pytest.mark.parametrize("name", ["notify", "today"])
def test_procedure_data_named_like_a_helper_is_refused_at_start(runtime, proc, name):
    with pytest.raises(WorkflowStepError, match=name):
        runtime.start(proc, data={name: 1}, now=datetime(2026, 3, 1, tzinfo=UTC))


def test_a_script_that_rebinds_a_helper_leaves_no_trace(environment):
    context = execute(environment, "notify = None\ntoday = 0\nx = 1")
    assert context == {"x": 1}
    with engine_step() as step:
        execute(environment, "notify('task_reminder', task='t')")
    assert [notice.kind for notice in step.notices] == ["task_reminder"]


def _spy(*args, **kwargs):
    return "shadowed"


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("x.real", {"x": 7, "_getattr_": _spy}, 7),  # the attribute guard
        ("d['a']", {"d": {"a": 7}, "_getitem_": _spy}, 7),  # the item guard
        ("[i for i in xs]", {"xs": [7], "_getiter_": _spy}, [7]),  # the iteration guard
        ("len(xs)", {"xs": [7], "__builtins__": {"len": _spy}}, 1),  # the builtins
        ("today() != 'shadowed'", {"today": _spy}, True),  # the helpers
    ],
)
def test_task_data_cannot_shadow_guards_builtins_or_helpers_in_expressions(
    environment, expression, data, expected
):
    assert environment.evaluate(expression, data) == expected


def test_task_data_cannot_shadow_notify_in_expressions(environment):
    calls = []
    with engine_step() as step:
        environment.evaluate("notify('task_reminder')", {"notify": lambda *a, **k: calls.append(a)})
    assert calls == []
    assert [notice.kind for notice in step.notices] == ["task_reminder"]


@pytest.mark.parametrize("name", ["_getattr_", "_write_", "_inplacevar_", "__builtins__", "_print_"])
def test_task_data_named_like_a_guard_is_refused_in_scripts(environment, name):
    with pytest.raises(ValueError, match=name):
        environment.execute("y = 1", {name: _spy})


@pytest.mark.parametrize("source", ["_getattr_", "__builtins__", "_write_ = None", "__import__"])
def test_scripts_cannot_name_the_guards(source):
    mode = "exec" if "=" in source else "eval"
    assert compile_check(source, mode)


# ------------------------------------------------------------------------------ bounded range


@pytest.mark.parametrize("source", ["len(range(10**6))", "len(range(10**12))", "len(range(0, 10**9, 2))"])
def test_range_is_bounded(environment, source):
    # The builtin range is lazy, so len() alone is harmless, but list(range(10**12)) in a gateway
    # condition would take the worker's memory; the sandbox's range refuses such sizes up front.
    with pytest.raises(ValueError):
        environment.evaluate(source, {})


def test_small_ranges_still_work(environment):
    assert environment.evaluate("sum(range(1, 11))", {}) == 55
    assert execute(environment, "n = 0\nfor i in range(5):\n    n += i")["n"] == 10


# ----------------------------------------------------------------------------- augmented assignment

# RestrictedPython compiles ``x op= y`` into ``x = _inplacevar_(op, x, y)``: a missing or wrong entry
# makes the operator fail or, worse, assign something else than Python would.
ARITHMETIC = [
    ("+=", 7, 2, 9),
    ("-=", 7, 2, 5),
    ("*=", 7, 2, 14),
    ("/=", 7, 2, 3.5),
    ("//=", 7, 2, 3),
    ("%=", 7, 2, 1),
    ("**=", 7, 2, 49),
    ("+=", [1], [2], [1, 2]),
    ("+=", "ab", "c", "abc"),
    ("*=", "ab", 2, "abab"),
    ("+=", 0.5, 1, 1.5),
]


@pytest.mark.parametrize(("op", "start", "operand", "expected"), ARITHMETIC)
def test_augmented_arithmetic_assigns_what_python_would(environment, op, start, operand, expected):
    # A copy: "+=" extends a list in place, and the parameter list must survive a second run in one
    # process (mutmut runs the tests for its statistics and again as a clean run).
    context = execute(environment, f"x {op} y", x=copy.copy(start), y=operand)
    assert context["x"] == expected
    assert type(context["x"]) is type(expected)


@pytest.mark.parametrize(("op", "python_result"), [("<<=", 48), (">>=", 0), ("&=", 2), ("|=", 7), ("^=", 5)])
def test_bitwise_augmented_assignment_is_right_or_refused_never_none(environment, op, python_result):
    context = {"x": 6, "y": 3}
    try:
        environment.execute(f"x {op} y", context)
    except Exception:  # noqa: BLE001 - refusing the operator is fine
        assert context["x"] == 6, f"refused {op} but changed x to {context['x']!r}"
        return
    assert context["x"] == python_result, f"x {op} y gave {context['x']!r}"


def test_augmented_assignment_of_items_and_attributes_is_refused():
    # Augmented item assignment would bypass the write guard; RestrictedPython refuses it at compile.
    assert compile_check("d['a'] += 1", "exec")
    assert compile_check("o.a += 1", "exec")


# ------------------------------------------------------------------------------ forbidden builtins


@pytest.mark.parametrize("mode", ["exec", "eval"])
@pytest.mark.parametrize("name", FORBIDDEN_BUILTINS)
def test_each_forbidden_builtin_is_named_by_the_static_check(name, mode):
    source = f"y = {name}" if mode == "exec" else f"{name}"
    errors = compile_check(source, mode)
    assert any(f'"{name}"' in error for error in errors), errors


@pytest.mark.parametrize("name", FORBIDDEN_BUILTINS)
def test_each_forbidden_builtin_is_refused_even_when_called_indirectly(environment, name):
    # Passed around rather than called, the name must still be refused (not merely missing at run
    # time, which would surface only when a dossier reaches the script).
    errors = compile_check(f"fs = [len, {name}]\nf = fs[1]", "exec")
    assert any(f'"{name}"' in error for error in errors), errors
    with pytest.raises(ValueError, match=name):
        execute(environment, f"fs = [len, {name}]")


def test_forbidden_builtins_are_named_when_a_procedure_is_deployed(package):
    # The deploy check lists every forbidden name the script uses, with the element that uses it.
    script = "\n".join(f"v{i} = {name}" for i, name in enumerate(FORBIDDEN_BUILTINS))
    source = package.bpmn["process.bpmn"].decode()
    reminder = 'notify("task_reminder", task="commune_scoring")'
    assert reminder in source
    bad = dataclasses.replace(
        package, bpmn={**package.bpmn, "process.bpmn": source.replace(reminder, script).encode()}
    )
    with pytest.raises(ProcedureError) as info:
        compile_procedure(bad)
    message = "\n".join(info.value.errors)
    assert "send_commune_reminder" in message
    assert [name for name in FORBIDDEN_BUILTINS if f'"{name}"' not in message] == []


@pytest.mark.parametrize(
    "name", ["type", "object", "super", "classmethod", "staticmethod", "property", "hasattr", "exit", "quit"]
)
def test_scripts_see_no_introspection_builtins(environment, name):
    # These are not refused at compile time; they are simply not among the builtins a script gets.
    with pytest.raises(NameError):
        environment.evaluate(f"{name}", {})


# ------------------------------------------------------------------------------ imports


@pytest.mark.parametrize(
    "script", ["import os", "from os import path", "import os.path as p", "from . import sandbox"]
)
def test_imports_are_refused_before_they_run(environment, script):
    assert any("import" in error for error in compile_check(script, "exec"))
    with pytest.raises(ValueError, match="import"):
        execute(environment, script)


# ------------------------------------------------------------------------------ the helpers and the checker


@pytest.mark.parametrize("kind", ["", 5, None, ["task_reminder"]])
def test_notify_refuses_a_notice_without_a_kind(kind):
    # A notice becomes a job after the commit; one without a proper kind could never be dispatched.
    with engine_step() as step, pytest.raises(ValueError):
        notify(kind)
    assert step.notices == []


@pytest.mark.parametrize("source", [None, 5, b"x = 1"])
def test_the_static_check_reports_what_it_cannot_read(source):
    # A DMN cell or condition that is not text is an error to report at deploy, not a crash.
    assert compile_check(source, "eval")


def test_the_static_check_knows_only_two_modes():
    with pytest.raises(ValueError):
        compile_check("x = 1", "single")
