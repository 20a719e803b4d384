"""FieldType: everything one kind of field means, in one class.

A field type owns, for its kind of field:

* the keys a definition may give it, as a JSON Schema sub-schema (``definition_shape``) plus the
  checks a schema cannot express (``attributes``, ``accepts_default``);
* the WTForms field that parses and validates a submission (``field_class``, ``field_options``);
* how a JSON value from the API becomes form input (``coerce_json``) and the OpenAPI schema of
  that value (``openapi_schema``);
* how a stored answer reads on a page (``display``) and which Jinja macro draws the input
  (``macro``, in app/templates/forms/fields.html).

Subclasses are registered with ``forms.fields.register``; see docs/forms.md, "Adding a field type".
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import wtforms
from wtforms.validators import StopValidation, ValidationError

from forms.expressions import holds
from forms.messages import DEFAULT_LOCALE, format_number, message
from forms.model import FieldDefinition, RequiredIf
from forms.shapes import BOOLEAN, EXPRESSION, LABEL, PREFILL, REQUIRED_IF, SNAKE_CASE, Shape

Path = tuple[str | int, ...]

# Keys every field must have, whatever its type.
COMMON_REQUIRED = ("name", "type", "label")
_DATACLASS_FIELDS = frozenset(f.name for f in dataclasses.fields(FieldDefinition))


class JSONTypeError(ValueError):
    """A JSON value of the wrong type for its field; ``key`` names the message in forms.messages."""

    def __init__(self, key: str, at: str | None = None) -> None:
        super().__init__(key)
        self.key = key
        # Where, when not the field itself: a cell of a repeating group, "members[1].birth_year".
        self.at = at


@dataclass(frozen=True)
class FieldContext:
    """Where a field is loaded: its path (for messages), the declared criteria, and the error sink."""

    path: Path
    criteria: frozenset[str]
    report: Callable[[Path, str], None]

    def error(self, key: str | Path, text: str) -> None:
        self.report(self.path + (key if isinstance(key, tuple) else (key,)), text)


class FieldType:
    """One kind of field. Instances are stateless; the registry holds one per type name."""

    name: ClassVar[str]
    # Position in lists of types (error messages, the builder's palette); built-ins use 10..110.
    order: ClassVar[int] = 1000
    has_value: ClassVar[bool] = True
    allows_default: ClassVar[bool] = True
    # May another field's required_if name this one (the WTForms field has condition_tokens)?
    conditional: ClassVar[bool] = False
    # Do its points count towards a scoring criterion (score_submission, the criteria sums)?
    scored: ClassVar[bool] = False
    # Does its value name the dossier's evidence (so validating it needs the dossier's evidence ids)?
    refers_to_evidence: ClassVar[bool] = False
    in_summary: ClassVar[bool] = True
    # Type-specific definition keys, in the order they are documented and checked.
    keys: ClassVar[Mapping[str, Shape]] = {}
    required_keys: ClassVar[tuple[str, ...]] = ()
    # {"pattern_message": ("pattern",)}: a key only allowed together with others.
    dependent_keys: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    field_class: ClassVar[type[wtforms.Field] | None] = None
    # How app/static/js/form_logic.js reads the value from the page, so that conditions see the same
    # clean value the server parses: string, integer, number, boolean, strings, ids, computed, group
    # or none (no value).
    client_kind: ClassVar[str] = "string"

    # -- the definition format -------------------------------------------------

    @property
    def macro(self) -> str:
        return f"{self.name}_field"

    def value_schema(self) -> dict[str, Any]:
        """JSON Schema of a clean value (the stored answer, and a ``default``)."""
        return {"type": "string"}

    def default_shape(self) -> Shape:
        return Shape(
            f"{self.name}_default",
            self.value_schema(),
            f'giá trị mặc định không hợp lệ cho trường kiểu "{self.name}".',
        )

    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "name": SNAKE_CASE.ref(),
            "type": {"const": self.name},
            "label": LABEL.ref(),
            "help": LABEL.ref(),
            "visible_if": EXPRESSION.ref(),
        }
        if self.has_value:
            props["required"] = BOOLEAN.ref()
        props |= {key: shape.ref() for key, shape in self.keys.items()}
        if self.has_value:
            props |= {"required_if": REQUIRED_IF.ref(), "prefill": PREFILL.ref()}
            if self.allows_default:
                props["default"] = self.default_shape().ref()
        return props

    def definition_shape(self) -> Shape:
        """This type's closed sub-schema; forms.schema picks it by the field's ``type``."""
        schema: dict[str, Any] = {
            # The class docstring documents the type in the published schema.
            "description": (inspect.getdoc(type(self)) or self.name).splitlines()[0],
            "type": "object",
            "required": [*COMMON_REQUIRED, *self.required_keys],
            "properties": self.properties(),
            "additionalProperties": False,
        }
        if self.dependent_keys:
            schema["dependentRequired"] = {key: list(needs) for key, needs in self.dependent_keys.items()}
        return Shape(
            f"field_{self.name}",
            schema,
            "phải là một đối tượng.",
            atomic=False,
            unknown_message=self.unknown_key_message,
            missing_message=self.missing_key_message,
        )

    def unknown_key_message(self, key: str) -> str:
        if key == "default" and not (self.has_value and self.allows_default):
            return f'trường kiểu "{self.name}" không có giá trị mặc định.'
        return f'khóa không được hỗ trợ cho trường kiểu "{self.name}".'

    def missing_key_message(self, key: str) -> str:
        if key in COMMON_REQUIRED:
            return "bắt buộc phải có."
        return f'bắt buộc với trường kiểu "{self.name}".'

    def load(self, item: Mapping[str, Any], ctx: FieldContext) -> FieldDefinition:
        """The model of a structurally valid field (the schema has run); checks what it cannot."""
        attrs: dict[str, Any] = {
            "name": item.get("name"),
            "type": self.name,
            "label_text": item.get("label"),
            "help_text": item.get("help"),
            "visible_if": item.get("visible_if"),
        }
        if self.has_value:
            attrs |= _value_attributes(item, ctx)
        attrs |= self.attributes(item, ctx)
        options = {key: value for key, value in attrs.items() if key not in _DATACLASS_FIELDS}
        known = {key: value for key, value in attrs.items() if key in _DATACLASS_FIELDS}
        field = FieldDefinition(**known, options=MappingProxyType(options), field_type=self)
        if "default" in item:
            if not self.accepts_default(field, item["default"]):
                ctx.error("default", self.default_shape().describe(item["default"]))
            else:
                field = dataclasses.replace(field, default=item["default"])
        return field

    def attributes(self, item: Mapping[str, Any], ctx: FieldContext) -> dict[str, Any]:
        """Type-specific model attributes; report meaning errors (min above max, ...) to ``ctx``."""
        return {}

    def accepts_default(self, field: FieldDefinition, value: Any) -> bool:
        """Whether a (well-typed) default satisfies the field's own rules."""
        return True

    def expressions(self, field: FieldDefinition) -> dict[str, Any]:
        """The JsonLogic expressions of a field, by definition key, for the loader to check.

        A ``{"field", "in"}`` required_if is not among them: the loader checks and translates it.
        """
        found = {"visible_if": field.visible_if}
        if field.required_if is None:
            found["required_if"] = field.required_when
        return {key: logic for key, logic in found.items() if logic is not None}

    def row_names(self, field: FieldDefinition) -> frozenset[str] | None:
        """For a repeating group, the names of a row's fields (what some/all/none read); else None."""
        return None

    def condition_logic(self, field: FieldDefinition, values: tuple[str, ...]) -> Any:
        """JsonLogic for the old ``{"field": <this field>, "in": values}`` (a conditional type's)."""
        return {"in": [{"var": field.name}, list(values)]}

    def api_options(self, field: FieldDefinition, locale: str) -> dict[str, Any]:
        """The type's own keys in ``FieldDefinition.to_api``; they must be JSON."""
        return dict(field.options)

    def cleared_value(self) -> Any:
        """The value of a hidden field, for conditions and in the stored data."""
        return None

    def logic_value(self, field: FieldDefinition, data: Mapping[str, Any]) -> Any:
        """The field's value once the fields before it are settled; a computed field computes it."""
        return data.get(field.name)

    # -- WTForms ---------------------------------------------------------------

    def field_options(self, field: FieldDefinition, locale: str) -> dict[str, Any]:
        """Extra keyword arguments for ``field_class`` (widget, choices, render_kw, ...)."""
        return {}

    def build_field(self, field: FieldDefinition, locale: str) -> wtforms.Field:
        return self.field_class(
            label=field.label(locale),
            description=field.help(locale) or "",
            default=field.default,
            definition=field,
            locale=locale,
            **self.field_options(field, locale),
        )

    # -- JSON API --------------------------------------------------------------

    def coerce_json(self, value: Any) -> list[str]:
        """A non-null JSON value as form input; JSONTypeError when its JSON type is wrong.

        Strict: the API takes a value in the JSON type its clean value has (``value_schema``), so a
        client learns of a string sent for a number rather than having it parsed like typed input.
        """
        if isinstance(value, str):
            return [value]
        raise JSONTypeError("json_string")

    def openapi_schema(self) -> dict[str, Any]:
        """What ``coerce_json`` accepts, for the API description: a clean value, or null meaning empty."""
        schema = self.value_schema()
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return {**schema, "type": [*types, *(["null"] if "null" not in types else [])]}

    def formdata_items(self, field: FieldDefinition, value: Any) -> list[tuple[str, list[str]]]:
        """A non-null JSON value as form-data keys and their strings (a group has a key per cell)."""
        return [(field.name, self.coerce_json(value))]

    def claims(self, field: FieldDefinition, key: str) -> bool:
        """Whether a submitted form-data key belongs to this field."""
        return key == field.name

    # -- display -----------------------------------------------------------------

    def display(self, field: FieldDefinition, value: Any, locale: str = DEFAULT_LOCALE) -> str:
        return "" if value is None else str(value)


