"""Conditions and computations of a form: JsonLogic (https://jsonlogic.com), data and never ``eval``.

The browser evaluates the same expressions with json-logic-js (app/static/js/form_logic.js), so both
sides must agree on every result. The server uses panzi-json-logic for the evaluation itself (its
``apply`` walks the expression and runs ``if``/``and``/``or``/``some``/``all``/``none``), with an
operation table of our own: only the operators below exist, and those whose JavaScript coercion the
library gets wrong (``"" == 0``, ``null + 1``, ``-7 % 3``, ``1 / 0``, an explicit null ``var`` with a
default...) are written here after json-logic-js 2.0.5. tests/browser/test_form_logic_browser.py runs
one table of cases through both evaluators.

Why not the others: maykin-json-logic-py needs Python 3.12 (this project runs 3.11) and python-jsonlogic
refuses JavaScript's coercions by design ("1" == 1 is false there, true in the browser).

A result that JSON cannot carry (NaN, ±Infinity) reads as null on both sides, and a whole number as an
integer, so that a computed value is the same stored or shown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from json_logic import jsonLogic
from json_logic.builtins import not_, to_bool

# Operators whose arguments are another scope: the rows of a repeating group.
SCOPED = ("some", "all", "none")
# operator → (fewest, most) arguments; None: no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    "var": (1, 2),
    "==": (2, 2),
    "!=": (2, 2),
    "===": (2, 2),
    "!==": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    ">": (2, 2),
    ">=": (2, 2),
    "!": (1, 1),
    "!!": (1, 1),
    "and": (1, None),
    "or": (1, None),
    "if": (1, None),
    "in": (2, 2),
    "+": (0, None),
    "-": (1, 2),
    "*": (1, None),
    "/": (2, 2),
    "%": (2, 2),
    "min": (1, None),
    "max": (1, None),
    "missing": (1, None),
    "some": (2, 2),
    "all": (2, 2),
    "none": (2, 2),
}
OPERATORS = tuple(ARITY)

Number = int | float
NAN = float("nan")
_DECIMAL = r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
_NUMBER_TEXT = re.compile(rf"{_DECIMAL}|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")
_FLOAT_PREFIX = re.compile(_DECIMAL)


# -- JavaScript's conversions, for JSON values ---------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_object(value: Any) -> bool:
    return isinstance(value, list | dict)


def to_string(value: Any) -> str:
    """String(value)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return ",".join("" if item is None else to_string(item) for item in value)
    return "[object Object]"


def _primitive(value: Any) -> Any:
    """ToPrimitive: arrays and objects become strings; everything else is already primitive."""
    return to_string(value) if _is_object(value) else value


def to_number(value: Any) -> Number:
    """Number(value)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if _is_number(value):
        return value
    if _is_object(value):
        return to_number(_primitive(value))
    text = value.strip()
    if not text:
        return 0
    if not _NUMBER_TEXT.fullmatch(text):
        return NAN
    if text[1:2] in ("x", "X", "o", "O", "b", "B"):
        return int(text, 0)
    return float(text.replace("Infinity", "inf"))


def _parse_float(value: Any) -> float:
    """parseFloat(value): the longest leading decimal number of String(value)."""
    found = _FLOAT_PREFIX.match(to_string(value).lstrip())
    return float(found.group().replace("Infinity", "inf")) if found else NAN


def loose_equals(a: Any, b: Any) -> bool:
    """a == b."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) and not isinstance(b, bool):
        return loose_equals(int(a), b)
    if isinstance(b, bool) and not isinstance(a, bool):
        return loose_equals(a, int(b))
    if _is_object(a) != _is_object(b):
        return loose_equals(_primitive(a), _primitive(b))
    if _is_number(a) and isinstance(b, str):
        return a == to_number(b)
    if isinstance(a, str) and _is_number(b):
        return to_number(a) == b
    return strict_equals(a, b)


def strict_equals(a: Any, b: Any) -> bool:
    """a === b: no conversion; arrays and objects are equal only to themselves."""
    if _is_object(a) or _is_object(b):
        return a is b
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 as JavaScript's relational operators see a and b; None when either is NaN."""
    a, b = _primitive(a), _primitive(b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    x, y = to_number(a), to_number(b)
    if math.isnan(x) or math.isnan(y):
        return None
    return (x > y) - (x < y)


def _relation(*outcomes: int) -> Callable[..., bool]:
    """A comparison operator; with a third argument ``a op b op c`` (json-logic-js: < and <= only)."""

    def operation(data: Any, a: Any = None, b: Any = None, *rest: Any) -> bool:
        pairs = [(a, b), (b, rest[0])] if rest else [(a, b)]
        return all(_compare(x, y) in outcomes for x, y in pairs)

    return operation


def _divide(a: Number, b: Number) -> float:
    if b == 0:
        return NAN if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)
    return a / b


