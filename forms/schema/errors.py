"""jsonschema errors as the loader's messages: a path such as ``fields[3].max`` and the Vietnamese
sentence of the shape that value should have had.

jsonschema reports *where* a rule failed; which sentence to show is found by walking the same path
through the schema, following ``$ref`` and the field-type dispatch, to the shape that owns the value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from forms.shapes import Shape

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


def _strict_integer(checker, value: object) -> bool:
    # Draft 2020-12 counts 5.0 as an integer; the model and the HTML attributes need a real int.
    return isinstance(value, int) and not isinstance(value, bool)


def _finite_number(checker, value: object) -> bool:
    # Python's json module reads NaN and Infinity, which no bound or default can sensibly be.
    return _strict_integer(checker, value) or (isinstance(value, float) and math.isfinite(value))


Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _strict_integer, "number": _finite_number}
    ),
)


class StructureChecker:
    """Validates a definition against the schema and explains each failure at its path."""

    def __init__(self, schema: dict[str, Any], shapes: dict[str, Shape]) -> None:
        self.schema = schema
        self.shapes = shapes
        self.validator = Validator(schema)

    def problems(self, raw: Any) -> list[Problem]:
        found: list[Problem] = []
        for error in self.validator.iter_errors(raw):
            # A field is checked by the common rules and by its type's rules: the same complaint
            # (a bad name, a missing label) can come from both.
            found.extend(problem for problem in self.explain(error, raw) if problem not in found)
        return found

    def explain(self, error: ValidationError, raw: Any) -> list[Problem]:
        path: list[str | int] = []
        node, instance, shape = self.schema, raw, self.shapes["form"]
        for token in error.absolute_path:
            node, shape = self.resolve(node, instance, shape)
            if shape is not None and shape.atomic:
                break
            node, instance, shape = _child(node, token), instance[token], None
            path.append(token)
        else:
            node, shape = self.resolve(node, instance, shape)
        if shape is not None and shape.atomic:
            return [(tuple(path), shape.describe(instance))]
        return _at_node(error, tuple(path), instance, shape)

    def rank(self, path: Path, raw: Any) -> tuple:
        """A sort key putting problems in document order: unknown keys first, then the schema's order."""
        key = []
        node, instance, shape = self.schema, raw, self.shapes["form"]
        for token in path:
            node, shape = self.resolve(node, instance, shape)
            known = list(node.get("properties", ()))
            if isinstance(token, int):
                key.append((0, token, ""))
            else:
                key.append((1, known.index(token), "") if token in known else (0, 0, token))
            node, instance, shape = _child(node, token), _get(instance, token), None
        return tuple(key)

    def resolve(self, node: dict, instance: Any, shape: Shape | None) -> tuple[dict, Shape | None]:
        """Follow ``$ref`` and the field-type dispatch to the schema that governs ``instance``."""
        while True:
            if "$ref" in node:
                shape = self.shapes[node["$ref"].rsplit("/", 1)[1]]
                node = self.schema["$defs"].get(shape.name, self.schema)
                if shape.atomic:
                    return node, shape
                continue
            branch = _branch(node, instance)
            if branch is None:
                return node, shape
            node = branch


def _branch(node: dict, instance: Any) -> dict | None:
    # An "if" about properties holds vacuously for a non-object: only dispatch real objects.
    if not isinstance(instance, dict):
        return None
    for part in node.get("allOf", ()):
        if "if" in part and Validator(part["if"]).is_valid(instance):
            return part["then"]
    return None


def _child(node: dict, token: str | int) -> dict:
    if isinstance(token, int):
        return node.get("items", {})
    return node.get("properties", {}).get(token, {})


def _get(instance: Any, token: str | int) -> Any:
    if isinstance(instance, dict):
        return instance.get(token)
    if isinstance(instance, list) and isinstance(token, int) and token < len(instance):
        return instance[token]
    return None


def _at_node(error: ValidationError, path: Path, instance: Any, shape: Shape | None) -> list[Problem]:
    """Problems with an object's keys are reported at the key; anything else at the value itself."""
    keyword = error.validator
    if keyword == "required":
        return [(path + (key,), _missing(shape, key)) for key in error.validator_value if key not in instance]
    if keyword == "additionalProperties":
        allowed = error.schema.get("properties", {})
        return [(path + (key,), _unknown(shape, key)) for key in sorted(instance) if key not in allowed]
    if keyword == "dependentRequired":
        return list(_dependencies(error.validator_value, path, instance))
    return [(path, shape.describe(instance) if shape else "giá trị không hợp lệ.")]


def _dependencies(needs: dict[str, list[str]], path: Path, instance: dict) -> Iterator[Problem]:
    for key, others in needs.items():
        missing = [other for other in others if other not in instance]
        if key in instance and missing:
            yield path + (key,), "chỉ dùng khi có " + ", ".join(f'"{other}"' for other in missing) + "."


def _missing(shape: Shape | None, key: str) -> str:
    return shape.missing(key) if shape else "bắt buộc phải có."


def _unknown(shape: Shape | None, key: str) -> str:
    return shape.unknown(key) if shape else "khóa không được hỗ trợ."
