"""Initial values for a form from earlier workflow data."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from forms.model import FormDefinition

_MISSING = object()


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """Follow a dotted path through nested mappings; None when any step is missing."""
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part, _MISSING)
        if value is _MISSING:
            return None
    return value


def _is_empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def prefill_values(definition: FormDefinition, context: Mapping[str, Any]) -> dict[str, Any]:
    """Values to show when a form is opened, by precedence for each value field:

    1. this form's own earlier answer, ``context[definition.key][field.name]``
       (so a returned task reopens with what was entered before);
    2. the first non-empty value among the field's ``prefill`` paths;
    3. the field's ``default``.

    Fields that get none of these are left out.
    """
    previous = context.get(definition.key)
    previous = previous if isinstance(previous, Mapping) else {}
    values: dict[str, Any] = {}
    for field in definition.value_fields:
        candidates = [previous.get(field.name)]
        candidates += [lookup(context, path) for path in field.prefill]
        candidates.append(field.default)
        for candidate in candidates:
            if not _is_empty(candidate):
                # The caller may mutate what it gets; the definition's default must survive that.
                values[field.name] = copy.deepcopy(candidate)
                break
    return values
