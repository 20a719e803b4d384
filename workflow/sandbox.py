"""RestrictedPython-based script environment.

Everything an uploaded BPMN/DMN contains that SpiffWorkflow evaluates (scripts, gateway conditions,
timer expressions, DMN cells) is Python. The stock environment runs it with full builtins, and a
whitelisted ``__builtins__`` alone is escapable through ``().__class__.__base__.__subclasses__()``.
RestrictedPython rewrites the code so attribute, item and iteration access go through guards and
refuses underscore names at compile time; on top of that imports and introspection builtins are refused
at compile time so that ``compile_check`` can report them when a package is deployed.
"""

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, limited_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from .clock import business_date


@dataclass(frozen=True)
class Notice:
    """A side effect requested by a script (e.g. send a reminder), delivered after the state is saved."""

    kind: str
    params: dict = field(default_factory=dict)
    source: str = ""


@dataclass
class StepContext:
    """Per engine step: the notices requested so far and the element that last ran code."""

    notices: list[Notice] = field(default_factory=list)
    last_source: str = ""


_STEP: ContextVar[StepContext | None] = ContextVar("workflow_step", default=None)
_SOURCE: ContextVar[str] = ContextVar("workflow_script_source", default="")


@contextmanager
def engine_step() -> Iterator[StepContext]:
    """Give the enclosed engine step a fresh context that ``notify()`` appends to."""
    step = StepContext()
    token = _STEP.set(step)
    try:
        yield step
    finally:
        _STEP.reset(token)


def notify(kind, **params):
    step = _STEP.get()
    if step is None:
        raise RuntimeError("notify() chỉ dùng được khi quy trình đang chạy một bước")
    if not isinstance(kind, str) or not kind:
        raise ValueError("notify(): loại thông báo phải là chuỗi khác rỗng")
    step.notices.append(Notice(kind=kind, params=dict(params), source=_SOURCE.get()))


def today():
    return business_date().isoformat()


HELPERS = {"notify": notify, "today": today}

# Builtins whose only use in a script would be to reach outside the sandbox. They are refused at
# compile time (rather than merely missing at run time) so deploy-time checks can name them.
_FORBIDDEN_NAMES = frozenset(
    {
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
    }
)


class _Policy(RestrictingNodeTransformer):
    def visit_Import(self, node):
        self.error(node, "import không được phép trong script của quy trình")
        return node

    def visit_ImportFrom(self, node):
        self.error(node, "import không được phép trong script của quy trình")
        return node

    def visit_Name(self, node):
        if node.id in _FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" không được phép trong script của quy trình')
        return super().visit_Name(node)


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str):
    compiler = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    return compiler(source, policy=_Policy)


def compile_check(source: str, mode: Literal["exec", "eval"]) -> list[str]:
    """Restricted-compile ``source``; return the errors (empty when the code is acceptable)."""
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    if not isinstance(source, str):
        return ["biểu thức phải là chuỗi"]
    return list(_compile(source, mode).errors)


def _code(source: str, mode: str):
    result = _compile(source, mode)
    if result.errors:
        raise ValueError("Mã bị từ chối: " + "; ".join(result.errors))
    return result.code


_INPLACE_OPS = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
}


def _inplacevar(op, target, value):
    try:
        return _INPLACE_OPS[op](target, value)
    except KeyError:
        raise ValueError(f"phép gán {op} không được hỗ trợ") from None


def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


_EXCEPTIONS = (
    ArithmeticError,
    Exception,
    IndexError,
    KeyError,
    LookupError,
    TypeError,
    ValueError,
    ZeroDivisionError,
)
_SAFE_FUNCTIONS = (
    abs,
    all,
    any,
    bool,
    dict,
    divmod,
    enumerate,
    float,
    int,
    isinstance,
    len,
    list,
    max,
    min,
    reversed,
    round,
    sorted,
    str,
    sum,
    tuple,
    zip,
)


def _builtins() -> dict[str, Any]:
    names = {obj.__name__: obj for obj in (*_SAFE_FUNCTIONS, *_EXCEPTIONS)}
    # limited_range refuses huge ranges that would exhaust memory.
    names.update({"None": None, "True": True, "False": False, "range": limited_builtins["range"]})
    return names


def _base_globals() -> dict[str, Any]:
    return {
        "__builtins__": _builtins(),
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_write_": full_write_guard,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": _inplacevar,
        "_apply_": _apply,
        "_print_": PrintCollector,
        **HELPERS,
    }


class RestrictedTaskDataEnvironment(TaskDataEnvironment):
    def __init__(self):
        super().__init__(_base_globals())

    def evaluate(self, expression, context, external_context=None):
        code = _code(expression, "eval")
        # Globals go last so task data can never shadow the guards or the builtins.
        scope = {**context, **(external_context or {}), **self.globals}
        return eval(code, scope)  # noqa: S307 - code was produced by RestrictedPython

    def execute(self, script, context, external_context=None):
        code = _code(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        context.update(external_context or {})
        context.update(self.globals)
        try:
            exec(code, context)  # noqa: S102 - code was produced by RestrictedPython
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class _SourceTrackingEngine(PythonScriptEngine):
    """Records which BPMN element runs code, so notices name their source and errors raised after
    evaluation (e.g. Spiff's bare "Invalid duration" for a timer) can still be attributed."""

    def evaluate(self, task, expression, external_context=None):
        with _running(task):
            return super().evaluate(task, expression, external_context)

    def execute(self, task, script, external_context=None):
        with _running(task):
            return super().execute(task, script, external_context)


@contextmanager
def _running(task):
    spec = task.task_spec
    source = getattr(spec, "bpmn_id", None) or spec.name
    step = _STEP.get()
    if step is not None:
        step.last_source = source
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def reserved_names() -> frozenset[str]:
    """Names task data may not use: they would shadow helpers or guards inside scripts."""
    return frozenset(_base_globals())


def make_script_engine() -> PythonScriptEngine:
    return _SourceTrackingEngine(environment=RestrictedTaskDataEnvironment())
