"""Run-time WTForms classes built from form definitions.

Every check lives in the fields' ``pre_validate`` so that messages come from
forms.messages (Vietnamese or English) rather than WTForms' catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import wtforms
from wtforms import widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from forms.messages import DEFAULT_LOCALE, format_date, format_number, localize, message

if TYPE_CHECKING:
    from forms.definition import FieldDefinition, FormDefinition

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_EVIDENCE_ID = re.compile(r"\d+")


class DefinedForm(wtforms.Form):
    """Base of every generated form class.

    ``evidence_ids`` is the set of evidence ids that file fields may refer to;
    without it every submitted id is rejected.
    """

    definition: FormDefinition
    locale: str = DEFAULT_LOCALE
    evidence_ids: frozenset[int] = frozenset()

    def __init__(
        self, formdata=None, obj=None, prefix="", data=None, meta=None, *, evidence_ids=None, **kwargs
    ):
        if evidence_ids is not None:
            self.evidence_ids = frozenset(evidence_ids)
        super().__init__(formdata, obj, prefix, data, meta, **kwargs)

    def iter_layout(self) -> Iterator[tuple[FieldDefinition, wtforms.Field | None]]:
        """Every definition field in order, with its bound field (None for headings)."""
        for definition in self.definition.fields:
            yield definition, (self[definition.name] if definition.has_value else None)

    def json_data(self) -> dict[str, Any]:
        """JSON-safe clean values (None for empty or, after validate(), invalid fields)."""
        return {name: field.json_value() for name, field in self._fields.items()}


# Instance attributes (meta, form_errors, ...) count too: a field of that name would clobber them.
RESERVED_NAMES = frozenset(name for name in dir(DefinedForm()) if not name.startswith("_")) | {"csrf_token"}


class _DefinedField:
    """Shared behaviour, mixed in front of a WTForms field class."""

    definition: FieldDefinition
    locale: str

    def __init__(self, label=None, validators=None, *, definition, locale, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.definition = definition
        self.locale = locale
        if definition.required:
            self.flags.required = True

    @classmethod
    def options(cls, definition: FieldDefinition, locale: str) -> dict[str, Any]:
        return {}

    def msg(self, key: str, **params: object) -> str:
        return message(key, self.locale, **params)

    def single(self, valuelist: list[str]) -> str:
        if len(valuelist) > 1:
            raise ValueError(self.msg("single_value"))
        return valuelist[0].strip() if valuelist else ""

    def process_formdata(self, valuelist):
        # A rejected value must not leave the default (or a stale value) behind as data.
        self.data = None
        self.data = self.parse(valuelist)

    def parse(self, valuelist: list[str]) -> Any:
        raise NotImplementedError

    def is_empty(self) -> bool:
        return self.data is None or self.data == []

    def is_required(self, form: DefinedForm) -> bool:
        condition = self.definition.required_if
        if condition is None:
            return self.definition.required
        return bool(form[condition.field].condition_tokens() & set(condition.values))

    def pre_validate(self, form: DefinedForm) -> None:
        if self.process_errors:
            raise StopValidation()
        if self.is_empty():
            raise StopValidation(self.msg("required") if self.is_required(form) else None)
        self.check(form)

    def check(self, form: DefinedForm) -> None:
        """Rules for a non-empty, well-formed value; raise ValidationError."""

    def check_range(self, kind: str, shown=format_number) -> None:
        low, high, value = self.definition.min, self.definition.max, self.data
        if (low is None or value >= low) and (high is None or value <= high):
            return
        low_text = shown(low, self.locale) if low is not None else None
        high_text = shown(high, self.locale) if high is not None else None
        if low is not None and high is not None:
            raise ValidationError(self.msg(f"{kind}_range", min=low_text, max=high_text))
        if low is not None:
            raise ValidationError(self.msg(f"{kind}_min", min=low_text))
        raise ValidationError(self.msg(f"{kind}_max", max=high_text))

    def json_value(self) -> Any:
        return None if self.errors or self.is_empty() else self.data

    def _raw_or(self, text: str) -> str:
        # After a rejected submission, show what the user typed rather than nothing.
        if self.raw_data:
            return self.raw_data[0]
        return text


class TextField(_DefinedField, wtforms.StringField):
    @classmethod
    def options(cls, definition, locale):
        if definition.max_length is None:
            return {}
        return {"render_kw": {"maxlength": definition.max_length}}

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


class TextAreaField(TextField):
    widget = widgets.TextArea()

    def normalize(self, value: str) -> str:
        # Browsers submit CRLF but count a line break as one character against maxlength.
        return value.replace("\r\n", "\n")


class IntegerField(_DefinedField, wtforms.Field):
    """Integer and score fields; a score is an integer from 0 to max_points."""

    @classmethod
    def options(cls, definition, locale):
        return {"widget": widgets.NumberInput(step=1, min=definition.min, max=definition.max)}

    def process_data(self, value):
        self.data = value if isinstance(value, int) and not isinstance(value, bool) else None

    def parse(self, valuelist):
        text = self.single(valuelist)
        if not text:
            return None
        if not _INTEGER.fullmatch(text):
            raise ValueError(self.msg("not_integer"))
        return int(text)

    def _value(self):
        return self._raw_or("" if self.data is None else str(self.data))

    def check(self, form):
        self.check_range("number")


class DecimalField(_DefinedField, wtforms.Field):
    widget = widgets.TextInput()

    @classmethod
    def options(cls, definition, locale):
        return {"render_kw": {"inputmode": "decimal"}}

    def process_data(self, value):
        valid = isinstance(value, int | float) and not isinstance(value, bool)
        self.data = float(value) if valid else None

    def parse(self, valuelist):
        text = self.single(valuelist).replace(" ", "")
        if not text:
            return None
        # Vietnamese writes 7,5 for 7.5.
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not _DECIMAL.fullmatch(text):
            raise ValueError(self.msg("not_decimal"))
        return float(text)

    def _value(self):
        return self._raw_or("" if self.data is None else format_number(self.data, self.locale))

    def check(self, form):
        self.check_range("number")


class DateField(_DefinedField, wtforms.Field):
    widget = widgets.DateInput()

    @classmethod
    def options(cls, definition, locale):
        bounds = {key: getattr(definition, key) for key in ("min", "max") if getattr(definition, key)}
        return {"render_kw": {key: value.isoformat() for key, value in bounds.items()}}

    def process_data(self, value):
        if isinstance(value, date):
            self.data = value
        else:
            self.data = _parse_date(value) if isinstance(value, str) else None

    def parse(self, valuelist):
        text = self.single(valuelist)
        if not text:
            return None
        parsed = _parse_date(text)
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


class ChoiceField(_DefinedField, wtforms.SelectField):
    @classmethod
    def options(cls, definition, locale):
        # Without an empty first option a browser silently submits the first choice.
        placeholder = SelectChoice(value="", label=message("placeholder", locale))
        return {"choices": [placeholder, *_select_choices(definition, locale)]}

    def process_data(self, value):
        self.data = value if isinstance(value, str) and value else None

    def parse(self, valuelist):
        return self.single(valuelist) or None

    def check(self, form):
        if self.data not in self.definition.choice_values:
            raise ValidationError(self.msg("invalid_choice"))

    def condition_tokens(self) -> set[str]:
        return {self.data} if self.data else set()


class MultiChoiceField(_DefinedField, wtforms.SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    @classmethod
    def options(cls, definition, locale):
        return {"choices": _select_choices(definition, locale)}

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


def _yesno(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("yes", "no"):
        return value == "yes"
    raise ValueError(value)


class YesNoField(_DefinedField, wtforms.RadioField):
    @classmethod
    def options(cls, definition, locale):
        # The coercion makes the "yes" option count as selected when data is True.
        return {"choices": _select_choices(definition, locale), "coerce": _yesno}

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


class EvidenceField(_DefinedField, wtforms.Field):
    """Evidence ids, submitted as repeated values and/or comma-separated ("3,4")."""

    widget = widgets.TextInput()

    def process_data(self, value):
        valid = isinstance(value, list | tuple) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
        self.data = list(value) if valid else []

    def parse(self, valuelist):
        tokens = [token.strip() for value in valuelist for token in value.split(",")]
        tokens = [token for token in tokens if token]
        if not all(_EVIDENCE_ID.fullmatch(token) for token in tokens):
            raise ValueError(self.msg("bad_evidence"))
        return list(dict.fromkeys(int(token) for token in tokens))

    def _value(self):
        if self.raw_data:
            return ",".join(self.raw_data)
        return ",".join(str(value) for value in self.data or ())

    def check(self, form):
        if len(self.data) > self.definition.max_files:
            raise ValidationError(self.msg("max_files", max=self.definition.max_files))
        if not set(self.data) <= form.evidence_ids:
            raise ValidationError(self.msg("bad_evidence"))


FIELD_CLASSES: dict[str, type[_DefinedField]] = {
    "text": TextField,
    "textarea": TextAreaField,
    "integer": IntegerField,
    "score": IntegerField,
    "decimal": DecimalField,
    "date": DateField,
    "choice": ChoiceField,
    "multichoice": MultiChoiceField,
    "yesno": YesNoField,
    "file": EvidenceField,
}


def _select_choices(definition: FieldDefinition, locale: str) -> list[SelectChoice]:
    return [SelectChoice(value=value, label=localize(label, locale)) for value, label in definition.choices]


def _parse_date(text: str) -> date | None:
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


def _class_name(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_")) + "Form"


def build_form_class(definition: FormDefinition, *, locale: str = DEFAULT_LOCALE) -> type[DefinedForm]:
    """A plain wtforms.Form subclass (no CSRF) with one field per value field of the definition.

    Each bound field exposes ``definition`` (its FieldDefinition) for templates;
    ``form.iter_layout()`` also yields the headings in order.
    """
    attrs: dict[str, Any] = {"definition": definition, "locale": locale}
    for field in definition.value_fields:
        field_class = FIELD_CLASSES[field.type]
        attrs[field.name] = field_class(
            label=field.label(locale),
            description=field.help(locale) or "",
            default=field.default,
            definition=field,
            locale=locale,
            **field_class.options(field, locale),
        )
    return type(_class_name(definition.key), (DefinedForm,), attrs)


@lru_cache(maxsize=256)
def cached_form_class(definition: FormDefinition, locale: str = DEFAULT_LOCALE) -> type[DefinedForm]:
    """build_form_class, memoised on the definition's content hash and the locale."""
    return build_form_class(definition, locale=locale)
