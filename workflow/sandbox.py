"""RestrictedPython-based script environment.

Everything an uploaded BPMN/DMN contains that SpiffWorkflow evaluates (scripts, gateway conditions,
timer expressions, DMN cells) is Python. The stock environment runs it with full builtins, and a
whitelisted ``__builtins__`` alone is escapable through ``().__class__.__base__.__subclasses__()``.
RestrictedPython rewrites the code so attribute, item and iteration access go through guards and
refuses underscore names at compile time; on top of that imports and introspection builtins are refused
at compile time so that ``compile_check`` can report them when a package is deployed.

Scripts run inside the web process, so they must also not be able to hang it. Every engine step gets a
time budget (``engine_step(budget_seconds=...)``). The policy makes compiled code check it at the top of
every loop body, comprehension item, function/lambda call and exception handler, and every script call
checks it on entry and exit; operations that can build a huge object in one go (``*``, ``**``, ``<<``,
``+``, ``%``, f-string widths and a few str/list methods) are checked before they allocate. Violations
raise ScriptBudgetExceeded, which scripts cannot catch with ``except Exception``.
"""

import ast
import gc
import math
import operator
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache, partial
from time import monotonic, thread_time
from time import thread_time as _gc_thread_time
from typing import Any, Literal, NoReturn

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


DEFAULT_STEP_BUDGET_SECONDS = 1.0
# One result may hold at most this many items/characters: large enough for any real script, small
# enough (a few MB) that building it, or refusing it, is instantaneous.
MAX_ITEMS = 1_000_000
# Python's own default limit for int <-> str conversion: larger ints could not even be printed.
MAX_INT_DIGITS = 4300
_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))
# Growth of the process's resident memory allowed during one step. It catches allocation the per-result
# limits cannot see, e.g. a loop that keeps appending fresh 1 MB strings, which would otherwise reach
# gigabytes within the time budget. Read as a module global so tests can lower it.
MAX_STEP_MEMORY_GROWTH = 256 * 2**20
# How often (at most) a running script samples the resident memory. Steps shorter than this never read
# /proc at all, so ordinary steps pay nothing for the memory check.
_MEMORY_PROBE_SECONDS = 0.005


class ScriptBudgetExceeded(BaseException):  # noqa: N818 - reads as what happened, like StopIteration
    """A script ran out of its step's time or memory budget or tried to build a too large value.

    Derives from BaseException so that a script's ``except Exception:`` (and SpiffWorkflow's own
    ``except Exception`` wrappers) cannot swallow it; WorkflowRuntime turns it into WorkflowStepError.
    """


