"""Reads for the decision pages: the candidates table (filters, sort, page) and the decisions list."""

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from app.models import AdminUnit, Dossier, Subject, User
from app.models.decision import DECISION_KINDS, DECISION_STATUSES, Decision
from app.services import decisions
from app.services.dossiers import MAX_YEAR, MIN_YEAR

SORTS = {
    "subject": (Subject.name.asc(), Dossier.id.asc()),
    "-score": (Dossier.score.is_(None), Dossier.score.desc(), Dossier.id.asc()),
    "score": (Dossier.score.is_(None), Dossier.score.asc(), Dossier.id.asc()),
    "code": (Dossier.code.asc(),),
}
PAGE_SIZES = (20, 50, 100, 200)
MAX_INTEGER = 2**31 - 1
# The filters of a candidates view, carried from the list to the draft form (select all matching).
FILTER_ARGS = ("kind", "title", "year", "unit", "score_min", "rating", "years_in_a_row", "sort")


def _integer(args, name: str, low: int = 0, high: int = MAX_INTEGER) -> int | None:
    value = args.get(name, type=int)
    return value if value is not None and low <= value <= high else None


@dataclass
class CandidateFilter:
    kind: str = "recognition"
    title: str | None = None
    year: int | None = None
    unit_id: int | None = None
    score_min: int | None = None
    rating: str | None = None
    years_in_a_row: int | None = None
    sort: str = "subject"

    @classmethod
    def from_args(cls, args) -> "CandidateFilter":
        return cls(
            kind=args.get("kind") if args.get("kind") in DECISION_KINDS else "recognition",
            title=args.get("title") or None,
            year=_integer(args, "year", MIN_YEAR, MAX_YEAR),
            unit_id=_integer(args, "unit", 1),
            score_min=_integer(args, "score_min"),
            rating=args.get("rating") or None,
            years_in_a_row=_integer(args, "years_in_a_row", 1, decisions.MAX_YEARS_IN_A_ROW),
            sort=args.get("sort") if args.get("sort") in SORTS else "subject",
        )

    def query(self, user: User) -> Select:
        return (
            decisions.candidates(
                user,
                kind=self.kind,
                title=self.title,
                year=self.year,
                unit_id=self.unit_id,
                score_min=self.score_min,
                rating=self.rating,
                years_in_a_row=self.years_in_a_row,
            )
            .options(joinedload(Dossier.subject), joinedload(Dossier.unit))
            .order_by(*SORTS[self.sort])
        )

    def args(self) -> dict:
        values = {
            "kind": self.kind,
            "title": self.title,
            "year": self.year,
            "unit": self.unit_id,
            "score_min": self.score_min,
            "rating": self.rating,
            "years_in_a_row": self.years_in_a_row,
            "sort": self.sort,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


def matching_ids(user: User, filters: CandidateFilter) -> list[int]:
    """Select all matching: the ids of every candidate of the view, up to one decision's annex."""
    from app.extensions import db

    query = filters.query(user).with_only_columns(Dossier.id).limit(decisions.MAX_DOSSIERS)
    return list(db.session.scalars(query))


def decisions_query(user: User, *, status: str | None, kind: str | None, year: int | None) -> Select:
    """Decisions made at units in the user's reach (or above it: the province's decisions list the
    commune's dossiers), newest first."""
    query = select(Decision).options(joinedload(Decision.issuing_unit), selectinload(Decision.entries))
    if not user.is_admin:
        from sqlalchemy import false, or_

        paths = [a.unit.path for a in user.roles]
        unit_paths = select(AdminUnit.id).where(
            or_(*(AdminUnit.path.startswith(p, autoescape=True) for p in paths)) if paths else false()
        )
        query = query.where(Decision.issuing_unit_id.in_(unit_paths))
    if status in DECISION_STATUSES:
        query = query.where(Decision.status == status)
    if kind in DECISION_KINDS:
        query = query.where(Decision.kind == kind)
    if year is not None:
        query = query.where(Decision.year == year)
    return query.order_by(Decision.created_at.desc(), Decision.id.desc())
