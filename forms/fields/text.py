"""``text``: one line of text, with optional length limits and a whole-value pattern."""

from __future__ import annotations

import re

import wtforms
from wtforms.validators import ValidationError

from forms.fields.base import DefinedField, FieldType, check_order
from forms.fields.registry import register
from forms.messages import localize
from forms.shapes import LABEL, NON_NEGATIVE_INTEGER, POSITIVE_INTEGER, REGEX

# The bound of a field whose definition gives no max_length: an answer is kept in its submission's JSON
# and shown on the dossier's page, so it has one all the same, far beyond any note or reason.
DEFAULT_MAX_LENGTH = 10_000


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
        maximum = definition.field_type.max_length(definition)
        if len(self.data) > maximum:
            raise ValidationError(self.msg("max_length", max=maximum, n=len(self.data)))
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

    def max_length(self, field) -> int:
        """The most characters an answer may have: the definition's max_length, else the default."""
        return field.max_length if field.max_length is not None else DEFAULT_MAX_LENGTH

    def accepts_default(self, field, value):
        return field.max_length is None or len(value) <= field.max_length

    def field_options(self, field, locale):
        if field.max_length is None:
            return {}
        return {"render_kw": {"maxlength": field.max_length}}
