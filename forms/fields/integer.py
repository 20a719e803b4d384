"""``integer``: a whole number, with optional inclusive bounds."""

from __future__ import annotations

import re
from typing import Any

import wtforms
from wtforms import widgets

from forms.fields.base import (
    DefinedField,
    FieldType,
    JSONTypeError,
    check_order,
    is_number,
    number_text,
    within,
)
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE, format_number
from forms.shapes import INTEGER

_INTEGER = re.compile(r"[+-]?\d+")


class IntegerField(DefinedField, wtforms.Field):
    """Integer and score fields; a score is an integer from 0 to max_points."""

    def process_data(self, value):
        self.data = value if isinstance(value, int) and not isinstance(value, bool) else None

    def parse(self, valuelist):
        text = self.single(valuelist)
        if not text:
            return None
        if not _INTEGER.fullmatch(text):
            raise ValueError(self.msg("not_integer"))
        return int(text)

    def _value(self):
        return self._raw_or("" if self.data is None else str(self.data))

    def check(self, form):
        self.check_range("number")


class NumberType(FieldType):
    """Shared by the numeric types: JSON numbers in, bounds checked on load."""

    def attributes(self, item, ctx):
        attrs = {key: item.get(key) for key in ("min", "max")}
        check_order(ctx, attrs, "min", "max")
        return attrs

    def accepts_default(self, field, value):
        return within(value, field.min, field.max)

    def coerce_json(self, value: Any) -> list[str]:
        # A JSON string is not a number, not even "10"; a web form's strings never come through here.
        if is_number(value):
            return [number_text(value)]
        raise JSONTypeError("json_number")

    def display(self, field, value, locale=DEFAULT_LOCALE):
        return "" if value is None else format_number(value, locale)


@register
class IntegerType(NumberType):
    """A whole number, e.g. 7; ``min`` and ``max`` are inclusive."""

    name = "integer"
    order = 30
    keys = {"min": INTEGER, "max": INTEGER}
    field_class = IntegerField
    client_kind = "integer"

    def value_schema(self):
        return {"type": "integer"}

    def field_options(self, field, locale):
        return {"widget": widgets.NumberInput(step=1, min=field.min, max=field.max)}
