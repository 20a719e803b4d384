"""The immutable model of a loaded form definition.

A leaf module: the field types (forms.fields) build these objects and the loader
(forms.definition) returns them, so neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from forms.messages import DEFAULT_LOCALE, Label, localize

if TYPE_CHECKING:
    from forms.fields.base import FieldType


@dataclass(frozen=True, eq=False)
class RequiredIf:
    field: str
    values: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "in": list(self.values)}


@dataclass(frozen=True, eq=False)
class FieldDefinition:
    """One field of a form. Type-specific behaviour lives in ``field_type`` (a forms.fields.FieldType).

    The attributes below are the keys the built-in types use; a type that needs other keys keeps
    them in ``options``.
    """

    name: str
    type: str
    label_text: Label
    help_text: Label | None = None
    required: bool = False
    min: int | float | date | None = None
    max: int | float | date | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: Label | None = None
    choices: tuple[tuple[str, Label], ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    max_points: int | None = None
    criterion: str | None = None
    max_files: int | None = None
    prefill: tuple[str, ...] = ()
    required_if: RequiredIf | None = None
    # JsonLogic (forms.expressions): when the field shows, and when it is required. ``required_when``
    # is the one the evaluators read; a ``{"field", "in"}`` required_if is translated into it on load.
    visible_if: Any = None
    required_when: Any = None
    default: Any = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    field_type: FieldType | None = field(default=None, repr=False)

    def label(self, locale: str = DEFAULT_LOCALE) -> str:
        return localize(self.label_text, locale)

    def help(self, locale: str = DEFAULT_LOCALE) -> str | None:
        return localize(self.help_text, locale)

    @property
    def has_value(self) -> bool:
        return self.field_type.has_value

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    @property
    def macro(self) -> str:
        """The Jinja macro that renders this field (app/templates/forms/fields.html)."""
        return self.field_type.macro

    @property
    def in_summary(self) -> bool:
        """Whether the dossier page lists this field's answer among what a step decided."""
        return self.field_type.in_summary

    def display(self, value: Any, locale: str = DEFAULT_LOCALE) -> str:
        """A stored clean value as a person reads it, e.g. True → "Có", a choice → its label."""
        return self.field_type.display(self, value, locale)

    def formdata(self, value: Any) -> list[str]:
        """A JSON value (API input or stored clean value) as form input strings.

        Raises forms.fields.JSONTypeError when the value has the wrong JSON type.
        """
        return self.field_type.coerce_json(value)

    def to_api(self, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label(locale),
            "help": self.help(locale),
            "required": self.required,
            "required_if": self.required_if.as_dict() if self.required_if else self.required_when,
            "visible_if": self.visible_if,
            "min": _json_bound(self.min),
            "max": _json_bound(self.max),
            "min_length": self.min_length,
            "max_length": self.max_length,
            "choices": (
                [{"value": value, "label": localize(label, locale)} for value, label in self.choices]
                if self.choices
                else None
            ),
            "min_items": self.min_items,
            "max_items": self.max_items,
            "max_points": self.max_points,
            "criterion": self.criterion,
            "max_files": self.max_files,
            **self.field_type.api_options(self, locale),
        }


@dataclass(frozen=True, eq=False)
class CriterionDefinition:
    """A first-level node of the scored tree; its sub-items are the fields whose ``criterion`` is ``key``."""

    key: str
    label_text: Label
    # 0 under the "levels" rule, which has no points.
    max_points: int = 0
    # Absolute minimum points; None means the rule's criterion_floor_ratio applies.
    floor: int | None = None
    evidence_required: bool = False
    # Reconstructed by the domain research rather than read in the legal text ([R] in domain.md).
    reconstructed: bool = False

    def label(self, locale: str = DEFAULT_LOCALE) -> str:
        return localize(self.label_text, locale)


@dataclass(frozen=True, eq=False)
class Grade:
    """A band of the "bands" rule (``min_total`` set) or a level of the "levels" rule (``min_total`` None)."""

    code: str
    label_text: Label
    min_total: int | None = None

    def label(self, locale: str = DEFAULT_LOCALE) -> str:
        return localize(self.label_text, locale)


@dataclass(frozen=True, eq=False)
class Knockout:
    """Any of ``values`` in ``field`` fails the title whatever the total."""

    field: str
    values: tuple[Any, ...]
    message_text: Label

    def message(self, locale: str = DEFAULT_LOCALE) -> str:
        return localize(self.message_text, locale)


# The rules of scoring.rule.kind; a scoring section without "rule" is the threshold rule.
THRESHOLD, BANDS, LEVELS = "threshold", "bands", "levels"


@dataclass(frozen=True, eq=False)
class ScoringDefinition:
    criteria: tuple[CriterionDefinition, ...]
    # The bands rule sets it to its pass_from band's min_total, so "passed needs this many points"
    # reads the same for both point rules; 0 under "levels".
    pass_total: int
    criterion_floor_ratio: float = 0.0
    outputs: Mapping[str, str] | None = None
    kind: str = THRESHOLD
    # Highest first under "bands"; lowest first under "levels".
    grades: tuple[Grade, ...] = ()
    pass_from: str | None = None
    knockouts: tuple[Knockout, ...] = ()

    @property
    def max_total(self) -> int:
        return sum(criterion.max_points for criterion in self.criteria)

    def criterion(self, key: str) -> CriterionDefinition:
        for criterion in self.criteria:
            if criterion.key == key:
                return criterion
        raise KeyError(key)

    def criterion_floor(self, criterion: CriterionDefinition) -> int | float:
        """The points a criterion needs: its own ``floor``, else the ratio of its maximum."""
        if criterion.floor is not None:
            return criterion.floor
        floor = criterion.max_points * self.criterion_floor_ratio
        return int(floor) if floor.is_integer() else floor


@dataclass(frozen=True, eq=False)
class FormDefinition:
    key: str
    title_text: Label
    description_text: Label | None
    fields: tuple[FieldDefinition, ...]
    scoring: ScoringDefinition | None
    raw: dict[str, Any]
    sha256: str
    # The documents the form follows, as written in the definition (number, date, issuer, title).
    legal_basis: tuple[dict[str, str], ...] = ()

    def title(self, locale: str = DEFAULT_LOCALE) -> str:
        return localize(self.title_text, locale)

    def description(self, locale: str = DEFAULT_LOCALE) -> str | None:
        return localize(self.description_text, locale)

    def field(self, name: str) -> FieldDefinition:
        for field_ in self.fields:
            if field_.name == name:
                return field_
        raise KeyError(name)

    @property
    def value_fields(self) -> tuple[FieldDefinition, ...]:
        return tuple(field_ for field_ in self.fields if field_.has_value)

    @property
    def refers_to_evidence(self) -> bool:
        return any(field_.field_type.refers_to_evidence for field_ in self.fields)

    def to_api(self, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title(locale),
            "description": self.description(locale),
            "legal_basis": [dict(document) for document in self.legal_basis],
            "fields": [field_.to_api(locale) for field_ in self.fields],
        }

    # Two loads of the same document are interchangeable (and share cached form classes).
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FormDefinition):
            return NotImplemented
        return self.sha256 == other.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)


def _json_bound(value: int | float | date | None) -> int | float | str | None:
    return value.isoformat() if isinstance(value, date) else value