def _vi_number(value: float) -> str:
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return f"{value:g}".replace(".", ",")


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_bytes() -> int | None:
    """Resident memory of this process, or None where /proc is unavailable (the check is skipped)."""
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
    except OSError:
        return None
    try:
        return int(os.read(fd, 128).split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None
    finally:
        os.close(fd)


class _GcTime(threading.local):
    """Processor time this thread has spent in the garbage collector (class attributes are the defaults)."""

    started: float | None = None
    spent: float = 0.0


_gc_time = _GcTime()


# Not mutated: mutmut would make this a trampoline that records its own hits, and the collector calls it
# from inside that recording (a crash, not a verdict). tests/unit/workflow/test_sandbox_budget_clock.py
# covers it.
def _count_gc_time(phase: str, info: dict) -> None:  # pragma: no mutate block
    if phase == "start":
        _gc_time.started = _gc_thread_time()
    elif _gc_time.started is not None:
        _gc_time.spent += _gc_thread_time() - _gc_time.started
        _gc_time.started = None


gc.callbacks.append(_count_gc_time)


def _gc_seconds() -> float:
    return _gc_time.spent


def _computing_time() -> float:
    """This thread's processor time less what the garbage collector took. A full collection walks the
    whole heap of a long-lived process (a second and more for a big one) and may start inside any step:
    that is the interpreter's time, not the scripts'. A script allocating on purpose still pays for its
    own allocating, and its memory growth is capped separately."""
    return thread_time() - _gc_seconds()


class StepBudget:
    """Processor time (and memory growth) shared by all code one engine step runs.

    The budget is this thread's CPU time, not the wall clock: on a loaded machine (a busy two-core
    server, or CI) an ordinary step can take well over a second of wall time while using a few
    milliseconds of processor, and must not fail for it; a runaway script burns CPU, so it is still
    stopped, only later in wall time when it shares the processor.
    """

    __slots__ = ("_rss_base", "cpu_deadline", "next_check", "next_probe_cpu", "seconds")

    def __init__(self, seconds: float = DEFAULT_STEP_BUDGET_SECONDS):
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < math.inf:
            raise ValueError(f"budget_seconds must be a positive number, not {seconds!r}")
        cpu = _computing_time()
        self.seconds = seconds
        self.cpu_deadline = cpu + seconds
        # The hot path compares the (cheap, vDSO) wall clock with this one number, so the costlier
        # thread CPU clock is read at most once per probe interval; it drops to -inf once the budget
        # is spent, so every later check fails again (expiry is sticky).
        self.next_check = monotonic() + _MEMORY_PROBE_SECONDS
        # Memory is sampled by this thread's CPU time too: a short step that merely waits for the GIL
        # behind a looping script must not read /proc, because every read releases the GIL and costs a
        # full switch interval to get it back (measured: another thread's 30 ms step took 1.5-2.4 s
        # beside a looping one when sampling followed the wall clock).
        self.next_probe_cpu = cpu + _MEMORY_PROBE_SECONDS
        self._rss_base: int | None = None

    def check(self) -> None:
        if monotonic() >= self.next_check:
            self.check_now()

    def check_now(self) -> None:
        cpu = _computing_time()
        if cpu >= self.cpu_deadline:
            self.next_check = -math.inf
            raise ScriptBudgetExceeded(
                f"Mã chạy quá thời gian cho phép ({_vi_number(self.seconds)} giây xử lý mỗi bước) nên đã "
                "bị dừng; hãy kiểm tra các vòng lặp trong mã"
            )
        self.next_check = monotonic() + _MEMORY_PROBE_SECONDS
        if cpu < self.next_probe_cpu:
            return
        self.next_probe_cpu = cpu + _MEMORY_PROBE_SECONDS
        rss = _rss_bytes()
        if rss is not None:
            if self._rss_base is None:
                # The baseline is taken at the first sample rather than at step start, so steps shorter
                # than one probe interval never touch /proc.
                self._rss_base = rss
            elif rss - self._rss_base > MAX_STEP_MEMORY_GROWTH:
                raise ScriptBudgetExceeded(
                    f"Mã dùng quá nhiều bộ nhớ (hơn {MAX_STEP_MEMORY_GROWTH // 2**20} MB trong một bước) "
                    "nên đã bị dừng"
                )


@dataclass
class StepContext:
    """Per engine step: the notices requested so far, the element that last ran code, the budget."""

    notices: list[Notice] = field(default_factory=list)
    last_source: str = ""
    budget: StepBudget = field(default_factory=StepBudget)


_STEP: ContextVar[StepContext | None] = ContextVar("workflow_step", default=None)
_SOURCE: ContextVar[str] = ContextVar("workflow_script_source", default="")
# The budget the running code is charged to. Kept apart from _STEP so that a script evaluated outside
# any engine step still gets a budget of its own without making notify() usable there.
_BUDGET: ContextVar[StepBudget | None] = ContextVar("workflow_script_budget", default=None)


@contextmanager
def engine_step(budget_seconds: float = DEFAULT_STEP_BUDGET_SECONDS) -> Iterator[StepContext]:
    """Give the enclosed engine step a fresh context that ``notify()`` appends to and a time budget
    that all code the step runs (scripts, conditions, timers, DMN cells) shares."""
    step = StepContext(budget=StepBudget(budget_seconds))
    token = _STEP.set(step)
    budget_token = _BUDGET.set(step.budget)
    try:
        yield step
    finally:
        _BUDGET.reset(budget_token)
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


# Operators whose result can be far larger than their operands; they are compiled to guard calls.
_BINOP_GUARDS = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}


