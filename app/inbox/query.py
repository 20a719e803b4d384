"""The inbox: open tasks read from the human_task table only (never by loading workflows)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, joinedload

from app.models import AdminUnit, Dossier, HumanTask, Subject, User
from app.services.jurisdiction import task_scope

SORTS = {
    "due": (HumanTask.due_at.is_(None), HumanTask.due_at.asc(), HumanTask.id.asc()),
    "-due": (HumanTask.due_at.is_(None), HumanTask.due_at.desc(), HumanTask.id.desc()),
    "created": (HumanTask.created_at.asc(), HumanTask.id.asc()),
    "-created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
}


@dataclass
class InboxFilter:
    title: str | None = None
    unit_id: int | None = None
    overdue: bool = False
    claimed: str | None = None  # "me", "unclaimed" or None for all
    sort: str = "due"

    @classmethod
    def from_args(cls, args) -> "InboxFilter":
        """Read the filters from query-string arguments, ignoring values it does not know."""
        return cls(
            title=args.get("title") or None,
            unit_id=args.get("unit", type=int),
            overdue=args.get("overdue") in ("1", "true"),
            claimed=args.get("claimed") if args.get("claimed") in ("me", "unclaimed") else None,
            sort=args.get("sort") if args.get("sort") in SORTS else "due",
        )


def inbox_query(user: User, filters: InboxFilter, *, now: datetime) -> Select:
    query = (
        select(HumanTask)
        .join(Dossier, Dossier.id == HumanTask.dossier_id)
        .join(Subject, Subject.id == Dossier.subject_id)
        .options(
            contains_eager(HumanTask.dossier).contains_eager(Dossier.subject),
            joinedload(HumanTask.unit),
            joinedload(HumanTask.claimed_by),
        )
        .where(HumanTask.state == "open", task_scope(user))
    )
    if filters.title:
        query = query.where(HumanTask.title == filters.title)
    if filters.unit_id:
        # A filter unit only narrows: the scope above already limits to the caller's jurisdiction.
        unit_path = select(AdminUnit.path).where(AdminUnit.id == filters.unit_id).scalar_subquery()
        query = query.where(Dossier.unit_path.startswith(unit_path))
    if filters.overdue:
        query = query.where(HumanTask.due_at.is_not(None), HumanTask.due_at < now)
    if filters.claimed == "me":
        query = query.where(HumanTask.claimed_by_id == user.id)
    elif filters.claimed == "unclaimed":
        query = query.where(HumanTask.claimed_by_id.is_(None))
    return query.order_by(*SORTS.get(filters.sort, SORTS["due"]))
