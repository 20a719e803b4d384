"""``date``: a calendar date, typed as YYYY-MM-DD or dd/mm/yyyy; stored as ISO."""

from __future__ import annotations

import re
from datetime import date

import wtforms
from wtforms import widgets

from forms.fields.base import DefinedField, FieldType, check_order, within
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE, format_date
from forms.shapes import ISO_DATE

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(text: str) -> date | None:
    """An ISO or Vietnamese (dd/mm/yyyy) date; None if it is neither or not on the calendar."""
    iso = _ISO_DATE.fullmatch(text)
    vietnamese = _VN_DATE.fullmatch(text)
    if iso:
        year, month, day = iso.groups()
    elif vietnamese:
        day, month, year = vietnamese.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_iso_date(value: str) -> date | None:
    return parse_date(value) if _ISO_DATE.fullmatch(value) else None


class DateField(DefinedField, wtforms.Field):
    widget = widgets.DateInput()

    def process_data(self, value):
        if isinstance(value, date):
            self.data = value
        else:
            self.data = parse_date(value) if isinstance(value, str) else None

    def parse(self, valuelist):
        text = self.single(valuelist)
        if not text:
            return None
        parsed = parse_date(text)
        if parsed is None:
            raise ValueError(self.msg("bad_date"))
        return parsed

    def _value(self):
        # <input type="date"> only understands ISO dates.
        return self._raw_or("" if self.data is None else self.data.isoformat())

    def check(self, form):
        self.check_range("date", shown=format_date)

    def json_value(self):
        value = super().json_value()
        return None if value is None else value.isoformat()


@register
class DateType(FieldType):
    """A date; ``min`` and ``max`` are inclusive ISO dates ("2025-01-01")."""

    name = "date"
    order = 50
    keys = {"min": ISO_DATE, "max": ISO_DATE}
    field_class = DateField

    def value_schema(self):
        return dict(ISO_DATE.schema)

    def attributes(self, item, ctx):
        attrs = {}
        for key in ("min", "max"):
            if key in item:
                attrs[key] = parse_iso_date(item[key])
                if attrs[key] is None:
                    ctx.error(key, ISO_DATE.describe(item[key]))
        check_order(ctx, attrs, "min", "max")
        return attrs

    def accepts_default(self, field, value):
        parsed = parse_iso_date(value)
        return parsed is not None and within(parsed, field.min, field.max)

    def field_options(self, field, locale):
        bounds = {key: getattr(field, key) for key in ("min", "max") if getattr(field, key)}
        return {"render_kw": {key: value.isoformat() for key, value in bounds.items()}}

    def openapi_schema(self):
        return {"type": ["string", "null"], "description": "YYYY-MM-DD or dd/mm/yyyy"}

    def display(self, field, value, locale=DEFAULT_LOCALE):
        parsed = parse_iso_date(value) if isinstance(value, str) else None
        return format_date(parsed, locale) if parsed else ("" if value is None else str(value))
