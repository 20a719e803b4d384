"""Run-time WTForms classes built from form definitions.

Each field type builds its own WTForms field (forms.fields); this module only puts them together.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from forms.baseform import RESERVED_NAMES, DefinedForm
from forms.messages import DEFAULT_LOCALE
from forms.model import FormDefinition

__all__ = ["RESERVED_NAMES", "DefinedForm", "build_form_class", "cached_form_class"]


def _class_name(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_")) + "Form"


def build_form_class(definition: FormDefinition, *, locale: str = DEFAULT_LOCALE) -> type[DefinedForm]:
    """A plain wtforms.Form subclass (no CSRF) with one field per value field of the definition.

    Each bound field exposes ``definition`` (its FieldDefinition) for templates;
    ``form.iter_layout()`` also yields the headings in order.
    """
    attrs: dict[str, Any] = {"definition": definition, "locale": locale}
    for field in definition.value_fields:
        attrs[field.name] = field.field_type.build_field(field, locale)
    return type(_class_name(definition.key), (DefinedForm,), attrs)


@lru_cache(maxsize=256)
def cached_form_class(definition: FormDefinition, locale: str = DEFAULT_LOCALE) -> type[DefinedForm]:
    """build_form_class, memoised on the definition's content hash and the locale."""
    return build_form_class(definition, locale=locale)
