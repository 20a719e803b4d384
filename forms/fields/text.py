"""``text``: one line of text, with optional length limits and a whole-value pattern."""

from __future__ import annotations

import re
from typing import Any

import wtforms
from wtforms.validators import ValidationError

from forms.fields.base import DefinedField, FieldType, JSONTypeError, check_order, is_number, number_text
from forms.fields.registry import register
from forms.messages import localize
from forms.shapes import LABEL, NON_NEGATIVE_INTEGER, POSITIVE_INTEGER, REGEX


class TextField(DefinedField, wtforms.StringField):
    def process_data(self, value):
        self.data = value if isinstance(value, str) and value.strip() else None

    def normalize(self, value: str) -> str:
        return value

    def parse(self, valuelist):
        return self.normalize(self.single(valuelist)) or None

    def _value(self):
        return self.data or ""

    def check(self, form):
        definition = self.definition
        if definition.max_length is not None and len(self.data) > definition.max_length:
            raise ValidationError(self.msg("max_length", max=definition.max_length))
        if definition.min_length is not None and len(self.data) < definition.min_length:
            raise ValidationError(self.msg("min_length", min=definition.min_length))
        if definition.pattern is not None and not re.fullmatch(definition.pattern, self.data):
            custom = localize(definition.pattern_message, self.locale)
            raise ValidationError(custom or self.msg("pattern"))


@register
class TextType(FieldType):
    """One line of text; the clean value is the trimmed string."""

    name = "text"
    order = 10
    keys = {
        "min_length": NON_NEGATIVE_INTEGER,
        "max_length": POSITIVE_INTEGER,
        "pattern": REGEX,
        "pattern_message": LABEL,
    }
    dependent_keys = {"pattern_message": ("pattern",)}
    field_class = TextField

    def attributes(self, item, ctx):
        attrs = {key: item.get(key) for key in self.keys}
        check_order(ctx, attrs, "min_length", "max_length")
        if attrs["pattern"] is not None:
            try:
                re.compile(attrs["pattern"])
            except re.error as exc:
                ctx.error("pattern", f"biểu thức chính quy không hợp lệ: {exc}.")
                attrs["pattern"] = None
        return attrs

    def accepts_default(self, field, value):
        return field.max_length is None or len(value) <= field.max_length

    def field_options(self, field, locale):
        if field.max_length is None:
            return {}
        return {"render_kw": {"maxlength": field.max_length}}

    def coerce_json(self, value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if is_number(value):
            return [number_text(value)]
        raise JSONTypeError("json_string")

    def openapi_schema(self):
        return {"type": ["string", "number", "null"]}
