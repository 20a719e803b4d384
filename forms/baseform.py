"""The base of every generated WTForms class, and the field names it reserves.

A leaf module (WTForms and forms.messages only): the loader needs RESERVED_NAMES to refuse a
field called ``data`` or ``errors``, and the form-class builder needs DefinedForm; keeping both
here is what stops forms.definition and forms.formclass from importing each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import wtforms

from forms.expressions import holds
from forms.messages import DEFAULT_LOCALE

if TYPE_CHECKING:
    from forms.model import FieldDefinition, FormDefinition


class DefinedForm(wtforms.Form):
    """Base of every generated form class.

    ``evidence_ids`` is the set of evidence ids that file fields may refer to;
    without it every submitted id is rejected.
    """

    definition: FormDefinition
    locale: str = DEFAULT_LOCALE
    evidence_ids: frozenset[int] = frozenset()
    # Set by apply_logic: the fields whose visible_if is false, and the values conditions read.
    hidden: frozenset[str] = frozenset()
    logic_data: dict[str, Any]

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

    def validate(self, extra_validators=None) -> bool:
        self.apply_logic()
        return super().validate(extra_validators)

    def apply_logic(self) -> None:
        """Settle visibility and computed values, in field order, the way form_logic.js does.

        Each visible_if reads the values as settled so far: a field hidden earlier reads as empty
        to the fields after it. A hidden field's submitted value is dropped, whatever the browser
        did; a computed field's is replaced by what the server computes.
        """
        data = {name: field.logic_value() for name, field in self._fields.items()}
        hidden = set()
        for item in self.definition.fields:
            kind = item.field_type
            if not holds(item.visible_if, data):
                hidden.add(item.name)
                if item.has_value:
                    data[item.name] = kind.cleared_value()
                    self[item.name].clear(kind.cleared_value())
            elif item.has_value:
                data[item.name] = kind.logic_value(item, data)
                self[item.name].settle(data[item.name])
        self.hidden = frozenset(hidden)
        self.logic_data = data

    def error_items(self) -> dict[str, list[str]]:
        """Messages by field name; a repeating group's by cell, e.g. ``members[2].birth_year``."""
        found: dict[str, list[str]] = {}
        for field in self._fields.values():
            found.update(field.error_items())
        return found

    def json_data(self) -> dict[str, Any]:
        """JSON-safe clean values (None for empty or, after validate(), invalid fields)."""
        return {name: field.json_value() for name, field in self._fields.items()}


# Instance attributes (meta, form_errors, ...) count too: a field of that name would clobber them.
RESERVED_NAMES = frozenset(name for name in dir(DefinedForm()) if not name.startswith("_")) | {"csrf_token"}
