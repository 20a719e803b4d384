"""The inbox: open tasks read from the human_task table only (never by loading workflows).

A view of the inbox is its query string (filters, sort, page, page size). It travels with the link from
the inbox to a task page, so that the task page can offer the previous and next task of the same view
and, once the task is done, open the next one ("save and next") or lead back to the same list.
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import OFFICIAL_ROLES, AdminUnit, Dossier, HumanTask, Subject, User
from app.services.bounds import search_text
from app.services.jurisdiction import task_scope

# The subject's own unit: the village (thôn, tổ dân phố) of a household.
Village = aliased(AdminUnit, name="village")

SORTS = {
    "due": (HumanTask.due_at.is_(None), HumanTask.due_at.asc(), HumanTask.id.asc()),
    "-due": (HumanTask.due_at.is_(None), HumanTask.due_at.desc(), HumanTask.id.desc()),
    "created": (HumanTask.created_at.asc(), HumanTask.id.asc()),
    "-created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
    # Dossiers without a self-score (not a scored title) come last either way.
    "-self_score": (Dossier.self_score.is_(None), Dossier.self_score.desc(), HumanTask.id.asc()),
    "self_score": (Dossier.self_score.is_(None), Dossier.self_score.asc(), HumanTask.id.asc()),
    "subject": (Subject.name.asc(), HumanTask.id.asc()),
}
PAGE_SIZES = (20, 50, 100, 200)
# The query-string arguments that make a view of the inbox; anything else is dropped from its links.
VIEW_ARGS = (
    "q",
    "title",
    "unit",
    "village",
    "score_min",
    "score_max",
    "overdue",
    "claimed",
    "sort",
    "page",
    "per_page",
)


# Ids and scores are integer columns: a larger number is no filter the database could even compare.
MAX_INTEGER = 2**31 - 1


def _integer(args, name: str) -> int | None:
    value = args.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_INTEGER else None


def _search(args) -> str | None:
    # NFC: text typed on a phone may arrive decomposed ("ê" + accent) while names are stored composed.
    return unicodedata.normalize("NFC", search_text(args)) or None


@dataclass
class InboxFilter:
    title: str | None = None
    unit_id: int | None = None
    overdue: bool = False
    claimed: str | None = None  # "me", "unclaimed" or None for all
    sort: str = "due"
    q: str | None = None  # name, code or village
    village_id: int | None = None
    score_min: int | None = None  # the household's self-score
    score_max: int | None = None

    @classmethod
    def from_args(cls, args) -> "InboxFilter":
        """Read the filters from query-string arguments, ignoring values it does not know; a search term
        longer than any name raises ``InvalidInput``."""
        return cls(
            title=args.get("title") or None,
            unit_id=_integer(args, "unit"),
            overdue=args.get("overdue") in ("1", "true"),
            claimed=args.get("claimed") if args.get("claimed") in ("me", "unclaimed") else None,
            sort=args.get("sort") if args.get("sort") in SORTS else "due",
            q=_search(args),
            village_id=_integer(args, "village"),
            score_min=_integer(args, "score_min"),
            score_max=_integer(args, "score_max"),
        )


def _filtered(user: User, filters: InboxFilter, now: datetime, *columns) -> Select:
    query = (
        select(*columns)
        .select_from(HumanTask)
        .join(Dossier, Dossier.id == HumanTask.dossier_id)
        .join(Subject, Subject.id == Dossier.subject_id)
        .join(Village, Village.id == Dossier.unit_id)
        .where(HumanTask.state == "open", task_scope(user))
    )
    if filters.title:
        query = query.where(HumanTask.title == filters.title)
    if filters.unit_id:
        # A filter unit only narrows: the scope above already limits to the caller's jurisdiction.
        unit_path = select(AdminUnit.path).where(AdminUnit.id == filters.unit_id).scalar_subquery()
        query = query.where(Dossier.unit_path.startswith(unit_path))
    if filters.village_id:
        query = query.where(Dossier.unit_id == filters.village_id)
    if filters.overdue:
        query = query.where(HumanTask.due_at.is_not(None), HumanTask.due_at < now)
    if filters.claimed == "me":
        query = query.where(HumanTask.claimed_by_id == user.id)
    elif filters.claimed == "unclaimed":
        query = query.where(HumanTask.claimed_by_id.is_(None))
    if filters.score_min is not None:
        query = query.where(Dossier.self_score >= filters.score_min)
    if filters.score_max is not None:
        query = query.where(Dossier.self_score <= filters.score_max)
    if filters.q:
        # lower() folds Vietnamese capitals on both databases (SQLite's is replaced in app/__init__.py).
        needle = filters.q.lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (Subject.name, Subject.code, Dossier.code, Village.name)
                )
            )
        )
    return query


def inbox_query(user: User, filters: InboxFilter, *, now: datetime) -> Select:
    return (
        _filtered(user, filters, now, HumanTask)
        .options(
            contains_eager(HumanTask.dossier).contains_eager(Dossier.subject),
            contains_eager(HumanTask.dossier).contains_eager(Dossier.unit.of_type(Village)),
            joinedload(HumanTask.unit),
            joinedload(HumanTask.claimed_by),
        )
        .order_by(*SORTS.get(filters.sort, SORTS["due"]))
    )


def page_size(args, default: int) -> int:
    """The page size a view asks for, if it is one of the choices offered."""
    size = args.get("per_page", type=int)
    return size if size in PAGE_SIZES else default


def view_args(args) -> dict[str, str]:
    """The arguments of an inbox view, from a request's (or a view context's) arguments."""
    return {key: args[key] for key in VIEW_ARGS if args.get(key)}


def view_context(args) -> str:
    """A view as one query-string value, for the link from the inbox to a task and on from there."""
    return urlencode(view_args(args))


def view_from_context(context: str) -> MultiDict:
    return MultiDict(parse_qsl(context, max_num_fields=len(VIEW_ARGS) * 2))


# -- the tasks around one task of a view, for the task page's previous / next and "save and next" --------


def _numbered(user: User, filters: InboxFilter, now: datetime):
    """The tasks of a view the user can open (unclaimed, or claimed by them), numbered in its order."""
    order = SORTS.get(filters.sort, SORTS["due"])
    return (
        _filtered(
            user,
            filters,
            now,
            HumanTask.id.label("id"),
            func.row_number().over(order_by=order).label("n"),
            func.count().over().label("total"),
        )
        .where(or_(HumanTask.claimed_by_id.is_(None), HumanTask.claimed_by_id == user.id))
        .cte("numbered")
    )


@dataclass(frozen=True)
class Neighbours:
    previous: int | None
    next: int | None
    position: int | None  # the task's place in the view, from 1; None when the view does not hold it
    total: int


def neighbours(user: User, filters: InboxFilter, task_id: int, *, now: datetime) -> Neighbours:
    """The tasks before and after ``task_id`` in a view; the view's first task is "next" when the view
    does not hold ``task_id`` (it was filtered out, or opened from elsewhere)."""
    numbered = _numbered(user, filters, now)
    current = select(numbered.c.n).where(numbered.c.id == task_id).scalar_subquery()
    rows = db.session.execute(
        select(numbered.c.id, numbered.c.n, numbered.c.total).where(
            or_(numbered.c.n.between(current - 1, current + 1), numbered.c.n == 1)
        )
    ).all()
    by_place = {row.n: row.id for row in rows}
    position = next((row.n for row in rows if row.id == task_id), None)
    total = rows[0].total if rows else 0
    if position is None:
        return Neighbours(None, by_place.get(1), None, total)
    return Neighbours(by_place.get(position - 1), by_place.get(position + 1), position, total)


def task_at_or_after(user: User, filters: InboxFilter, position: int | None, *, now: datetime) -> int | None:
    """The first task the user can open at ``position`` of a view or later (from the start for None).

    Called once a task is done: it has left the view, so what was after it now holds its place.
    """
    numbered = _numbered(user, filters, now)
    return db.session.scalar(
        select(numbered.c.id).where(numbered.c.n >= (position or 1)).order_by(numbered.c.n).limit(1)
    )


# -- escalated tasks: late work in the units one level below, for the officials who must follow it up -----

ESCALATED_SHOWN = 20


def escalated_below(user: User, *, limit: int = ESCALATED_SHOWN) -> tuple[list[HumanTask], int]:
    """Open tasks escalated to one of ``user``'s official units (they are late one level below): the
    most overdue first, and how many there are in all."""
    unit_ids = sorted({a.unit_id for a in user.roles if a.role in OFFICIAL_ROLES})
    if not unit_ids:
        return [], 0
    late = (
        select(HumanTask)
        .join(AdminUnit, AdminUnit.id == HumanTask.unit_id)
        .where(
            HumanTask.state == "open",
            HumanTask.escalated_at.is_not(None),
            AdminUnit.parent_id.in_(unit_ids),
        )
    )
    total = db.session.scalar(select(func.count()).select_from(late.subquery()))
    tasks = db.session.scalars(
        late.options(joinedload(HumanTask.unit), joinedload(HumanTask.dossier).joinedload(Dossier.subject))
        .order_by(HumanTask.due_at.asc(), HumanTask.id.asc())
        .limit(limit)
    ).all()
    return list(tasks), total
