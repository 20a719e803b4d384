"""Named shapes of values in a form definition: a JSON Schema fragment plus the Vietnamese message
shown when a value does not fit it.

Each shape becomes one entry of the schema's ``$defs`` and is referred to with ``shape.ref()``.
Field types build their sub-schemas from these, and the loader turns a jsonschema error back into
the shape's message at the value's path (see forms.schema.errors), so a message is written once,
next to the rule it explains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

UNKNOWN_KEY = "khóa không được hỗ trợ."
MISSING_KEY = "bắt buộc phải có."


@dataclass(frozen=True, eq=False)
class Shape:
    """A value shape. ``message`` is a sentence or a function of the offending value.

    An *atomic* shape is reported as a whole: any error inside it (a wrong key of a ``required_if``
    object, say) gives the shape's one message at the value's own path. A non-atomic shape (an
    object or list whose parts have shapes of their own) uses ``message`` only when the value itself
    has the wrong type or size, and reports problems inside at their own paths.
    """

    name: str
    schema: Mapping[str, Any]
    message: str | Callable[[Any], str]
    atomic: bool = True
    unknown_message: Callable[[str], str] | None = None
    missing_message: Callable[[str], str] | None = None

    def ref(self) -> Ref:
        return Ref(self)

    def describe(self, value: Any) -> str:
        return self.message(value) if callable(self.message) else self.message

    def unknown(self, key: str) -> str:
        return self.unknown_message(key) if self.unknown_message else UNKNOWN_KEY

    def missing(self, key: str) -> str:
        return self.missing_message(key) if self.missing_message else MISSING_KEY


class Ref(dict):
    """``{"$ref": "#/$defs/<name>"}`` that remembers its shape, so the schema can collect its $defs."""

    def __init__(self, shape: Shape) -> None:
        super().__init__({"$ref": f"#/$defs/{shape.name}"})
        self.shape = shape


def whole(pattern: str) -> str:
    """Anchor a pattern to the whole string, the same way in Python and in ECMA-262 (browsers).

    Python's ``$`` also matches before a final newline, so ``"key\\n"`` would pass ``^key$``
    in jsonschema (which uses ``re.search``); the lookahead refuses that and is a no-op in ECMA.
    """
    return f"^(?:{pattern})$(?!\\n)"


SNAKE_CASE = Shape(
    "snake_case",
    {"type": "string", "pattern": whole("[a-z][a-z0-9_]*")},
    "phải ở dạng snake_case (chữ thường, chữ số, dấu gạch dưới; bắt đầu bằng chữ cái).",
)
LABEL = Shape(
    "label",
    {
        "anyOf": [
            {"type": "string", "pattern": "\\S"},
            {
                "type": "object",
                "required": ["vi"],
                "properties": {"vi": {"type": "string", "pattern": "\\S"}},
                "additionalProperties": {"type": "string"},
            },
        ]
    },
    'phải là chuỗi khác rỗng hoặc đối tượng {"vi": "...", "en": "..."} có khóa "vi".',
)
BOOLEAN = Shape("boolean", {"type": "boolean"}, "phải là true hoặc false.")
INTEGER = Shape("integer", {"type": "integer"}, "phải là số nguyên.")
NON_NEGATIVE_INTEGER = Shape(
    "non_negative_integer", {"type": "integer", "minimum": 0}, "phải là số nguyên không âm."
)
POSITIVE_INTEGER = Shape("positive_integer", {"type": "integer", "minimum": 1}, "phải là số nguyên dương.")
NUMBER = Shape("number", {"type": "number"}, "phải là số.")
# The calendar (no 30 February) is checked in code: a pattern cannot know month lengths.
ISO_DATE = Shape(
    "iso_date",
    {"type": "string", "format": "date", "pattern": whole("[0-9]{4}-[0-9]{2}-[0-9]{2}")},
    "phải là ngày dạng YYYY-MM-DD.",
)
# Compiled with Python's re when loaded: the dialect the server matches with.
REGEX = Shape("regex", {"type": "string", "minLength": 1}, "phải là biểu thức chính quy (chuỗi khác rỗng).")
_PATH = {"type": "string", "pattern": "^[^.]+(\\.[^.]+)*$"}
PREFILL = Shape(
    "prefill",
    {"anyOf": [_PATH, {"type": "array", "minItems": 1, "items": _PATH}]},
    'phải là đường dẫn dạng "a.b.c" hoặc danh sách các đường dẫn.',
)
# JsonLogic (forms.expressions): an operation such as {"==": [{"var": "a"}, 1]}, or a constant.
# Operators, arity and field names are checked in code, which knows the other fields.
_OPERATION = {"type": "object", "minProperties": 1, "maxProperties": 1}
EXPRESSION = Shape(
    "expression",
    {"anyOf": [_OPERATION, {"type": "boolean"}]},
    'phải là biểu thức JsonLogic: một đối tượng có đúng một toán tử, ví dụ {"==": [{"var": "a"}, 1]}.',
)
REQUIRED_IF = Shape(
    "required_if",
    {
        "anyOf": [
            {
                "type": "object",
                "required": ["field", "in"],
                "additionalProperties": False,
                "properties": {
                    "field": {"type": "string"},
                    "in": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                },
            },
            {**_OPERATION, "not": {"required": ["field"]}},
            {"type": "boolean"},
        ]
    },
    'phải là đối tượng {"field": "<tên trường>", "in": ["<giá trị>", ...]} hoặc một biểu thức JsonLogic.',
)
CRITERION_REF = Shape(
    "criterion_ref",
    {"type": "string", "pattern": whole("[a-z][a-z0-9_]*")},
    lambda value: f"tiêu chí {value!r} chưa được khai báo trong scoring.criteria.",
)
CHOICE_VALUE = Shape(
    "choice_value",
    {"type": "string", "minLength": 1, "not": {"pattern": "^\\s|\\s$"}},
    "phải là chuỗi khác rỗng, không có khoảng trắng ở hai đầu.",
)
CHOICE = Shape(
    "choice",
    {
        "type": "object",
        "required": ["value", "label"],
        "additionalProperties": False,
        "properties": {"value": CHOICE_VALUE.ref(), "label": LABEL.ref()},
    },
    'phải là đối tượng {"value": ..., "label": ...}.',
    atomic=False,
)
CHOICES = Shape(
    "choices",
    {"type": "array", "minItems": 1, "items": CHOICE.ref()},
    "phải là danh sách lựa chọn không rỗng.",
    atomic=False,
)
