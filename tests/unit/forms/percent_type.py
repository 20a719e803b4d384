"""``percent``: a share from 0 to 100, typed as 12,5 or 12.5, with or without a % sign."""

from __future__ import annotations

import re
from typing import Any

import wtforms
from wtforms import widgets

from forms.fields import DefinedField, FieldType, JSONTypeError, register
from forms.fields.base import check_order, is_number, number_text, within
from forms.messages import DEFAULT_LOCALE, format_number
from forms.shapes import Shape

# A value shape: its JSON Schema and the message for a value that does not fit it.
PERCENTAGE = Shape("percentage", {"type": "number", "minimum": 0, "maximum": 100}, "phải là số từ 0 đến 100.")
_NUMBER = re.compile(r"\d+(\.\d*)?|\.\d+")


class PercentField(DefinedField, wtforms.Field):
    """Parses and checks a submitted value; messages come from forms.messages."""

    widget = widgets.TextInput()

    def process_data(self, value):
        self.data = float(value) if is_number(value) else None

    def parse(self, valuelist):
        text = self.single(valuelist).removesuffix("%").replace(" ", "").replace(",", ".")
        if not text:
            return None
        if not _NUMBER.fullmatch(text):
            raise ValueError(self.msg("not_decimal"))
        return float(text)

    def _value(self):
        return self._raw_or("" if self.data is None else format_number(self.data, self.locale))

    def check(self, form):
        self.check_range("number")


@register
class PercentType(FieldType):
    """A share in percent, 0 to 100 unless ``min``/``max`` narrow it; the clean value is a float."""

    name = "percent"
    macro = "decimal_field"  # drawn like a decimal: a text input that accepts a decimal comma
    keys = {"min": PERCENTAGE, "max": PERCENTAGE}
    field_class = PercentField

    def value_schema(self):
        return dict(PERCENTAGE.schema)

    def attributes(self, item, ctx):
        attrs = {"min": item.get("min", 0), "max": item.get("max", 100)}
        check_order(ctx, attrs, "min", "max")
        return attrs

    def accepts_default(self, field, value):
        return within(value, field.min, field.max)

    def field_options(self, field, locale):
        return {"render_kw": {"inputmode": "decimal"}}

    def coerce_json(self, value: Any) -> list[str]:
        if is_number(value):
            return [number_text(value)]
        raise JSONTypeError("json_number")

    def display(self, field, value, locale=DEFAULT_LOCALE):
        return "" if value is None else f"{format_number(value, locale)} %"
