"""``group``: a repeating group, e.g. the household's members; each row has the same few fields.

Rows are posted as ``<group>-<n>-<field>`` (WTForms' FieldList of FormFields); the API takes a list of
objects. A row's fields are a subset of the types (ROW_TYPES) and have no conditions of their own;
errors are addressed per cell, ``members[2].birth_year``, with rows counted from 0 in posted order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import wtforms

from forms.baseform import RESERVED_NAMES, DefinedForm
from forms.expressions import holds
from forms.fields.base import COMMON_REQUIRED, FieldContext, FieldType, JSONTypeError
from forms.fields.registry import FIELD_TYPES, register
from forms.messages import DEFAULT_LOCALE, message
from forms.model import FieldDefinition, FormDefinition
from forms.multidict import MultiDict
from forms.shapes import NON_NEGATIVE_INTEGER, POSITIVE_INTEGER, SNAKE_CASE, Shape

ROW_TYPES = ("text", "textarea", "integer", "decimal", "date", "choice", "yesno")
# A row is filled in from a list: conditions, pre-filled paths and defaults belong to whole fields.
_NOT_IN_ROWS = ("visible_if", "required_if", "prefill", "default")


def _row_field_shape() -> Shape:
    names = [name for name in ROW_TYPES if name in FIELD_TYPES]
    kind = Shape(
        "row_field_type",
        {"enum": names},
        lambda value: (
            f"kiểu trường không dùng được trong nhóm lặp {value!r}; các kiểu được dùng: {', '.join(names)}."
        ),
    )
    dispatch = [
        {
            "if": {"required": ["type"], "properties": {"type": {"const": name}}},
            "then": FIELD_TYPES[name].definition_shape().ref(),
        }
        for name in names
    ]
    schema = {
        "type": "object",
        "required": list(COMMON_REQUIRED),
        "properties": {"name": SNAKE_CASE.ref(), "type": kind.ref()},
        "allOf": dispatch,
    }
    return Shape("row_field", schema, "phải là một đối tượng.", atomic=False)


class GroupField(wtforms.FieldList):
    """The rows, each a FormField around a small DefinedForm of the row's fields."""

    def __init__(self, unbound_field, label=None, validators=None, *, definition, locale, **kwargs):
        super().__init__(unbound_field, label, validators, min_entries=0, **kwargs)
        self.definition = definition
        self.locale = locale
        self.count_errors: list[str] = []

    def rows(self) -> list[DefinedForm]:
        return [entry.form for entry in self.entries]

    def logic_value(self) -> list[dict[str, Any]]:
        return [{name: cell.logic_value() for name, cell in row._fields.items()} for row in self.rows()]

    def json_value(self) -> list[dict[str, Any]]:
        return [row.json_data() for row in self.rows()]

    def settle(self, value):
        """Rows are what was submitted."""

    def clear(self, value=None):
        self.entries = []
        self.last_index = -1

    def validate(self, form, extra_validators=()):
        self.count_errors = []
        if self.short_name in getattr(form, "hidden", ()):
            self.errors = []
            return True
        super().validate(form, extra_validators)
        options = self.definition.options
        fewest = max(options["min_rows"] or 0, 1 if _required(self, form) else 0)
        if len(self.entries) < fewest:
            self.count_errors.append(message("min_rows", self.locale, min=fewest))
        if options["max_rows"] is not None and len(self.entries) > options["max_rows"]:
            self.count_errors.append(message("max_rows", self.locale, max=options["max_rows"]))
        return not self.error_items()

    def error_items(self) -> dict[str, list[str]]:
        found = {self.name: list(self.count_errors)} if self.count_errors else {}
        for index, row in enumerate(self.rows()):
            for name, texts in row.error_items().items():
                found[f"{self.name}[{index}].{name}"] = texts
        return found


def _required(field: GroupField, form) -> bool:
    condition = field.definition.required_when
    if condition is None:
        return field.definition.required
    return holds(condition, getattr(form, "logic_data", {}))


@dataclass(frozen=True)
class Row:
    """One row as the template draws it: its fields named for the row, their input values and errors."""

    fields: tuple[FieldDefinition, ...]
    values: MultiDict
    errors: dict[str, list[str]]


