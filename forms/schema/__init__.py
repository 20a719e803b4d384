"""The JSON Schema (draft 2020-12) of the form-definition format.

``definition_schema()`` assembles it from the registered field types; form-definition.schema.json
next to this module is that schema written out (``python -m forms.schema``), and a unit test keeps
the two equal. ``load_form_definition`` checks structure with it and meaning in code.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from forms.fields import registry_version
from forms.schema.document import build
from forms.schema.errors import StructureChecker

SCHEMA_FILE = Path(__file__).with_name("form-definition.schema.json")

__all__ = ["SCHEMA_FILE", "definition_schema", "schema_text", "structure_checker"]


def definition_schema() -> dict[str, Any]:
    """The schema for the field types registered now (a fresh copy: callers may change it)."""
    return copy.deepcopy(structure_checker().schema)


def schema_text() -> str:
    """The schema as the checked-in file holds it."""
    return json.dumps(definition_schema(), ensure_ascii=False, indent=2) + "\n"


def structure_checker() -> StructureChecker:
    return _checker(registry_version())


@lru_cache(maxsize=2)
def _checker(version: int) -> StructureChecker:
    # Keyed on the registry version: registering a type (a plugin, a test) rebuilds the schema.
    schema, shapes = build()
    return StructureChecker(schema, shapes)
