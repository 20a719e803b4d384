"""Derived indicators on task forms: computed live while a dossier is worked on, frozen when an official
scores it.

A form's ``derived`` fields (forms/fields/derived.py) name an indicator kind (app/indicators). While the
dossier has no snapshot for a field, the value is computed from the records as they stand now, for the
task page, its outcome preview and a submission. When an official submits the step whose form carries
the field (not the self-assessment, and only when the step's scores count: a return judges nothing), the
value and the list it was computed from are frozen in ``IndicatorSnapshot`` inside the step's
transaction. From then on every page, preview and later step shows and scores the frozen value, so a
family recognised later never alters a decision already taken.

The server's value always replaces whatever a client posted under a derived field's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.indicators import compute
from app.models import Dossier, HumanTask, IndicatorSnapshot, Submission
from app.models.user import OFFICIAL_ROLES
from forms import validate_submission
from forms.outcome import scored_data
from workflow import scoring_tasks


@dataclass(frozen=True)
class DerivedView:
    """What a derived field shows: the value, its parts, the list, and when it was frozen (None: live)."""

    field: str
    indicator: str
    value: float | None
    numerator: int | None
    denominator: int | None
    basis: list[dict[str, Any]] = field(default_factory=list)
    frozen_at: datetime | None = None

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "indicator": self.indicator,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "basis": list(self.basis),
            "frozen": self.frozen,
            "frozen_at": self.frozen_at.isoformat() if self.frozen_at else None,
        }


def derived_fields(form) -> list:
    return [f for f in form.value_fields if f.type == "derived"]


def snapshots(dossier: Dossier) -> dict[str, IndicatorSnapshot]:
    """The dossier's frozen values by field name."""
    rows = db.session.scalars(
        select(IndicatorSnapshot)
        .where(IndicatorSnapshot.dossier_id == dossier.id)
        .order_by(IndicatorSnapshot.id)
    )
    return {row.field: row for row in rows}


def _from_snapshot(row: IndicatorSnapshot) -> DerivedView:
    return DerivedView(
        field=row.field,
        indicator=row.indicator,
        value=row.value,
        numerator=row.numerator,
        denominator=row.denominator,
        basis=list(row.basis or []),
        frozen_at=row.computed_at,
    )


def views_for(dossier: Dossier, form) -> dict[str, DerivedView]:
    """Each derived field of ``form`` as the dossier shows it: its frozen snapshot, else computed now."""
    fields = derived_fields(form)
    if not fields:
        return {}
    frozen = snapshots(dossier)
    views = {}
    for item in fields:
        if item.name in frozen:
            views[item.name] = _from_snapshot(frozen[item.name])
            continue
        result = compute(item.options["indicator"], dossier, item.options["params"])
        views[item.name] = DerivedView(
            field=item.name,
            indicator=item.options["indicator"],
            value=result.value,
            numerator=result.numerator,
            denominator=result.denominator,
            basis=result.basis,
        )
    return views


def frozen_views(dossier: Dossier) -> list[DerivedView]:
    """Every frozen value of the dossier (its page lists them), in the order they were frozen."""
    return [_from_snapshot(row) for row in snapshots(dossier).values()]


def field_labels(dossier: Dossier, locale: str) -> dict[str, str]:
    """The labels of the derived fields in the forms the dossier's steps were submitted with."""
    from app.services.procedures import form_for

    labels: dict[str, str] = {}
    versions = db.session.scalars(
        select(Submission).where(Submission.dossier_id == dossier.id).order_by(Submission.id)
    )
    for submission in versions:
        for item in derived_fields(form_for(submission.form_version)):
            labels[item.name] = item.label(locale)
    return labels


def with_values(form, formdata, views: dict[str, DerivedView]) -> MultiDict:
    """``formdata`` with each derived field's input replaced by the server's value (removed when None)."""
    merged = MultiDict()
    if formdata is not None:
        for key in formdata.keys():
            merged.setlist(key, formdata.getlist(key))
    for name, view in views.items():
        if view.value is None:
            merged.pop(name, None)
        else:
            merged.setlist(name, [repr(float(view.value))])
    return merged


def task_formdata(task: HumanTask, form, formdata) -> MultiDict:
    """For the task page and its preview: the answers with the server's derived values in them."""
    views = views_for(task.dossier, form)
    return with_values(form, formdata, views) if views else formdata


def _freezes(task: HumanTask, form, formdata) -> bool:
    """An official's step that is not the self-assessment, whose scores count (or that has no scoring)."""
    if task.subject_id is not None or task.role not in OFFICIAL_ROLES:
        return False
    if task.name == scoring_tasks(task.dossier.process_definition.manifest).get("self"):
        return False
    if form.scoring is None:
        return True
    checked = validate_submission(form, formdata, reject_unknown=False)
    _data, score = scored_data(form, checked.data)
    return score is not None


def apply_to_step(dossier: Dossier, task: HumanTask, form, formdata, *, now: datetime):
    """Called by ``submit_task`` inside the step's transaction, before validation: returns the form data
    with the server's derived values, and freezes them when the step is an official's scoring.

    Nothing is committed here; a refused submission rolls the snapshots back with the rest of the step.
    """
    views = views_for(dossier, form)
    if not views:
        return formdata
    formdata = with_values(form, formdata, views)
    if _freezes(task, form, formdata):
        for view in views.values():
            if view.frozen:
                continue
            db.session.add(
                IndicatorSnapshot(
                    dossier_id=dossier.id,
                    field=view.field,
                    indicator=view.indicator,
                    value=view.value,
                    numerator=view.numerator,
                    denominator=view.denominator,
                    basis=view.basis,
                    computed_at=now,
                )
            )
    return formdata
