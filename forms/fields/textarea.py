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

    def field_options(self, field, locale):
        # Not maxlength: a browser silently cuts a pasted text at it, mid-word. The server refuses a
        # longer answer saying by how much, and app.js counts the characters as they are typed.
        return {"render_kw": {"data-maxlength": self.max_length(field)}}