def _guard_call(name: str, args: list, where: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    ast.copy_location(call, where)
    return ast.fix_missing_locations(call)


def _budget_check(where: ast.AST) -> ast.Call:
    return _guard_call("_budget_", [], where)


class _Policy(RestrictingNodeTransformer):
    # Guard names are inserted after the base class has visited a node's children, so its check that
    # user code names nothing starting with "_" never sees them (and user code still cannot).

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

    # ---- time budget: every way code can repeat passes a check

    def _check_first(self, node):
        node.body.insert(0, ast.fix_missing_locations(ast.copy_location(ast.Expr(_budget_check(node)), node)))
        return node

    def visit_While(self, node):
        return self._check_first(super().visit_While(node))

    def visit_For(self, node):
        return self._check_first(super().visit_For(node))

    def visit_FunctionDef(self, node):
        # Recursion depth is capped by Python, but not its breadth: f() calling f() twice is 2**depth.
        return self._check_first(super().visit_FunctionDef(node))

    def visit_ExceptHandler(self, node):
        # A bare "except:" would catch ScriptBudgetExceeded; once the deadline has passed this check
        # raises it again straight away.
        return self._check_first(super().visit_ExceptHandler(node))

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        # "lambda: body" -> "lambda: _budget_() and body"; the check returns True.
        node.body = ast.copy_location(ast.BoolOp(op=ast.And(), values=[_budget_check(node), node.body]), node)
        return node

    def visit_comprehension(self, node):
        node = super().visit_comprehension(node)
        # Checked for each item, before the user's own conditions.
        node.ifs.insert(0, _budget_check(node.iter))
        return node

    # ---- size: operations that can build a huge value in one go

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        return _guard_call(guard, [node.left, node.right], node)

    def visit_FormattedValue(self, node):
        node = super().visit_FormattedValue(node)
        if node.format_spec is None:
            return node
        # f"{x:>1000000000}" would allocate a gigabyte; _format_ checks the widths first.
        call = _guard_call("_format_", [node.value, ast.Constant(node.conversion), node.format_spec], node)
        return ast.copy_location(ast.FormattedValue(value=call, conversion=-1, format_spec=None), node)


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


# ------------------------------------------------------------------------------- budget guards


def _budget_check_call() -> bool:
    """Compiled into loops, comprehensions, functions and handlers as ``_budget_()``; must stay cheap."""
    budget = _BUDGET.get()
    if budget is not None and monotonic() >= budget.next_check:
        budget.check_now()
    return True


def _too_big(op: str) -> NoReturn:
    raise ScriptBudgetExceeded(
        f"Phép {op} tạo kết quả quá lớn (tối đa {_vi_number(MAX_ITEMS)} phần tử hoặc ký tự)"
    )


def _int_too_big(op: str) -> NoReturn:
    raise ScriptBudgetExceeded(
        f"Phép {op} tạo số nguyên quá lớn (tối đa {_vi_number(MAX_INT_DIGITS)} chữ số)"
    )


_SIZED = (str, bytes, list, tuple)


def _too_wide(digits) -> bool:
    return len(digits) > 7 or int(digits) > MAX_ITEMS


# The checks run before the operation so nothing huge is ever allocated. Numbers take the first,
# failing isinstance test and fall straight through.


def _check_add(a, b, op="+"):
    if isinstance(a, _SIZED) and isinstance(b, _SIZED) and len(a) + len(b) > MAX_ITEMS:
        _too_big(op)


def _check_mul(a, b, op="*"):
    if isinstance(a, int):
        if isinstance(b, int):
            if a.bit_length() + b.bit_length() > _MAX_INT_BITS:
                _int_too_big(op)
        elif isinstance(b, _SIZED) and a > 0 and len(b) * a > MAX_ITEMS:
            _too_big(op)
    elif isinstance(b, int) and isinstance(a, _SIZED) and b > 0 and len(a) * b > MAX_ITEMS:
        _too_big(op)


def _check_pow(a, b, op="**"):
    if isinstance(a, int) and isinstance(b, int) and b > 1 and (a > 1 or a < -1):
        # |a|**b has b*log2|a| bits; b alone bounds it first so huge exponents never reach float math.
        if b > _MAX_INT_BITS or b * math.log2(abs(a)) > _MAX_INT_BITS:
            _int_too_big(op)


def _check_lshift(a, b, op="<<"):
    if isinstance(a, int) and isinstance(b, int) and a and b > 0 and a.bit_length() + b > _MAX_INT_BITS:
        _int_too_big(op)


_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")
_PERCENT_FIELD_BYTES = re.compile(_PERCENT_FIELD.pattern.encode())


def _check_mod(a, b, op="%"):
    # Only "%"-formatting can blow up ("%1000000000d" % 1); numbers are plain modulo.
    if not isinstance(a, str | bytes):
        return
    pattern = _PERCENT_FIELD if isinstance(a, str) else _PERCENT_FIELD_BYTES
    star = False
    for match in pattern.finditer(a):
        for part in match.groups():
            if part in ("*", b"*"):
                star = True
            elif part and _too_wide(part):
                _too_big(op)
    if star:
        args = b if isinstance(b, tuple) else (b,)
        if any(isinstance(arg, int) and abs(arg) > MAX_ITEMS for arg in args):
            _too_big(op)


# What the compiled code calls for a BinOp. Numbers (nearly every use) pay one isinstance test.


def _add(a, b):
    if isinstance(a, _SIZED):
        _check_add(a, b)
    return a + b


def _mul(a, b):
    if not (isinstance(a, float) or isinstance(b, float)):
        _check_mul(a, b)
    return a * b


def _pow(a, b):
    if isinstance(a, int):
        _check_pow(a, b)
    return a**b


def _lshift(a, b):
    _check_lshift(a, b)
    return a << b


def _mod(a, b):
    if isinstance(a, str | bytes):
        _check_mod(a, b)
    return a % b


_CONVERSIONS = {ord("s"): str, ord("r"): repr, ord("a"): ascii}
_DIGIT_RUN = re.compile(r"\d+")


def _format(value, conversion, spec):
    """f"{value!conversion:spec}" with the width and precision in ``spec`` checked first."""
    if any(_too_wide(digits) for digits in _DIGIT_RUN.findall(spec)):
        _too_big("định dạng chuỗi")
    convert = _CONVERSIONS.get(conversion)
    return format(convert(value) if convert else value, spec)


# Methods that can return much more than they were given. Looked up per (exact type, name) when a
# script reads the attribute; the guard receives the object, the real bound method and the arguments.


def _guard_join(sep, method, iterable):
    items = list(iterable)
    try:
        size = sum(map(len, items)) + len(sep) * max(len(items) - 1, 0)
    except TypeError:
        size = 0  # join itself reports the non-string item
    if size > MAX_ITEMS:
        _too_big("join()")
    return method(items)


def _guard_replace(text, method, old, new, count=-1):
    try:
        found = text.count(old) if len(old) else len(text) + 1
        if count >= 0:
            found = min(found, count)
        size = len(text) + found * (len(new) - len(old))
    except TypeError:
        size = 0  # replace itself reports the bad argument
    if size > MAX_ITEMS:
        _too_big("replace()")
    return method(old, new, count)


def _guard_width(text, method, width, *args):
    if isinstance(width, int) and width > MAX_ITEMS:
        _too_big(f"{method.__name__}()")
    return method(width, *args)


def _guard_expandtabs(text, method, tabsize=8):
    tab = "\t" if isinstance(text, str) else b"\t"
    if isinstance(tabsize, int) and len(text) + text.count(tab) * max(tabsize, 0) > MAX_ITEMS:
        _too_big("expandtabs()")
    return method(tabsize=tabsize)


def _guard_translate(text, method, table):
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        if len(text) * longest > MAX_ITEMS:
            _too_big("translate()")
    return method(table)


def _guard_extend(items, method, iterable):
    try:
        added = len(iterable)
    except TypeError:
        added = 0  # an iterator: its producer's loops are budget-checked
    if len(items) + added > MAX_ITEMS:
        _too_big("extend()")
    return method(iterable)


def _guard_to_bytes(number, method, length=1, *args, **kwargs):
    if isinstance(length, int) and length > MAX_ITEMS:
        _too_big("to_bytes()")
    return method(length, *args, **kwargs)


_METHOD_GUARDS = {
    **{(t, "join"): _guard_join for t in (str, bytes)},
    **{(t, "replace"): _guard_replace for t in (str, bytes)},
    **{(t, name): _guard_width for t in (str, bytes) for name in ("center", "ljust", "rjust", "zfill")},
    **{(t, "expandtabs"): _guard_expandtabs for t in (str, bytes)},
    (str, "translate"): _guard_translate,
    (list, "extend"): _guard_extend,
    (int, "to_bytes"): _guard_to_bytes,
    (bool, "to_bytes"): _guard_to_bytes,
}


_GUARDED_TYPES = frozenset(owner for owner, _ in _METHOD_GUARDS)


def _getattr(obj, name, default=None):
    value = safer_getattr(obj, name, default)
    guard = _METHOD_GUARDS.get((type(obj), name))
    if guard is not None:
        return partial(guard, obj, value)
    if type(obj) is type and obj in _GUARDED_TYPES and (obj, name) in _METHOD_GUARDS:
        # The same method reached through its type: str.rjust("a", 10**10), list.extend(x, x).
        return partial(_call_through_type, name, value)
    return value


def _call_through_type(name, function, target, *args, **kwargs):
    # The guard follows the target, not the type named: bool.to_bytes(0, n) is int.to_bytes on an int.
    guard = next(
        (_METHOD_GUARDS[(cls, name)] for cls in type(target).__mro__ if (cls, name) in _METHOD_GUARDS), None
    )
    if guard is None:
        return function(target, *args, **kwargs)  # Python reports the wrong type itself
    # Bound through the type named, so Python still refuses a target of the wrong type.
    return guard(target, function.__get__(target), *args, **kwargs)


def _sum(iterable, /, start=0):
    # sum(list_of_lists, []) concatenates in C, quadratically and without passing any budget check.
    if isinstance(start, list | tuple):
        total = start
        for item in iterable:
            _budget_check_call()
            _check_add(total, item, "sum()")
            total = total + item
        return total
    return sum(iterable, start)


def _round(number, ndigits=None):
    # round(5, -10**9) computes 10**(10**9) in C.
    if isinstance(ndigits, int) and abs(ndigits) > MAX_INT_DIGITS:
        _int_too_big("round()")
    return round(number, ndigits)


_INPLACE_OPS = {
    "+=": (operator.iadd, _check_add),
    "-=": (operator.isub, None),
    "*=": (operator.imul, _check_mul),
    "/=": (operator.itruediv, None),
    "//=": (operator.ifloordiv, None),
    "%=": (operator.imod, _check_mod),
    "**=": (operator.ipow, _check_pow),
}


def _inplacevar(op, target, value):
    try:
        apply, check = _INPLACE_OPS[op]
    except KeyError:
        raise ValueError(f"phép gán {op} không được hỗ trợ") from None
    if check is not None:
        check(target, value, op)
    return apply(target, value)


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
    sorted,
    str,
    tuple,
    zip,
)