def _value_attributes(item: Mapping[str, Any], ctx: FieldContext) -> dict[str, Any]:
    prefill = item.get("prefill", ())
    condition = item.get("required_if")
    attrs = {
        "required": item.get("required", False),
        "prefill": (prefill,) if isinstance(prefill, str) else tuple(prefill),
        # The {"field", "in"} form becomes JsonLogic in the loader, which knows the other field's type.
        "required_if": RequiredIf(condition["field"], tuple(condition["in"])) if _legacy(condition) else None,
        "required_when": None if _legacy(condition) else condition,
    }
    if attrs["required"] and condition:
        ctx.error("required_if", 'không dùng cùng "required": true.')
    return attrs


def _legacy(condition: Any) -> bool:
    return isinstance(condition, dict) and "field" in condition


# -- helpers shared by several types ----------------------------------------------


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_text(value: int | float) -> str:
    # JavaScript clients cannot tell 8 from 8.0; accept the latter for integer fields.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_order(ctx: FieldContext, attrs: Mapping[str, Any], low_key: str, high_key: str) -> None:
    low, high = attrs.get(low_key), attrs.get(high_key)
    if low is not None and high is not None and low > high:
        shown = f"{low_key} ({_shown(low)}) lớn hơn {high_key} ({_shown(high)})."
        ctx.error(low_key, shown)


