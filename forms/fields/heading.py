"""``heading``: a section heading between fields; it holds no value."""

from __future__ import annotations

from forms.fields.base import FieldType
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE


@register
class HeadingType(FieldType):
    """A section heading: only ``label`` and ``help``, no input and no value."""

    name = "heading"
    order = 110
    has_value = False
    in_summary = False
    client_kind = "none"

    def display(self, field, value, locale=DEFAULT_LOCALE):
        return ""
