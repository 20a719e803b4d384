"""Field types, one module each. Importing this package imports every module in it, and each module
registers its type with ``@register``; adding a type is adding a module (docs/forms.md).
"""

import importlib
import pkgutil

from forms.fields.base import DefinedField, FieldContext, FieldType, JSONTypeError
from forms.fields.registry import (
    FIELD_TYPES,
    field_input_schemas,
    field_type,
    field_type_names,
    register,
    registry_version,
    unregister,
)

__all__ = [
    "FIELD_TYPES",
    "DefinedField",
    "FieldContext",
    "FieldType",
    "JSONTypeError",
    "field_input_schemas",
    "field_type",
    "field_type_names",
    "register",
    "registry_version",
    "unregister",
]

# Modules of this package that hold machinery rather than a type.
_NOT_TYPES = frozenset({"base", "registry"})


def _import_type_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_TYPES and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_type_modules()
