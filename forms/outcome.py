"""What the values entered on a step lead to, before they are submitted.

An official must see which rule a total fails before the submission ends a dossier. The preview
takes the path a submission takes (validate_submission, then ``scored_data``, which the service's
step_variables also uses) and lays the ScoreResult out rule by rule: the total against the pass mark,
every criterion and item floor, every knock-out, every indicator group. No rule is evaluated here:
each check reads a field of the ScoreResult, so the preview cannot disagree with the stored score.

Whether the outcome ends the dossier is not the form's business (the procedure's gateways decide);
the service answers that by running the step on a copy of the workflow.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from forms.expressions import holds
from forms.messages import DEFAULT_LOCALE, format_number, message
from forms.model import LEVELS, FieldDefinition, FormDefinition
from forms.scoring import ScoreResult, score_submission
from forms.submission import validate_submission


@dataclass(frozen=True)
class RuleCheck:
    """One rule of the scoring, as the official reads it: "Tổng điểm: 82/100 (cần từ 80)"."""

    text: str
    met: bool


@dataclass(frozen=True)
class OutcomePreview:
    # The clean values as validated: what a submission of the same input is scored and run with.
    data: dict[str, Any]
    # The score of the values entered; None for a form without scoring.
    score: ScoreResult | None
    # Whether a submission would record that score: not when the scores do not apply (a return, or
    # no decision chosen yet), though the official still sees what the entered scores amount to.
    counted: bool
    checks: tuple[RuleCheck, ...]
    errors: dict[str, list[str]]
    # No score and no choice-like field (the answers a procedure branches on) has an error: what is
    # entered is what a submission would carry into the workflow.
    settled: bool

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        score = self.score
        return {
            "valid": self.valid,
            "settled": self.settled,
            "counted": self.counted,
            "score": None
            if score is None
            else {
                "total": score.total,
                "max_total": score.max_total,
                "passed": score.passed,
                "rating": score.rating,
                "rating_label": score.rating_label,
                "shortfalls": list(score.shortfalls),
            },
            "checks": [{"text": check.text, "met": check.met} for check in self.checks],
        }


def _applies(field: FieldDefinition, data: Mapping[str, Any]) -> bool:
    # The field's condition in the one expression format the form is evaluated with everywhere.
    return holds(field.required_when, data)


def scored_data(
    definition: FormDefinition, data: Mapping[str, Any], *, locale: str = DEFAULT_LOCALE
) -> tuple[dict[str, Any], ScoreResult | None]:
    """The data a step keeps and its score.

    A return keeps no scores: the browser posts the pre-filled inputs, which nobody judged. A scored
    form is scored only when all its score fields apply (not when the step returns the dossier).
    """
    kept = {
        name: None
        if definition.field(name).type == "score" and not _applies(definition.field(name), data)
        else value
        for name, value in data.items()
    }
    scores = [field for field in definition.value_fields if field.type == "score"]
    if definition.scoring is None or not all(_applies(field, kept) for field in scores):
        return kept, None
    return kept, score_submission(definition, kept, locale=locale)


def preview_outcome(
    definition: FormDefinition,
    formdata: Any,
    *,
    locale: str = DEFAULT_LOCALE,
    evidence_ids: Collection[int] = frozenset(),
) -> OutcomePreview:
    """The outcome of submitting ``formdata`` (a multi-dict of input strings, as posted).

    Invalid or missing values count as empty, as score_submission counts them (0 points); ``settled``
    and ``errors`` tell how far the verdict can be trusted.
    """
    checked = validate_submission(definition, formdata, locale=locale, evidence_ids=evidence_ids)
    _kept, score = scored_data(definition, checked.data, locale=locale)
    counted = score is not None
    if score is None and definition.scoring is not None:
        score = score_submission(definition, checked.data, locale=locale)
    deciding = {
        field.name
        for field in definition.value_fields
        if field.field_type.conditional or field.field_type.scored
    }
    return OutcomePreview(
        data=checked.data,
        score=score,
        counted=counted,
        checks=_rule_checks(definition, score, locale) if score is not None else (),
        errors=checked.errors,
        settled=not any(name in deciding for name in checked.errors),
    )


def _rule_checks(
    definition: FormDefinition, score: ScoreResult, locale: str = DEFAULT_LOCALE
) -> tuple[RuleCheck, ...]:
    """Every rule of the definition's scoring with whether ``score`` meets it, in the order the
    shortfalls are listed: knock-outs, the total, criteria, items (indicator groups under "levels")."""
    scoring = definition.scoring
    checks = []
    for knockout in scoring.knockouts:
        hit = any(
            h.field == knockout.field and h.message == knockout.message(locale) for h in score.knockouts
        )
        text = message("check_knockout", locale, label=definition.field(knockout.field).label(locale))
        checks.append(RuleCheck(text, not hit))
    if scoring.kind == LEVELS:
        first = scoring.grades[0].label(locale)
        for index, criterion in enumerate(score.criteria, start=1):
            text = message("check_indicators", locale, index=index, label=criterion.label, level=first)
            checks.append(RuleCheck(text, criterion.met))
        return tuple(checks)
    total = message(
        "check_total", locale, total=score.total, max_total=score.max_total, pass_total=scoring.pass_total
    )
    checks.append(RuleCheck(total, score.meets_pass_total))
    for index, criterion in enumerate(score.criteria, start=1):
        if criterion.floor:
            text = message(
                "check_criterion",
                locale,
                index=index,
                label=criterion.label,
                points=criterion.points,
                max_points=criterion.max_points,
                floor=format_number(criterion.floor, locale),
            )
            checks.append(RuleCheck(text, criterion.met))
    for item in score.items:
        if item.floor is not None:
            text = message(
                "check_item",
                locale,
                label=item.label,
                points=item.points,
                max_points=item.max_points,
                floor=item.floor,
            )
            checks.append(RuleCheck(text, item.met))
    return tuple(checks)