def _builtins() -> dict[str, Any]:
    names = {obj.__name__: obj for obj in (*_SAFE_FUNCTIONS, *_EXCEPTIONS)}
    # limited_range refuses huge ranges that would exhaust memory.
    names.update({"None": None, "True": True, "False": False, "range": limited_builtins["range"]})
    names.update({"sum": _sum, "round": _round})
    return names


def _base_globals() -> dict[str, Any]:
    return {
        "__builtins__": _builtins(),
        "_getattr_": _getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_write_": full_write_guard,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": _inplacevar,
        "_apply_": _apply,
        "_print_": PrintCollector,
        "_budget_": _budget_check_call,
        "_add_": _add,
        "_mul_": _mul,
        "_pow_": _pow,
        "_lshift_": _lshift,
        "_mod_": _mod,
        "_format_": _format,
        **HELPERS,
    }


def _run_within_budget(run):
    budget = _BUDGET.get()
    token = None
    if budget is None:
        # Outside an engine step (direct use of the environment) each call gets the default budget.
        budget = StepBudget(DEFAULT_STEP_BUDGET_SECONDS)
        token = _BUDGET.set(budget)
    try:
        # On entry: a BPMN-level loop (gateway back to a trivial script) repeats without any loop in
        # the code itself.
        budget.check()
        try:
            result = run()
        except Exception:
            # A "finally: raise ValueError()" can replace ScriptBudgetExceeded with an ordinary error.
            budget.check()
            raise
        # On exit: the script may have swallowed the budget error with a bare "except:".
        budget.check()
        return result
    finally:
        if token is not None:
            _BUDGET.reset(token)


class RestrictedTaskDataEnvironment(TaskDataEnvironment):
    def __init__(self):
        super().__init__(_base_globals())

    def evaluate(self, expression, context, external_context=None):
        code = _code(expression, "eval")
        # Globals go last so task data can never shadow the guards or the builtins.
        scope = {**context, **(external_context or {}), **self.globals}
        return _run_within_budget(lambda: eval(code, scope))  # noqa: S307 - code was produced by RestrictedPython

    def execute(self, script, context, external_context=None):
        code = _code(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        context.update(external_context or {})
        context.update(self.globals)
        try:
            _run_within_budget(lambda: exec(code, context))  # noqa: S102 - code was produced by RestrictedPython
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
