"""``file``: evidence of the dossier, by id."""

from __future__ import annotations

import re
from typing import Any

import wtforms
from wtforms import widgets
from wtforms.validators import ValidationError

from forms.fields.base import DefinedField, FieldType, JSONTypeError, load_criterion
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE
from forms.shapes import CRITERION_REF, POSITIVE_INTEGER

DEFAULT_MAX_FILES = 10
_EVIDENCE_ID = re.compile(r"\d+")


class EvidenceField(DefinedField, wtforms.Field):
    """Evidence ids, submitted as repeated values and/or comma-separated ("3,4")."""

    required_message = "required_file"

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


@register
class FileType(FieldType):
    """Evidence ids of the dossier (at most ``max_files``, default 10), optionally for a criterion."""

    name = "file"
    order = 90
    # An evidence list is never pre-set: ids only make sense for one dossier.
    allows_default = False
    in_summary = False  # the dossier page lists evidence on its own
    refers_to_evidence = True
    keys = {"criterion": CRITERION_REF, "max_files": POSITIVE_INTEGER}
    field_class = EvidenceField
    client_kind = "ids"

    def value_schema(self):
        return {"type": "array", "items": {"type": "integer"}}

    def attributes(self, item, ctx):
        return {
            "max_files": item.get("max_files", DEFAULT_MAX_FILES),
            "criterion": load_criterion(item, ctx),
        }

    def coerce_json(self, value: Any) -> list[str]:
        if isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value):
            return [str(item) for item in value]
        raise JSONTypeError("json_id_list")

    def openapi_schema(self):
        return {**super().openapi_schema(), "description": "evidence ids"}

    def display(self, field, value, locale=DEFAULT_LOCALE):
        return ", ".join(str(v) for v in value or ())
