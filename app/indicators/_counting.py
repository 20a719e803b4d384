"""What the indicator kinds share: which of a set of subjects hold a title in a year."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.extensions import db
from app.indicators import IndicatorResult, share
from app.models import Dossier, Subject

RECOGNISED = "recognized"


def recognised_share(subjects: Sequence[Subject], title: str, year: int) -> IndicatorResult:
    """The share of ``subjects`` whose dossier for ``title`` in ``year`` is recognised, with the list."""
    ids = [subject.id for subject in subjects]
    recognised: set[int] = set()
    # In chunks: a village has hundreds of households, a database takes a bounded IN list.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        recognised.update(
            db.session.scalars(
                select(Dossier.subject_id).where(
                    Dossier.subject_id.in_(chunk),
                    Dossier.title == title,
                    Dossier.year == year,
                    Dossier.status == RECOGNISED,
                )
            )
        )
    basis = [
        {"subject_id": s.id, "code": s.code, "name": s.name, "counted": s.id in recognised} for s in subjects
    ]
    counted = sum(1 for row in basis if row["counted"])
    return IndicatorResult(share(counted, len(basis)), counted, len(basis), basis)
