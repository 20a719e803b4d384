"""``multichoice``: any number of values out of ``choices`` (a repeated input name)."""

from __future__ import annotations

from typing import Any

import wtforms
from wtforms import widgets
from wtforms.validators import ValidationError

from forms.fields.base import DefinedField, JSONTypeError, check_order
from forms.fields.choice import ChoiceType, label_of, select_choices
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE
from forms.shapes import CHOICES, NON_NEGATIVE_INTEGER, POSITIVE_INTEGER


class MultiChoiceField(DefinedField, wtforms.SelectMultipleField):
    required_message = "required_choices"

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def process_data(self, value):
        self.data = [v for v in value if isinstance(v, str)] if isinstance(value, list | tuple) else []

    def parse(self, valuelist):
        return list(dict.fromkeys(v.strip() for v in valuelist if v.strip()))

    def check(self, form):
        definition = self.definition
        if any(value not in definition.choice_values for value in self.data):
            raise ValidationError(self.msg("invalid_choice"))
        if definition.min_items is not None and len(self.data) < definition.min_items:
            raise ValidationError(self.msg("min_items", min=definition.min_items))
        if definition.max_items is not None and len(self.data) > definition.max_items:
            raise ValidationError(self.msg("max_items", max=definition.max_items))

    def condition_tokens(self) -> set[str]:
        return set(self.data or ())


@register
class MultiChoiceType(ChoiceType):
    """Any number of values out of ``choices``; the clean value is a list without duplicates."""

    name = "multichoice"
    order = 70
    keys = {"choices": CHOICES, "min_items": NON_NEGATIVE_INTEGER, "max_items": POSITIVE_INTEGER}
    field_class = MultiChoiceField
    client_kind = "strings"

    def value_schema(self):
        return {"type": "array", "items": {"type": "string"}}

    def attributes(self, item, ctx):
        attrs = super().attributes(item, ctx) | {key: item.get(key) for key in ("min_items", "max_items")}
        check_order(ctx, attrs, "min_items", "max_items")
        offered = len(item.get("choices", ()))
        if attrs["min_items"] is not None and "choices" in item and attrs["min_items"] > offered:
            ctx.error("min_items", f"lớn hơn số lựa chọn hiện có ({offered}).")
        return attrs

    def accepts_default(self, field, value):
        return all(v in field.choice_values for v in value)

    def condition_logic(self, field, values):
        return {"or": [{"in": [value, {"var": field.name}]} for value in values]}

    def field_options(self, field, locale):
        return {"choices": select_choices(field, locale)}

    def coerce_json(self, value: Any) -> list[str]:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        raise JSONTypeError("json_string_list")

    def display(self, field, value, locale=DEFAULT_LOCALE):
        chosen = value if isinstance(value, list) else [] if value is None else [value]
        return ", ".join(label_of(field, v, locale) for v in chosen)
