"""``choice``: one value out of ``choices``."""

from __future__ import annotations

from typing import Any

import wtforms
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from forms.fields.base import DefinedField, FieldType, load_criterion
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE, localize, message
from forms.shapes import CHOICES, CRITERION_REF


def select_choices(field, locale: str) -> list[SelectChoice]:
    return [SelectChoice(value=value, label=localize(label, locale)) for value, label in field.choices]


def label_of(field, value: Any, locale: str) -> str:
    """The label of a choice value in a locale; an unknown value (an old answer) reads as itself."""
    labels = dict(field.choices)
    return localize(labels[value], locale) if value in labels else str(value)


class ChoiceField(DefinedField, wtforms.SelectField):
    required_message = "required_choice"

    def process_data(self, value):
        self.data = value if isinstance(value, str) and value else None

    def parse(self, valuelist):
        return self.single(valuelist) or None

    def check(self, form):
        if self.data not in self.definition.choice_values:
            raise ValidationError(self.msg("invalid_choice"))

    def condition_tokens(self) -> set[str]:
        return {self.data} if self.data else set()


@register
class ChoiceType(FieldType):
    """One value out of ``choices`` (a list of {"value", "label"}); the clean value is the value."""

    name = "choice"
    order = 60
    conditional = True
    # ``criterion`` makes the field an indicator of that criterion (the "levels" scoring rule).
    keys = {"choices": CHOICES, "criterion": CRITERION_REF}
    required_keys = ("choices",)
    field_class = ChoiceField

    def attributes(self, item, ctx):
        choices = []
        for index, choice in enumerate(item.get("choices", ())):
            # Items the schema refused were pruned (None, or without their bad keys).
            if not isinstance(choice, dict) or not {"value", "label"} <= choice.keys():
                continue
            if choice["value"] in (value for value, _ in choices):
                ctx.error(("choices", index, "value"), f'giá trị "{choice["value"]}" bị trùng.')
            else:
                choices.append((choice["value"], choice["label"]))
        return {"choices": tuple(choices), "criterion": load_criterion(item, ctx)}

    def accepts_default(self, field, value):
        return value in field.choice_values

    def field_options(self, field, locale):
        # Without an empty first option a browser silently submits the first choice.
        placeholder = SelectChoice(value="", label=message("placeholder", locale))
        return {"choices": [placeholder, *select_choices(field, locale)]}

    def display(self, field, value, locale=DEFAULT_LOCALE):
        return "" if value is None else label_of(field, value, locale)
