"""The JSON Schema of a whole definition, assembled from the document's own shapes and the
sub-schema of every registered field type."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from forms.fields import FIELD_TYPES, FieldType
from forms.fields.base import COMMON_REQUIRED
from forms.shapes import (
    BOOLEAN,
    LABEL,
    NON_NEGATIVE_INTEGER,
    POSITIVE_INTEGER,
    SNAKE_CASE,
    Ref,
    Shape,
    whole,
)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
NOT_AN_OBJECT = "phải là một đối tượng."

FLOOR_RATIO = Shape("floor_ratio", {"type": "number", "minimum": 0, "maximum": 1}, "phải là số từ 0 đến 1.")
VARIABLE_NAME = Shape(
    "variable_name",
    {"type": "string", "pattern": whole("[A-Za-z_][A-Za-z0-9_]*")},
    "phải là tên biến hợp lệ (chữ, số, dấu gạch dưới).",
)
OUTPUTS = Shape(
    "outputs",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "total": VARIABLE_NAME.ref(),
            "passed": VARIABLE_NAME.ref(),
            "rating": VARIABLE_NAME.ref(),
        },
    },
    'phải là đối tượng dạng {"total": "...", "passed": "...", "rating": "..."}.',
    atomic=False,
    unknown_message=lambda key: 'khóa không được hỗ trợ (chỉ có "total", "passed", "rating").',
)
CRITERION = Shape(
    "criterion",
    {
        "type": "object",
        # max_points is required by the point rules and refused by "levels": checked in code.
        "required": ["key", "label"],
        "additionalProperties": False,
        "properties": {
            "key": SNAKE_CASE.ref(),
            "label": LABEL.ref(),
            "max_points": POSITIVE_INTEGER.ref(),
            "floor": NON_NEGATIVE_INTEGER.ref(),
            "evidence_required": BOOLEAN.ref(),
            "reconstructed": BOOLEAN.ref(),
        },
    },
    NOT_AN_OBJECT,
    atomic=False,
)
CRITERIA = Shape(
    "criteria",
    {"type": "array", "minItems": 1, "items": CRITERION.ref()},
    "phải là danh sách tiêu chí không rỗng.",
    atomic=False,
)
BAND = Shape(
    "band",
    {
        "type": "object",
        "required": ["code", "label", "min_total"],
        "additionalProperties": False,
        "properties": {
            "code": SNAKE_CASE.ref(),
            "label": LABEL.ref(),
            "min_total": NON_NEGATIVE_INTEGER.ref(),
        },
    },
    NOT_AN_OBJECT,
    atomic=False,
)
LEVEL = Shape(
    "level",
    {
        "type": "object",
        "required": ["code", "label"],
        "additionalProperties": False,
        "properties": {"code": SNAKE_CASE.ref(), "label": LABEL.ref()},
    },
    NOT_AN_OBJECT,
    atomic=False,
)


def _rule_kind(kind: str, properties: dict[str, Any], required: list[str]) -> Shape:
    """One closed sub-schema per rule kind, picked by ``kind`` like a field's by its ``type``."""
    return Shape(
        f"rule_{kind}",
        {
            "type": "object",
            "required": ["kind", *required],
            "additionalProperties": False,
            "properties": {"kind": {"const": kind}, **properties},
        },
        NOT_AN_OBJECT,
        atomic=False,
        unknown_message=lambda key: f'khóa không được hỗ trợ với quy tắc "{kind}".',
        missing_message=lambda key: f'bắt buộc với quy tắc "{kind}".',
    )


RULE_KINDS = {
    "threshold": _rule_kind(
        "threshold",
        {"pass_total": NON_NEGATIVE_INTEGER.ref(), "criterion_floor_ratio": FLOOR_RATIO.ref()},
        ["pass_total"],
    ),
    "bands": _rule_kind(
        "bands",
        {
            "bands": Shape(
                "bands",
                {"type": "array", "minItems": 1, "items": BAND.ref()},
                "phải là danh sách mức xếp loại không rỗng.",
                atomic=False,
            ).ref(),
            "pass_from": SNAKE_CASE.ref(),
            "criterion_floor_ratio": FLOOR_RATIO.ref(),
        },
        ["bands", "pass_from"],
    ),
    "levels": _rule_kind(
        "levels",
        {
            "levels": Shape(
                "levels",
                {"type": "array", "minItems": 1, "items": LEVEL.ref()},
                "phải là danh sách mức độ không rỗng.",
                atomic=False,
            ).ref()
        },
        ["levels"],
    ),
}
RULE = Shape(
    "rule",
    {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": Shape(
                "rule_kind",
                {"enum": list(RULE_KINDS)},
                f"phải là một trong: {', '.join(RULE_KINDS)}.",
            ).ref()
        },
        "allOf": [
            {"if": {"required": ["kind"], "properties": {"kind": {"const": kind}}}, "then": shape.ref()}
            for kind, shape in RULE_KINDS.items()
        ],
    },
    NOT_AN_OBJECT,
    atomic=False,
)
KNOCKOUT = Shape(
    "knockout",
    {
        "type": "object",
        "required": ["field", "in", "message"],
        "additionalProperties": False,
        "properties": {
            "field": {"type": "string"},
            # Whether a value suits the field (a choice of it, points within range) is checked in code.
            "in": {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}},
            "message": LABEL.ref(),
        },
    },
    'phải là đối tượng {"field": "<tên trường>", "in": [<giá trị>, ...], "message": ...}.',
    atomic=False,
)
SCORING = Shape(
    "scoring",
    {
        "type": "object",
        # Without "rule" the section is the threshold rule written flat (pass_total at the top):
        # which of the two forms is used is checked in code.
        "required": ["criteria"],
        "additionalProperties": False,
        "properties": {
            "criteria": CRITERIA.ref(),
            "pass_total": NON_NEGATIVE_INTEGER.ref(),
            "criterion_floor_ratio": FLOOR_RATIO.ref(),
            "rule": RULE.ref(),
            "knockouts": Shape(
                "knockouts", {"type": "array", "items": KNOCKOUT.ref()}, "phải là danh sách.", atomic=False
            ).ref(),
            "outputs": OUTPUTS.ref(),
        },
    },
    NOT_AN_OBJECT,
    atomic=False,
)


