"""Server-side validation of submissions, from HTML forms or JSON payloads."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from forms.baseform import DefinedForm
from forms.expressions import holds
from forms.fields import JSONTypeError
from forms.formclass import cached_form_class
from forms.messages import DEFAULT_LOCALE, message
from forms.model import FieldDefinition, FormDefinition
from forms.multidict import MultiDict
from forms.scoring import missing_evidence

PAYLOAD_ERROR_KEY = "_payload"


@dataclass(frozen=True, eq=False)
class SubmissionResult:
    valid: bool
    data: dict[str, Any]
    errors: dict[str, list[str]]
    form: DefinedForm


def validate_submission(
    definition: FormDefinition,
    formdata: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    evidence_ids: Collection[int] = frozenset(),
    reject_unknown: bool = True,
    ignore: Iterable[str] = ("csrf_token",),
) -> SubmissionResult:
    """Validate submitted form data against a definition.

    ``formdata`` is a multi-dict (anything with ``getlist`` and ``keys``, e.g.
    Werkzeug's ``request.form``) or a plain mapping. ``data`` in the result
    holds a JSON-safe clean value for every value field (None when empty or
    invalid).
    """
    if formdata is None:
        formdata = MultiDict()
    elif not hasattr(formdata, "getlist"):
        formdata = MultiDict(formdata)
    form = cached_form_class(definition, locale)(formdata, evidence_ids=evidence_ids)
    form.validate()
    errors = form.error_items()
    data = form.json_data()
    applies = partial(_condition_holds, form)
    for name, texts in missing_evidence(definition, data, applies=applies, locale=locale).items():
        errors.setdefault(name, []).extend(texts)
    if reject_unknown:
        known = {"csrf_token", *ignore}
        fields = definition.value_fields
        for key in formdata.keys():
            if key not in known and not any(field.field_type.claims(field, key) for field in fields):
                errors.setdefault(key, []).append(message("unknown_field", locale))
    return SubmissionResult(valid=not errors, data=data, errors=errors, form=form)


def _condition_holds(form: DefinedForm, field: FieldDefinition) -> bool:
    # Like the service's scores: a score required only when the step accepts claims nothing on a return.
    if field.name in form.hidden:
        return False
    return holds(field.required_when, form.logic_data)


def formdata_from_json(
    definition: FormDefinition, payload: Mapping[str, Any], *, locale: str = DEFAULT_LOCALE
) -> tuple[MultiDict, dict[str, list[str]]]:
    """Turn a JSON API payload into form data for validate_submission.

    Values of the wrong JSON type are left out of the form data and reported
    in the returned errors (keyed by field name; a payload that is not an
    object is reported under "_payload"). A null value means "empty". Keys
    that are not fields of the form are passed through so that
    validate_submission reports them.
    """
    formdata = MultiDict()
    errors: dict[str, list[str]] = {}
    if not isinstance(payload, Mapping):
        return formdata, {PAYLOAD_ERROR_KEY: [message("json_payload", locale)]}
    fields = {field.name: field for field in definition.value_fields}
    for key, value in payload.items():
        field = fields.get(key)
        if field is None:
            formdata.setlist(key, value if isinstance(value, list) else [value])
            continue
        if value is None:
            continue
        try:
            for name, strings in field.field_type.formdata_items(field, value):
                formdata.setlist(name, strings)
        except JSONTypeError as exc:
            errors[exc.at or key] = [message(exc.key, locale)]
    return formdata, errors


def input_values(definition: FormDefinition, data: Mapping[str, Any]) -> MultiDict:
    """Clean values (pre-filled, or stored) as the input strings a task page shows, a group's per cell.

    A value of the wrong type (a path into an older form's answers) is left out.
    """
    values = MultiDict()
    for field in definition.value_fields:
        value = data.get(field.name)
        if value is None:
            continue
        try:
            for key, strings in field.field_type.formdata_items(field, value):
                values.setlist(key, strings)
        except JSONTypeError:
            continue
    return values
