"""``computed``: a value the form works out from other fields (a total, a share), never typed in."""

from __future__ import annotations

from typing import Any

import wtforms
from wtforms.validators import StopValidation

from forms.expressions import evaluate
from forms.fields.base import DefinedField, FieldType, is_number
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE, format_number, message
from forms.shapes import EXPRESSION


class ComputedField(DefinedField, wtforms.Field):
    """Holds what DefinedForm.apply_logic computed; whatever was submitted for it is ignored."""

    def process_formdata(self, valuelist):
        self.data = None

    def process_data(self, value):
        self.data = None

    def settle(self, value):
        self.data = value

    def pre_validate(self, form):
        raise StopValidation()


@register
class ComputedType(FieldType):
    """A value computed from other fields by a JsonLogic ``expression``, shown live and recomputed on the
    server."""

    name = "computed"
    order = 120
    allows_default = False
    client_kind = "computed"
    keys = {"expression": EXPRESSION}
    required_keys = ("expression",)
    field_class = ComputedField

    def properties(self):
        # Nobody types it, so nothing about it can be required or pre-filled.
        props = super().properties()
        for key in ("required", "required_if", "prefill"):
            props.pop(key)
        return props

    def value_schema(self):
        return {"type": ["number", "string", "boolean", "null"]}

    def attributes(self, item, ctx):
        return {"expression": item.get("expression")}

    def expressions(self, field):
        return super().expressions(field) | {"expression": field.options["expression"]}

    def logic_value(self, field, data):
        return evaluate(field.options["expression"], data)

    def formdata_items(self, field, value):
        return []

    def coerce_json(self, value: Any) -> list[str]:
        return []

    def openapi_schema(self):
        return {**super().openapi_schema(), "description": "Ignored: the server computes it."}

    def display(self, field, value, locale=DEFAULT_LOCALE):
        if value is None:
            return ""
        if isinstance(value, bool):
            return message("yes" if value else "no", locale)
        return format_number(value, locale) if is_number(value) else str(value)