def field_shape(types: Mapping[str, FieldType]) -> Shape:
    """Any field: the common keys here, the rest in the sub-schema its ``type`` selects."""
    names = list(types)
    field_type = Shape(
        "field_type",
        {"enum": names},
        lambda value: f"kiểu trường không hợp lệ {value!r}; các kiểu hợp lệ: {', '.join(names)}.",
    )
    dispatch = [
        {
            "if": {"required": ["type"], "properties": {"type": {"const": name}}},
            "then": kind.definition_shape().ref(),
        }
        for name, kind in types.items()
    ]
    schema = {
        "type": "object",
        "required": list(COMMON_REQUIRED),
        "properties": {"name": SNAKE_CASE.ref(), "type": field_type.ref()},
        "allOf": dispatch,
    }
    return Shape("field", schema, NOT_AN_OBJECT, atomic=False)


# The documents a criteria set follows (decision number, date, issuer): shown on the form and in the API.
LEGAL_BASIS = Shape(
    "legal_basis",
    {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["number", "issuer"],
            "additionalProperties": False,
            "properties": {
                "number": {"type": "string", "minLength": 1, "maxLength": 100},
                "date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                "issuer": {"type": "string", "minLength": 1, "maxLength": 200},
                "title": {"type": "string", "maxLength": 500},
            },
        },
    },
    "phải là danh sách văn bản {number, date (YYYY-MM-DD), issuer, title}.",
)


def form_shape(types: Mapping[str, FieldType]) -> Shape:
    fields = Shape(
        "fields",
        {"type": "array", "minItems": 1, "items": field_shape(types).ref()},
        "phải là danh sách trường không rỗng.",
        atomic=False,
    )
    schema = {
        "type": "object",
        "required": ["key", "title", "fields"],
        "additionalProperties": False,
        "properties": {
            "key": SNAKE_CASE.ref(),
            "title": LABEL.ref(),
            "description": LABEL.ref(),
            "legal_basis": LEGAL_BASIS.ref(),
            "fields": fields.ref(),
            "scoring": SCORING.ref(),
        },
    }
    return Shape("form", schema, "Định nghĩa biểu mẫu phải là một đối tượng JSON.", atomic=False)


def build(types: Mapping[str, FieldType] = FIELD_TYPES) -> tuple[dict[str, Any], dict[str, Shape]]:
    """The schema as plain JSON, and every shape it uses by ``$defs`` name (the root as "form")."""
    root = form_shape(types)
    shapes: dict[str, Shape] = {}
    _collect(root.schema, shapes)
    document = {
        "$schema": DIALECT,
        "title": "Form definition",
        "description": (
            "A form of a BPMN user task (docs/forms.md). Generated from the field types in forms/fields "
            "by `python -m forms.schema`; do not edit by hand. Meaning (references to other fields, "
            "criteria sums, ordered bounds, regular expressions) is checked by load_form_definition."
        ),
        **root.schema,
        "$defs": {name: shapes[name].schema for name in sorted(shapes)},
    }
    # A JSON round trip turns the Ref helpers into plain dicts.
    return json.loads(json.dumps(document)), {**shapes, "form": root}


def _collect(node: Any, shapes: dict[str, Shape]) -> None:
    """Every shape that ``node`` refers to, directly or through other shapes."""
    if isinstance(node, Ref):
        _add(node.shape, shapes)
    elif isinstance(node, Mapping):
        for value in node.values():
            _collect(value, shapes)
    elif isinstance(node, list | tuple):
        for value in node:
            _collect(value, shapes)


def _add(shape: Shape, shapes: dict[str, Shape]) -> None:
    known = shapes.get(shape.name)
    if known is None:
        shapes[shape.name] = shape
        _collect(shape.schema, shapes)
    elif known.schema != shape.schema:
        # Two types defining a shape of the same name differently would silently share one.
        raise ValueError(f"two different shapes are called {shape.name!r}")
