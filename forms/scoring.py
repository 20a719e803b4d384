"""Scores of a validated submission against the definition's scoring rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from forms.messages import DEFAULT_LOCALE, format_number, message
from forms.model import FormDefinition


@dataclass(frozen=True)
class CriterionScore:
    key: str
    label: str
    points: int
    max_points: int
    floor: int | float
    met: bool


@dataclass(frozen=True)
class ScoreResult:
    total: int
    max_total: int
    criteria: tuple[CriterionScore, ...]
    floors_met: bool
    meets_pass_total: bool
    passed: bool
    shortfalls: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        result = asdict(self)
        result["criteria"] = [asdict(criterion) for criterion in self.criteria]
        result["shortfalls"] = list(self.shortfalls)
        return result

    def outputs(self, definition: FormDefinition) -> dict[str, Any]:
        """The workflow variables named in scoring.outputs, e.g. {"score": 85, "score_passed": True}."""
        names = definition.scoring.outputs if definition.scoring else None
        values = {"total": self.total, "passed": self.passed}
        return {name: values[key] for key, name in (names or {}).items()}


def score_submission(
    definition: FormDefinition, data: Mapping[str, Any], *, locale: str = DEFAULT_LOCALE
) -> ScoreResult:
    """Total the score fields of clean submission data (None counts as 0)."""
    scoring = definition.scoring
    if scoring is None:
        raise ValueError(f"form {definition.key!r} has no scoring section")
    points: dict[str, int] = {criterion.key: 0 for criterion in scoring.criteria}
    for field in definition.value_fields:
        if not field.field_type.scored:
            continue
        value = data.get(field.name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= field.max_points:
            raise ValueError(f"{field.name}: {value!r} is not a score from 0 to {field.max_points}")
        points[field.criterion] += value

    criteria = []
    shortfalls = []
    percent = format_number(scoring.criterion_floor_ratio * 100, locale)
    for index, criterion in enumerate(scoring.criteria, start=1):
        floor = criterion.max_points * scoring.criterion_floor_ratio
        floor = int(floor) if floor.is_integer() else floor
        got = points[criterion.key]
        score = CriterionScore(
            key=criterion.key,
            label=criterion.label(locale),
            points=got,
            max_points=criterion.max_points,
            floor=floor,
            met=got >= floor,
        )
        criteria.append(score)
        if not score.met:
            shortfalls.append(
                message(
                    "shortfall_criterion",
                    locale,
                    index=index,
                    label=score.label,
                    points=got,
                    max_points=criterion.max_points,
                    percent=percent,
                )
            )

    total = sum(points.values())
    max_total = scoring.max_total
    meets_pass_total = total >= scoring.pass_total
    if not meets_pass_total:
        shortfalls.insert(
            0,
            message(
                "shortfall_total", locale, total=total, max_total=max_total, pass_total=scoring.pass_total
            ),
        )
    floors_met = all(score.met for score in criteria)
    return ScoreResult(
        total=total,
        max_total=max_total,
        criteria=tuple(criteria),
        floors_met=floors_met,
        meets_pass_total=meets_pass_total,
        passed=meets_pass_total and floors_met,
        shortfalls=tuple(shortfalls),
    )