def within(value: Any, low: Any, high: Any) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def load_criterion(item: Mapping[str, Any], ctx: FieldContext) -> str | None:
    value = item.get("criterion")
    if value is not None and value not in ctx.criteria:
        ctx.error("criterion", f"tiêu chí {value!r} chưa được khai báo trong scoring.criteria.")
        return None
    return value


def _shown(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# -- the WTForms side ---------------------------------------------------------------


class DefinedField:
    """Shared behaviour, mixed in front of a WTForms field class.

    Every check lives in ``pre_validate`` so that messages come from forms.messages (Vietnamese
    or English) rather than WTForms' catalogs.
    """

    definition: FieldDefinition
    locale: str
    # The message for an empty required field, worded for how it is answered (typed, chosen, attached).
    required_message: ClassVar[str] = "required"

    def __init__(self, label=None, validators=None, *, definition, locale, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.definition = definition
        self.locale = locale
        if definition.required:
            self.flags.required = True

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

    def is_required(self, form: wtforms.Form) -> bool:
        condition = self.definition.required_when
        if condition is None:
            return self.definition.required
        return holds(condition, getattr(form, "logic_data", {}))

    def pre_validate(self, form: wtforms.Form) -> None:
        # A hidden field was cleared (DefinedForm.apply_logic): nothing of it is checked, not even
        # "required", whatever the browser sent.
        if self.short_name in getattr(form, "hidden", ()):
            raise StopValidation()
        if self.process_errors:
            raise StopValidation()
        if self.is_empty():
            raise StopValidation(self.msg(self.required_message) if self.is_required(form) else None)
        self.check(form)

    def check(self, form: wtforms.Form) -> None:
        """Rules for a non-empty, well-formed value; raise ValidationError."""

    def check_range(self, kind: str, shown=format_number) -> None:
        low, high, value = self.definition.min, self.definition.max, self.data
        if within(value, low, high):
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

    def logic_value(self) -> Any:
        """The clean value conditions read before validation: None when it did not parse."""
        return None if self.process_errors else self.json_value()

    def settle(self, value: Any) -> None:
        """Take the value the form's logic settled on; only a computed field's differs from its own."""

    def error_items(self) -> dict[str, list[str]]:
        return {self.short_name: list(self.errors)} if self.errors else {}

    def clear(self, value: Any = None) -> None:
        """Forget what was submitted: a hidden field's value is dropped, a computed one replaced."""
        self.data = value
        self.raw_data = []
        self.process_errors = []

    def _raw_or(self, text: str) -> str:
        # After a rejected submission, show what the user typed rather than nothing.
        if self.raw_data:
            return self.raw_data[0]
        return text
