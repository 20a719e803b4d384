"""``derived``: a value the system computes from records below the subject (the share of a village's
households recognised as learning families that year...), shown read-only and never typed in.

The form package knows nothing of those records. The application computes the value (app/indicators)
and passes it in with the submission: it replaces whatever was posted under the field's name before
the form is validated, so a client can never set it. The field scores by its ``points`` thresholds
like a score field: the highest threshold whose ``min`` the value reaches gives its points.

Which indicator kinds exist is the application's to say: it registers them with
``register_indicator_kind`` and the loader then refuses a field naming an unknown kind (at publish and
deploy). Without any registered kind (the form tools on their own) the name is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import wtforms
from wtforms.validators import StopValidation

from forms.fields.base import DefinedField, FieldType, is_number, load_criterion
from forms.fields.registry import register
from forms.messages import DEFAULT_LOCALE, catalog_language
from forms.shapes import CRITERION_REF, POSITIVE_INTEGER, SNAKE_CASE, Shape

# Indicator kinds the application computes; None until it registers one.
_INDICATOR_KINDS: set[str] | None = None


def register_indicator_kind(name: str) -> None:
    """Called by the application for every indicator kind it can compute (app/indicators)."""
    global _INDICATOR_KINDS
    if _INDICATOR_KINDS is None:
        _INDICATOR_KINDS = set()
    _INDICATOR_KINDS.add(name)


def indicator_kinds() -> frozenset[str] | None:
    return None if _INDICATOR_KINDS is None else frozenset(_INDICATOR_KINDS)


PARAMS = Shape(
    "derived_params",
    {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
    "phải là đối tượng các tham số dạng tên → chuỗi, số hoặc true/false.",
)
THRESHOLD = Shape(
    "derived_threshold",
    {
        "type": "object",
        "required": ["min", "points"],
        "additionalProperties": False,
        "properties": {
            "min": {"type": "number", "minimum": 0, "maximum": 100},
            "points": {"type": "integer", "minimum": 0},
        },
    },
    'phải là đối tượng {"min": <tỷ lệ 0–100>, "points": <số điểm nguyên không âm>}.',
)
THRESHOLDS = Shape(
    "derived_thresholds",
    {"type": "array", "minItems": 1, "items": THRESHOLD.ref()},
    "phải là danh sách ngưỡng không rỗng.",
    atomic=False,
)


def parse_number(text: str) -> float | None:
    text = text.strip().replace(" ", "")
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def percent_text(value: float | None, locale: str = DEFAULT_LOCALE) -> str:
    """35.5 → "35,5%" (Vietnamese) or "35.5%"; None → "—"."""
    if value is None:
        return "—"
    text = f"{float(value):.1f}"
    return f"{text.replace('.', ',') if catalog_language(locale) == 'vi' else text}%"


class DerivedField(DefinedField, wtforms.Field):
    """Holds the value the application passed in under the field's name; nothing else is checked."""

    def process_data(self, value):
        self.data = float(value) if is_number(value) else None

    def process_formdata(self, valuelist):
        # Only the application puts a value here (it replaces whatever was posted); anything that
        # does not read as a number is no value rather than an error a person could not fix.
        self.data = parse_number(valuelist[0]) if valuelist else None

    def pre_validate(self, form):
        raise StopValidation()


@register
class DerivedType(FieldType):
    """A value computed by the system from the records below (an indicator such as the share of a
    village's households recognised that year), shown with the list it was computed from and scored by
    thresholds."""

    name = "derived"
    order = 125
    allows_default = False
    scored = True
    in_summary = True
    client_kind = "none"
    keys = {
        "indicator": SNAKE_CASE,
        "params": PARAMS,
        "max_points": POSITIVE_INTEGER,
        "criterion": CRITERION_REF,
        "points": THRESHOLDS,
    }
    required_keys = ("indicator",)
    # Scored all together or not at all.
    dependent_keys = {
        "points": ("max_points", "criterion"),
        "max_points": ("points", "criterion"),
        "criterion": ("points", "max_points"),
    }
    field_class = DerivedField

    def properties(self):
        # Nobody types it: nothing about it can be required or pre-filled.
        props = super().properties()
        for key in ("required", "required_if", "prefill"):
            props.pop(key)
        return props

    def value_schema(self):
        return {"type": ["number", "null"]}

    def attributes(self, item, ctx):
        name = item.get("name")
        indicator = item.get("indicator")
        known = indicator_kinds()
        if known is not None and indicator is not None and indicator not in known:
            listed = ", ".join(sorted(known))
            ctx.error(
                "indicator",
                f'trường "{name}" dùng chỉ số "{indicator}" không có trong hệ thống; '
                f"các chỉ số có: {listed}.",
            )
        max_points = item.get("max_points")
        thresholds = tuple(
            (float(t["min"]), int(t["points"]))
            for t in item.get("points") or ()
            if isinstance(t, Mapping) and is_number(t.get("min")) and isinstance(t.get("points"), int)
        )
        for index, (_low, points) in enumerate(thresholds):
            if max_points is not None and points > max_points:
                ctx.error(
                    ("points", index, "points"),
                    f"ngưỡng {index + 1} cho {points} điểm, nhiều hơn max_points ({max_points}).",
                )
        mins = [low for low, _points in thresholds]
        if len(set(mins)) != len(mins):
            ctx.error("points", "hai ngưỡng trùng mức tỷ lệ (min).")
        return {
            "indicator": indicator,
            "params": dict(item.get("params") or {}),
            "max_points": max_points,
            "criterion": load_criterion(item, ctx),
            # Highest first: the first reached wins.
            "points": tuple(sorted(thresholds, reverse=True)),
        }

    def api_options(self, field, locale):
        return {
            "indicator": field.options["indicator"],
            "params": dict(field.options["params"]),
            "points": [{"min": low, "points": points} for low, points in field.options["points"]],
        }

    def points_of(self, field, value: Any) -> int:
        """The points ``value`` (a percentage, or None) earns: the highest threshold it reaches."""
        if not is_number(value):
            return 0
        for low, points in field.options["points"]:
            if value >= low:
                return points
        return 0

    # A JSON client's value is ignored, like a computed field's: the application supplies it.
    def formdata_items(self, field, value):
        return []

    def coerce_json(self, value: Any) -> list[str]:
        return []

    def openapi_schema(self):
        return {**super().openapi_schema(), "description": "Ignored: the server computes it."}

    def display(self, field, value, locale=DEFAULT_LOCALE):
        return "" if value is None else percent_text(value, locale)
