"""Recognised N years in a row: one rule for the subject page, the commendation filters and the data a
procedure starts with.

A run is a sequence of consecutive years in which the subject's dossier for one title ended recognised.
- The subject page shows, per title, the run ending at the latest recognised year.
- A procedure starts with ``years_in_a_row`` = the run ending the year before the dossier's year (the
  record the subject brings; the dossier's own year is not decided yet).
- The commendation filter "at least N years in a row" counts the dossier's own year (it is recognised, or
  is being decided) with the run right before it: the N-1 years before it were recognised.
"""

from collections.abc import Iterable

from sqlalchemy import and_, exists, select, true
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Dossier

RECOGNIZED = "recognized"


def run_ending(years: Iterable[int], year: int) -> int:
    """How many consecutive years of ``years`` end at ``year`` (0 when ``year`` is not one of them)."""
    recognised = set(years)
    count = 0
    while year - count in recognised:
        count += 1
    return count


def recognised_years(subject_id: int, title: str) -> set[int]:
    return set(
        db.session.scalars(
            select(Dossier.year).where(
                Dossier.subject_id == subject_id, Dossier.title == title, Dossier.status == RECOGNIZED
            )
        )
    )


def years_before(subject_id: int, title: str, year: int) -> int:
    """The run the subject brings into ``year``: recognised in each of the years right before it."""
    return run_ending(recognised_years(subject_id, title), year - 1)


def latest_run(years: Iterable[int]) -> int:
    """The run ending at the latest recognised year (0 if never recognised)."""
    recognised = set(years)
    return run_ending(recognised, max(recognised)) if recognised else 0


def at_least_in_a_row(count: int):
    """SQL condition on ``Dossier``: with its own year, the subject is recognised ``count`` years in a row
    for the dossier's title (the ``count - 1`` years before it were recognised)."""
    if count <= 1:
        return true()
    earlier = aliased(Dossier)
    return and_(
        *(
            exists().where(
                earlier.subject_id == Dossier.subject_id,
                earlier.title == Dossier.title,
                earlier.year == Dossier.year - back,
                earlier.status == RECOGNIZED,
            )
            for back in range(1, count)
        )
    )