def _remainder(a: Number, b: Number) -> float:
    # JavaScript's % keeps the sign of the dividend (math.fmod), unlike Python's.
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or b == 0:
        return NAN
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def _times(data: Any, *args: Any) -> Any:
    # json-logic-js reduces without a start value: one argument comes back as it is.
    if len(args) == 1:
        return args[0]
    total = _parse_float(args[0])
    for arg in args[1:]:
        total *= _parse_float(arg)
    return total


def _extreme(pick: Callable[..., Number], empty: float) -> Callable[..., Number]:
    def operation(data: Any, *args: Any) -> Number:
        numbers = [to_number(arg) for arg in args]
        if any(math.isnan(n) for n in numbers):
            return NAN
        return pick(numbers) if numbers else empty

    return operation


_MISSING = object()


def _var(data: Any, name: Any = None, default: Any = None, *_ignored: Any) -> Any:
    if name is None or name == "":
        return data
    for part in to_string(name).split("."):
        if data is None:
            return default
        data = _property(data, part)
        if data is _MISSING:
            return default
    return data


def _property(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name, _MISSING)
    if isinstance(value, list | str):
        if name == "length":
            return len(value)
        if name.isascii() and name.isdigit() and str(int(name)) == name and int(name) < len(value):
            return value[int(name)]
    return _MISSING


def _missing(data: Any, *args: Any) -> list[Any]:
    names = args[0] if args and isinstance(args[0], list) else args
    return [name for name in names if _var(data, name) is None or _var(data, name) == ""]


def _in(data: Any, needle: Any = None, haystack: Any = None, *_ignored: Any) -> bool:
    if isinstance(haystack, str) and haystack:
        return to_string(needle) in haystack
    if isinstance(haystack, list) and haystack:
        return any(strict_equals(needle, item) for item in haystack)
    return False


def _minus(data: Any, a: Any = None, *rest: Any) -> Number:
    return -to_number(a) if not rest else to_number(a) - to_number(rest[0])


OPERATIONS: dict[str, Callable[..., Any]] = {
    "var": _var,
    "==": lambda data, a=None, b=None, *_: loose_equals(a, b),
    "!=": lambda data, a=None, b=None, *_: not loose_equals(a, b),
    "===": lambda data, a=None, b=None, *_: strict_equals(a, b),
    "!==": lambda data, a=None, b=None, *_: not strict_equals(a, b),
    "<": _relation(-1),
    "<=": _relation(-1, 0),
    ">": lambda data, a=None, b=None, *_: _compare(a, b) == 1,
    ">=": lambda data, a=None, b=None, *_: _compare(a, b) in (0, 1),
    "!": lambda data, a=None, *_: not_(a),
    "!!": lambda data, a=None, *_: to_bool(a),
    "in": _in,
    "+": lambda data, *args: sum((_parse_float(arg) for arg in args), 0),
    "-": _minus,
    "*": _times,
    "/": lambda data, a=None, b=None, *_: _divide(to_number(a), to_number(b)),
    "%": lambda data, a=None, b=None, *_: _remainder(to_number(a), to_number(b)),
    "min": _extreme(min, math.inf),
    "max": _extreme(max, -math.inf),
    "missing": _missing,
}
# if/and/or/some/all/none are not in the table: panzi's apply runs them itself, lazily, as JS does.


# -- evaluation -------------------------------------------------------------------------------


def evaluate(logic: Any, data: Mapping[str, Any] | None) -> Any:
    """The value of a (valid) expression over ``data`` (field name → clean value)."""
    return _json_result(jsonLogic(logic, dict(data or {}), OPERATIONS))


def truthy(value: Any) -> bool:
    """JsonLogic's truth: like JavaScript, except that an empty list is false."""
    return to_bool(value)


def holds(logic: Any, data: Mapping[str, Any] | None) -> bool:
    """Whether a condition is true; a field without a condition (None) is unconditional."""
    return True if logic is None else truthy(evaluate(logic, data))


