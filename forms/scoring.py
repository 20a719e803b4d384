"""Scores of a validated submission against the definition's scoring rule.

The criteria are a tree: each criterion's sub-items are the fields whose ``criterion`` is its key
(``score`` fields under the point rules, ``choice`` indicators under "levels"). The rule
(``scoring.rule.kind``) turns the tree into an outcome:

* ``threshold``: passed when the total reaches pass_total, every criterion and item floor is met
  and no knock-out is hit; rating "dat" or "khong_dat";
* ``bands``: rating is the highest band the total reaches; a knock-out or a missed floor gives
  "khong_dat"; passed when the rating is at or above pass_from;
* ``levels``: no points; the attained level is the lowest over all indicators; rating is its code
  or "chua_dat"; passed from the first level.

Only clean values are read, and totals are always computed here: what the browser shows as a
running total is never trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from forms.messages import DEFAULT_LOCALE, format_number, message
from forms.model import BANDS, LEVELS, FieldDefinition, FormDefinition, ScoringDefinition

# Ratings when no band or level is reached (and the threshold rule's pass).
ACHIEVED = "dat"
NOT_ACHIEVED = "khong_dat"
NOT_MET = "chua_dat"


@dataclass(frozen=True)
class CriterionScore:
    key: str
    label: str
    points: int
    max_points: int
    floor: int | float
    met: bool


@dataclass(frozen=True)
class ItemScore:
    """A sub-item: points (point rules) or the level chosen (``level``, under "levels")."""

    name: str
    label: str
    criterion: str
    points: int | None
    max_points: int | None
    floor: int | None
    level: str | None
    met: bool


@dataclass(frozen=True)
class KnockoutHit:
    field: str
    value: Any
    message: str


@dataclass(frozen=True)
class ScoreResult:
    total: int
    max_total: int
    criteria: tuple[CriterionScore, ...]
    # Every criterion floor and item floor (under "levels": every indicator at the first level).
    floors_met: bool
    meets_pass_total: bool
    passed: bool
    shortfalls: tuple[str, ...]
    rating: str | None = None
    rating_label: str | None = None
    knockouts: tuple[KnockoutHit, ...] = ()
    items: tuple[ItemScore, ...] = ()

    def as_dict(self, *, items: bool = False) -> dict[str, Any]:
        """The result as JSON. Stored with every scored submission, so the per-item breakdown (which
        the submitted data and the pinned form version already give) is left out unless asked for:
        it tripled the bytes of a stored score."""
        result = asdict(self)
        result["criteria"] = [asdict(criterion) for criterion in self.criteria]
        result["shortfalls"] = list(self.shortfalls)
        result["knockouts"] = [asdict(hit) for hit in self.knockouts]
        if items:
            result["items"] = [asdict(item) for item in self.items]
        else:
            del result["items"]
        return result

    def outputs(self, definition: FormDefinition) -> dict[str, Any]:
        """The workflow variables named in scoring.outputs, e.g. {"score": 85, "score_passed": True}."""
        names = definition.scoring.outputs if definition.scoring else None
        values = {"total": self.total, "passed": self.passed, "rating": self.rating}
        return {name: values[key] for key, name in (names or {}).items()}


def score_submission(
    definition: FormDefinition, data: Mapping[str, Any], *, locale: str = DEFAULT_LOCALE
) -> ScoreResult:
    """Score clean submission data (a missing or None score counts as 0)."""
    scoring = definition.scoring
    if scoring is None:
        raise ValueError(f"form {definition.key!r} has no scoring section")
    hits = tuple(
        KnockoutHit(knockout.field, data.get(knockout.field), knockout.message(locale))
        for knockout in scoring.knockouts
        if any(_same(data.get(knockout.field), value) for value in knockout.values)
    )
    if scoring.kind == LEVELS:
        return _levels(definition, scoring, data, hits, locale)
    return _points(definition, scoring, data, hits, locale)


def missing_evidence(
    definition: FormDefinition,
    data: Mapping[str, Any],
    *,
    applies: Callable[[FieldDefinition], bool] = lambda field: True,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, list[str]]:
    """Errors, keyed by file field, for criteria with ``evidence_required`` that the submission
    claims (points above 0, or a level reached) without evidence in any of their file fields.

    ``applies`` tells whether a sub-item counts at all (a score hidden or not required because the
    step returns the dossier claims nothing).
    """
    scoring = definition.scoring
    errors: dict[str, list[str]] = {}
    if scoring is None:
        return errors
    levels = {grade.code for grade in scoring.grades} if scoring.kind == LEVELS else set()
    for index, criterion in enumerate(scoring.criteria, start=1):
        if not criterion.evidence_required:
            continue
        fields = [f for f in definition.value_fields if f.criterion == criterion.key]
        files = [f for f in fields if f.type == "file"]
        claimed = any(
            applies(f) and (_positive(data.get(f.name)) or data.get(f.name) in levels)
            for f in fields
            # A derived value comes from the records themselves: it claims nothing to prove.
            if f.type not in ("file", "derived")
        )
        if claimed and files and not any(data.get(f.name) for f in files):
            text = message("evidence_required", locale, index=index, label=criterion.label(locale))
            errors[files[0].name] = [text]
    return errors


def _points(definition, scoring: ScoringDefinition, data, hits, locale) -> ScoreResult:
    points: dict[str, int] = {criterion.key: 0 for criterion in scoring.criteria}
    items = []
    item_shortfalls = []
    for field in definition.value_fields:
        if not field.field_type.scored:
            continue
        if field.criterion is None:
            continue  # a derived value shown without points
        value = data.get(field.name)
        points_of = getattr(field.field_type, "points_of", None)
        if points_of is not None:
            # A derived indicator (a percentage) scores by its thresholds.
            got = points_of(field, value)
        elif value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= field.max_points
        ):
            raise ValueError(f"{field.name}: {value!r} is not a score from 0 to {field.max_points}")
        else:
            got = value or 0
        points[field.criterion] += got
        floor = field.options.get("floor")
        item = ItemScore(
            name=field.name,
            label=field.label(locale),
            criterion=field.criterion,
            points=got,
            max_points=field.max_points,
            floor=floor,
            level=None,
            met=floor is None or got >= floor,
        )
        items.append(item)
        if not item.met:
            item_shortfalls.append(
                message(
                    "shortfall_item",
                    locale,
                    label=item.label,
                    points=got,
                    max_points=item.max_points,
                    floor=floor,
                )
            )

    criteria = []
    criterion_shortfalls = []
    percent = format_number(scoring.criterion_floor_ratio * 100, locale)
    for index, criterion in enumerate(scoring.criteria, start=1):
        got = points[criterion.key]
        score = CriterionScore(
            key=criterion.key,
            label=criterion.label(locale),
            points=got,
            max_points=criterion.max_points,
            floor=scoring.criterion_floor(criterion),
            met=got >= scoring.criterion_floor(criterion),
        )
        criteria.append(score)
        if not score.met:
            # An absolute floor is stated in points; the ratio as the share the rule sets.
            key = "shortfall_criterion" if criterion.floor is None else "shortfall_criterion_floor"
            criterion_shortfalls.append(
                message(
                    key,
                    locale,
                    index=index,
                    label=score.label,
                    points=got,
                    max_points=criterion.max_points,
                    percent=percent,
                    floor=score.floor,
                )
            )

    total = sum(points.values())
    max_total = scoring.max_total
    meets_pass_total = total >= scoring.pass_total
    shortfalls = [hit.message for hit in hits]
    if not meets_pass_total:
        shortfalls.append(
            message(
                "shortfall_total", locale, total=total, max_total=max_total, pass_total=scoring.pass_total
            )
        )
    shortfalls += criterion_shortfalls + item_shortfalls
    floors_met = all(score.met for score in criteria) and all(item.met for item in items)
    passed = meets_pass_total and floors_met and not hits
    grade = None
    if scoring.kind == BANDS:
        if floors_met and not hits:
            grade = next((band for band in scoring.grades if band.min_total <= total), None)
        rating = grade.code if grade else NOT_ACHIEVED
    else:
        rating = ACHIEVED if passed else NOT_ACHIEVED
    return ScoreResult(
        total=total,
        max_total=max_total,
        criteria=tuple(criteria),
        floors_met=floors_met,
        meets_pass_total=meets_pass_total,
        passed=passed,
        shortfalls=tuple(shortfalls),
        rating=rating,
        rating_label=grade.label(locale) if grade else message(f"rating_{rating}", locale),
        knockouts=hits,
        items=tuple(items),
    )


def _levels(definition, scoring: ScoringDefinition, data, hits, locale) -> ScoreResult:
    codes = [level.code for level in scoring.grades]
    first = scoring.grades[0].label(locale)
    criterion_index = {criterion.key: index for index, criterion in enumerate(scoring.criteria, start=1)}
    items = []
    shortfalls = [hit.message for hit in hits]
    # The attained level is the lowest any indicator reaches: -1 when one reaches none.
    attained = len(codes) - 1
    for field in definition.value_fields:
        if field.type != "choice" or field.criterion is None:
            continue
        value = data.get(field.name)
        rank = codes.index(value) if value in codes else -1
        attained = min(attained, rank)
        item = ItemScore(
            name=field.name,
            label=field.label(locale),
            criterion=field.criterion,
            points=None,
            max_points=None,
            floor=None,
            level=value if rank >= 0 else NOT_MET,
            met=rank >= 0,
        )
        items.append(item)
        if not item.met:
            criterion = scoring.criterion(field.criterion)
            shortfalls.append(
                message(
                    "shortfall_indicator",
                    locale,
                    index=criterion_index[criterion.key],
                    criterion=criterion.label(locale),
                    label=item.label,
                    level=first,
                )
            )
    criteria = tuple(
        CriterionScore(
            key=criterion.key,
            label=criterion.label(locale),
            points=0,
            max_points=0,
            floor=0,
            met=all(item.met for item in items if item.criterion == criterion.key),
        )
        for criterion in scoring.criteria
    )
    floors_met = attained >= 0
    passed = floors_met and not hits
    grade = scoring.grades[attained] if passed else None
    return ScoreResult(
        total=0,
        max_total=0,
        criteria=criteria,
        floors_met=floors_met,
        meets_pass_total=floors_met,
        passed=passed,
        shortfalls=tuple(shortfalls),
        rating=grade.code if grade else NOT_MET,
        rating_label=grade.label(locale) if grade else message(f"rating_{NOT_MET}", locale),
        knockouts=hits,
        items=tuple(items),
    )


def _same(value: Any, expected: Any) -> bool:
    # True == 1 in Python: a yes/no answer must not hit a knock-out on 1 point, nor 0 points on "no".
    return value is not None and isinstance(value, bool) == isinstance(expected, bool) and value == expected


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
