"""``yesno``: yes or no; the clean value is true or false."""

from __future__ import annotations

from typing import Any

import wtforms

from forms.fields.base import DefinedField, FieldType, JSONTypeError
from forms.fields.choice import select_choices
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE, MESSAGES, message

# As (value, label-like) pairs, so that templates and to_api treat yes/no like any other choice.
YESNO_CHOICES = tuple(
    (value, {locale: catalog[value] for locale, catalog in MESSAGES.items()}) for value in ("yes", "no")
)


def _yesno(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("yes", "no"):
        return value == "yes"
    raise ValueError(value)


class YesNoField(DefinedField, wtforms.RadioField):
    required_message = "required_choice"

    def process_data(self, value):
        if isinstance(value, bool):
            self.data = value
        else:
            self.data = {"yes": True, "no": False}.get(value) if isinstance(value, str) else None

    def parse(self, valuelist):
        text = self.single(valuelist).lower()
        if not text:
            return None
        if text not in ("yes", "no"):
            raise ValueError(self.msg("invalid_choice"))
        return text == "yes"

    def condition_tokens(self) -> set[str]:
        return set() if self.data is None else {"yes" if self.data else "no"}


@register
class YesNoType(FieldType):
    """Yes or no (Có/Không); the clean value is true or false."""

    name = "yesno"
    order = 80
    conditional = True
    field_class = YesNoField
    client_kind = "boolean"

    def value_schema(self):
        return {"type": "boolean"}

    def attributes(self, item, ctx):
        return {"choices": YESNO_CHOICES}

    def condition_logic(self, field, values):
        return {"or": [{"===": [{"var": field.name}, value == "yes"]} for value in values]}

    def field_options(self, field, locale):
        # The coercion makes the "yes" option count as selected when data is True.
        return {"choices": select_choices(field, locale), "coerce": _yesno}

    def coerce_json(self, value: Any) -> list[str]:
        # The form's "yes"/"no" are how a web page posts it; over JSON it is a boolean.
        if isinstance(value, bool):
            return ["yes" if value else "no"]
        raise JSONTypeError("json_boolean")

    def display(self, field, value, locale=DEFAULT_LOCALE):
        if value is None:
            return ""
        return message("yes" if value in (True, "yes") else "no", locale)