def _json_result(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [_json_result(item) for item in value]
    return value


# -- checks when a definition is loaded ---------------------------------------------------------

# A scope maps the names an expression may read to the names of a row's fields (for a repeating
# group, which some/all/none iterate) or to None (any other field).
Scope = Mapping[str, frozenset[str] | None]


def problems(logic: Any, scope: Scope, own_name: str | None = None) -> list[str]:
    """What is wrong with an expression, in Vietnamese; an empty list when it is valid."""
    found: list[str] = []
    _check(logic, scope, own_name, found)
    return list(dict.fromkeys(found))


def references(logic: Any) -> set[str]:
    """The field names an expression reads (the first part of each ``var`` outside some/all/none)."""
    names: set[str] = set()
    _collect(logic, names)
    return names


def _operation(node: dict) -> tuple[str, list[Any]]:
    operator, args = next(iter(node.items()))
    return operator, args if isinstance(args, list) else [args]


def _collect(node: Any, names: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, names)
    if not isinstance(node, dict) or len(node) != 1:
        return
    operator, args = _operation(node)
    if operator == "var" and args and isinstance(args[0], str):
        names.add(args[0].split(".", 1)[0])
    elif operator == "missing":
        names.update(n.split(".", 1)[0] for n in _missing_names(args) if isinstance(n, str))
    elif operator in SCOPED:
        _collect(args[0], names)
    else:
        _collect(args, names)


def _missing_names(args: list[Any]) -> list[Any]:
    return args[0] if len(args) == 1 and isinstance(args[0], list) else args


def _check(node: Any, scope: Scope, own: str | None, found: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _check(item, scope, own, found)
        return
    if isinstance(node, float) and not math.isfinite(node):
        found.append("số không hợp lệ trong biểu thức.")
        return
    if not isinstance(node, dict):
        return
    if len(node) != 1:
        found.append('mỗi phép toán là một đối tượng có đúng một khóa (tên toán tử), ví dụ {"==": [...]}.')
        return
    operator, args = _operation(node)
    if operator not in ARITY:
        found.append(f'toán tử "{operator}" không được hỗ trợ; các toán tử hợp lệ: {" ".join(OPERATORS)}.')
        return
    low, high = ARITY[operator]
    if len(args) < low or (high is not None and len(args) > high):
        count = str(low) if low == high else (f"{low} đến {high}" if high else f"ít nhất {low}")
        found.append(f'toán tử "{operator}" cần {count} tham số.')
        return
    if operator == "var":
        _check_var(args, scope, own, found)
    elif operator == "missing":
        for name in _missing_names(args):
            _check_name(name, scope, own, found)
    elif operator in SCOPED:
        _check_scoped(operator, args, scope, own, found)
    else:
        _check(args, scope, own, found)


def _check_var(args: list[Any], scope: Scope, own: str | None, found: list[str]) -> None:
    if len(args) == 2 and isinstance(args[1], dict | list):
        found.append('giá trị mặc định của "var" phải là một giá trị đơn.')
    _check_name(args[0], scope, own, found)


def _check_name(name: Any, scope: Scope, own: str | None, found: list[str]) -> None:
    # A computed name ({"var": {"cat": ...}}) could read any field: the references must be known.
    if not isinstance(name, str) or not name:
        found.append('"var" phải nêu tên trường bằng một chuỗi khác rỗng.')
        return
    first, _, rest = name.partition(".")
    if first == own:
        found.append("không được trỏ tới chính trường này.")
    elif first not in scope:
        found.append(f'không có trường "{first}" trong biểu mẫu.')
    elif rest:
        _check_path(first, rest, scope[first], found)


def _check_path(group: str, rest: str, row_fields: frozenset[str] | None, found: list[str]) -> None:
    # Only a repeating group has parts: "members.length", "members.0.birth_year".
    index, _, row_field = rest.partition(".")
    if row_fields is None:
        found.append(f'trường "{group}" không có thành phần "{rest}".')
    elif rest == "length" or (index.isdigit() and row_field in row_fields):
        return
    elif index.isdigit() and row_field:
        found.append(f'nhóm "{group}" không có trường "{row_field}".')
    else:
        found.append(
            f'đường dẫn "{group}.{rest}" phải có dạng "{group}.<số dòng>.<trường>" hoặc "{group}.length".'
        )


def _check_scoped(operator: str, args: list[Any], scope: Scope, own: str | None, found: list[str]) -> None:
    rows, logic = args
    group = rows.get("var") if isinstance(rows, dict) and len(rows) == 1 else None
    if not isinstance(group, str) or scope.get(group) is None:
        groups = [name for name, fields in scope.items() if fields is not None]
        shown = ", ".join(f'{{"var": "{name}"}}' for name in groups) or "(biểu mẫu không có nhóm nào)"
        found.append(f'"{operator}" chỉ duyệt các dòng của một nhóm lặp: {shown}.')
        return
    if group == own:
        found.append("không được trỏ tới chính trường này.")
    # Inside, "var" names the fields of the current row.
    _check(logic, dict.fromkeys(scope[group]), None, found)
