"""Derived indicators: values computed from the records below a dossier's subject (the share of a
village's households recognised as learning families in the dossier's year...), one module per kind.

A kind is a function ``(dossier, params) -> IndicatorResult`` registered with ``@indicator("name")``.
A form's ``derived`` field names its kind (forms/fields/derived.py); registering a kind here also tells
the form loader it exists, so a form naming an unknown kind is refused at publish and deploy.
The app computes the value and passes it into the submission (app/services/indicators.py).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from forms.fields.derived import register_indicator_kind


@dataclass(frozen=True)
class IndicatorResult:
    """A share in percent (one decimal; None when there is nothing to count), its parts, and the
    subjects it was computed from: ``basis`` rows ``{"subject_id", "code", "name", "counted"}``."""

    value: float | None
    numerator: int
    denominator: int
    basis: list[dict[str, Any]] = field(default_factory=list)


Compute = Callable[[Any, Mapping[str, Any]], IndicatorResult]
INDICATORS: dict[str, Compute] = {}


def indicator(name: str) -> Callable[[Compute], Compute]:
    """Register ``compute`` as the indicator kind ``name``."""

    def decorate(compute: Compute) -> Compute:
        if name in INDICATORS and INDICATORS[name] is not compute:
            raise ValueError(f"indicator {name!r} is already registered")
        INDICATORS[name] = compute
        register_indicator_kind(name)
        return compute

    return decorate


def share(numerator: int, denominator: int) -> float | None:
    """The percentage with one decimal, None when the base is 0."""
    if not denominator:
        return None
    return round(numerator * 100.0 / denominator, 1)


def compute(kind: str, dossier, params: Mapping[str, Any] | None = None) -> IndicatorResult:
    """The value of indicator ``kind`` for ``dossier`` (its subject, its year), now."""
    return INDICATORS[kind](dossier, params or {})


def _import_kinds() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_kinds()
