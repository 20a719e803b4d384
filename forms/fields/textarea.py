"""``textarea``: long text; the same keys and rules as ``text``."""

from __future__ import annotations

from wtforms import widgets

from forms.fields.registry import register
from forms.fields.text import TextField, TextType


class TextAreaField(TextField):
    widget = widgets.TextArea()

    def normalize(self, value: str) -> str:
        # Browsers submit CRLF but count a line break as one character against maxlength.
        return value.replace("\r\n", "\n")


@register
class TextAreaType(TextType):
    """Long text; the clean value is trimmed, with line breaks as \\n."""

    name = "textarea"
    order = 20
    field_class = TextAreaField
