"""The field-type registry: type name → FieldType instance, filled by the modules of forms.fields."""

from __future__ import annotations

from typing import TypeVar

from forms.fields.base import FieldType

# Kept in FieldType.order (then name) order, which is the order messages and the schema list types in.
FIELD_TYPES: dict[str, FieldType] = {}
_changes = 0

T = TypeVar("T", bound=type[FieldType])


def register(cls: T) -> T:
    """Class decorator: make ``cls.name`` a field type. Re-registering the same class is a no-op."""
    global _changes
    current = FIELD_TYPES.get(cls.name)
    if current is not None:
        if type(current) is cls:
            return cls
        raise ValueError(f"field type {cls.name!r} is already registered by {type(current).__qualname__}")
    FIELD_TYPES[cls.name] = cls()
    _sort()
    _changes += 1
    return cls


def unregister(name: str) -> None:
    """Remove a type (tests register example types and take them away again)."""
    global _changes
    del FIELD_TYPES[name]
    _changes += 1


def field_type(name: str) -> FieldType:
    """The registered type called ``name``; KeyError if there is none."""
    return FIELD_TYPES[name]


def field_type_names() -> tuple[str, ...]:
    return tuple(FIELD_TYPES)


def field_input_schemas() -> dict[str, dict]:
    """Per value type, the JSON an API client may send for it (OpenAPI schema fragments)."""
    return {name: kind.openapi_schema() for name, kind in FIELD_TYPES.items() if kind.has_value}


def registry_version() -> int:
    """Changes whenever a type is added or removed, so that caches of the schema can notice."""
    return _changes


def _sort() -> None:
    # In place: other modules hold a reference to this very dict.
    ordered = sorted(FIELD_TYPES.items(), key=lambda item: (item[1].order, item[0]))
    FIELD_TYPES.clear()
    FIELD_TYPES.update(ordered)
