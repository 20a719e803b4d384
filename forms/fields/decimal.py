"""``decimal``: a number; 7, 7,5 (Vietnamese decimal comma) and 7.5 are all accepted."""

from __future__ import annotations

import re

import wtforms
from wtforms import widgets

from forms.fields.base import DefinedField
from forms.fields.integer import NumberType
from forms.fields.registry import register
from forms.messages import format_number
from forms.shapes import NUMBER

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class DecimalField(DefinedField, wtforms.Field):
    widget = widgets.TextInput()

    def process_data(self, value):
        valid = isinstance(value, int | float) and not isinstance(value, bool)
        self.data = float(value) if valid else None

    def parse(self, valuelist):
        text = self.single(valuelist).replace(" ", "")
        if not text:
            return None
        # Vietnamese writes 7,5 for 7.5.
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not _DECIMAL.fullmatch(text):
            raise ValueError(self.msg("not_decimal"))
        return float(text)

    def _value(self):
        return self._raw_or("" if self.data is None else format_number(self.data, self.locale))

    def check(self, form):
        self.check_range("number")


@register
class DecimalType(NumberType):
    """A number; the clean value is a float."""

    name = "decimal"
    order = 40
    keys = {"min": NUMBER, "max": NUMBER}
    field_class = DecimalField
    client_kind = "number"

    def value_schema(self):
        return {"type": "number"}

    def field_options(self, field, locale):
        # A text input, not type=number: a number input refuses the decimal comma.
        return {"render_kw": {"inputmode": "decimal"}}