@register
class GroupType(FieldType):
    """A repeating group: ``fields`` (each row's fields), ``min_rows``, ``max_rows``; the clean value is a
    list of objects, one per row."""

    name = "group"
    order = 130
    allows_default = False
    client_kind = "group"
    required_keys = ("fields",)

    @property
    def keys(self):
        rows = Shape(
            "row_fields",
            {"type": "array", "minItems": 1, "items": _row_field_shape().ref()},
            "phải là danh sách trường không rỗng.",
            atomic=False,
        )
        return {"fields": rows, "min_rows": NON_NEGATIVE_INTEGER, "max_rows": POSITIVE_INTEGER}

    def value_schema(self):
        return {"type": "array", "items": {"type": "object"}}

    def attributes(self, item, ctx):
        rows: list[FieldDefinition] = []
        for index, sub in enumerate(item.get("fields", ())):
            if not isinstance(sub, dict) or sub.get("type") not in ROW_TYPES or "name" not in sub:
                continue
            path = ("fields", index)
            for key in _NOT_IN_ROWS:
                if key in sub:
                    ctx.error(path + (key,), "không dùng cho trường trong nhóm lặp.")
            if sub["name"] in RESERVED_NAMES:
                ctx.error(path + ("name",), f'tên "{sub["name"]}" trùng với tên dành riêng của biểu mẫu.')
            if any(row.name == sub["name"] for row in rows):
                ctx.error(path + ("name",), f'tên trường "{sub["name"]}" bị trùng trong nhóm.')
                continue
            row_ctx = FieldContext(ctx.path + path, ctx.criteria, ctx.report)
            rows.append(FIELD_TYPES[sub["type"]].load(sub, row_ctx))
        attrs = {
            "row_fields": tuple(rows),
            "min_rows": item.get("min_rows"),
            "max_rows": item.get("max_rows"),
        }
        low, high = attrs["min_rows"], attrs["max_rows"]
        if low is not None and high is not None and low > high:
            ctx.error("min_rows", f"min_rows ({low}) lớn hơn max_rows ({high}).")
        return attrs

    def row_names(self, field):
        return frozenset(row.name for row in field.options["row_fields"])

    def cleared_value(self):
        return []

    def api_options(self, field, locale):
        options = field.options
        return {
            "fields": [row.to_api(locale) for row in options["row_fields"]],
            "min_rows": options["min_rows"],
            "max_rows": options["max_rows"],
        }

    def build_field(self, field, locale):
        row_form = _row_form_class(field, locale)
        return GroupField(
            wtforms.FormField(row_form),
            label=field.label(locale),
            description=field.help(locale) or "",
            definition=field,
            locale=locale,
        )

    def claims(self, field, key):
        names = "|".join(re.escape(name) for name in self.row_names(field))
        return re.fullmatch(rf"{re.escape(field.name)}-\d+-(?:{names})", key) is not None

    def formdata_items(self, field, value):
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise JSONTypeError("json_rows")
        cells = {row.name: row for row in field.options["row_fields"]}
        items = []
        for index, row in enumerate(value):
            for name, cell in row.items():
                key = f"{field.name}-{index}-{name}"
                if name not in cells:
                    # Passed on, so that validate_submission reports it as not part of the form.
                    items.append((key, [str(cell)]))
                elif cell is not None:
                    try:
                        items.append((key, cells[name].formdata(cell)))
                    except JSONTypeError as exc:
                        raise JSONTypeError(exc.key, at=f"{field.name}[{index}].{name}") from exc
        return items

    def coerce_json(self, value):
        # A list of rows is not one input's strings; formdata_items spreads it over the rows' inputs.
        raise JSONTypeError("json_rows")

    def display(self, field, value, locale=DEFAULT_LOCALE):
        rows = value if isinstance(value, list) else []
        cells = field.options["row_fields"]
        shown = [
            ", ".join(
                cell.display(row.get(cell.name), locale) for cell in cells if row.get(cell.name) is not None
            )
            for row in rows
            if isinstance(row, dict)
        ]
        return "; ".join(text for text in shown if text)

    # -- the task page -------------------------------------------------------------------

    def rows(self, field: FieldDefinition, values, errors: dict[str, list[str]]) -> list[Row]:
        """The rows to draw from input values (pre-filled, or a rejected post), at least ``min_rows``.

        Rows are renumbered 0, 1, ... in posted order, the order the server's messages count in.
        """
        pattern = re.compile(rf"{re.escape(field.name)}-(\d+)-(.+)")
        posted: dict[int, MultiDict] = {}
        for key in values.keys():
            found = pattern.fullmatch(key)
            if found:
                posted.setdefault(int(found.group(1)), MultiDict()).setlist(
                    found.group(2), values.getlist(key)
                )
        cells = [posted[index] for index in sorted(posted)]
        cells += [MultiDict() for _ in range((field.options["min_rows"] or 0) - len(cells))]
        return [self.row(field, position, given, errors) for position, given in enumerate(cells)]

    def row(self, field: FieldDefinition, position: int | str, given=None, errors=None) -> Row:
        """Row ``position`` (``"__index__"`` for the template the browser copies to add a row)."""
        given, errors = given or MultiDict(), errors or {}
        fields, values, row_errors = [], MultiDict(), {}
        for cell in field.options["row_fields"]:
            renamed = replace(cell, name=f"{field.name}-{position}-{cell.name}")
            fields.append(renamed)
            values.setlist(renamed.name, given.getlist(cell.name))
            row_errors[renamed.name] = errors.get(f"{field.name}[{position}].{cell.name}", [])
        return Row(tuple(fields), values, row_errors)


def _row_form_class(field: FieldDefinition, locale: str) -> type[DefinedForm]:
    rows = field.options["row_fields"]
    row = FormDefinition(
        key=field.name,
        title_text=field.label_text,
        description_text=None,
        fields=rows,
        scoring=None,
        raw={},
        sha256="",
    )
    attrs: dict[str, Any] = {"definition": row, "locale": locale}
    attrs |= {cell.name: cell.field_type.build_field(cell, locale) for cell in rows}
    return type(f"{field.name.title().replace('_', '')}Row", (DefinedForm,), attrs)
