"""``note``: display-only text between fields; it holds no value."""

from __future__ import annotations

from forms.fields.base import FieldType
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE, localize
from forms.shapes import LABEL


@register
class NoteType(FieldType):
    """Display-only text (``text``, in Vietnamese and English) under a ``label``; no input, no value."""

    name = "note"
    order = 140
    has_value = False
    in_summary = False
    client_kind = "none"
    keys = {"text": LABEL}
    required_keys = ("text",)

    def attributes(self, item, ctx):
        return {"text": item.get("text")}

    def api_options(self, field, locale):
        return {"text": localize(field.options["text"], locale)}

    def display(self, field, value, locale=DEFAULT_LOCALE):
        return ""
