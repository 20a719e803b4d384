"""The inbox: open tasks read from the human_task table only (never by loading workflows).

A view of the inbox is its query string (filters, sort, page, page size). It travels with the link from
the inbox to a task page, so that the task page can offer the previous and next task of the same view
and, once the task is done, open the next one ("save and next") or lead back to the same list.
"""

import base64
import binascii
import json
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import OFFICIAL_ROLES, AdminUnit, Dossier, HumanTask, Subject, User
from app.services.bounds import search_text
from app.services.jurisdiction import task_scope

# The subject's own unit: the village (thôn, tổ dân phố) of a household.
Village = aliased(AdminUnit, name="village")


@dataclass(frozen=True)
class SortKey:
    """One key of a sort: its column, direction, whether it may be NULL (NULLs always come last), and
    how to read its value from a task of the page (for the cursor of the next one)."""

    column: object
    descending: bool
    nullable: bool
    value: Callable[[HumanTask], object]
    kind: str = "int"  # "int", "str" or "datetime": how the cursor's JSON value is read back


_ID_ASC = SortKey(HumanTask.id, False, False, lambda t: t.id)
_ID_DESC = SortKey(HumanTask.id, True, False, lambda t: t.id)
_DUE = (HumanTask.due_at, lambda t: t.due_at, "datetime")
_CREATED = (HumanTask.created_at, lambda t: t.created_at, "datetime")
_SELF_SCORE = (Dossier.self_score, lambda t: t.dossier.self_score, "int")

# Every sort ends with the task's id, so that its order is total: a keyset page starts strictly after the
# last row of the previous one even when many tasks share a due date or a name.
SORT_KEYS: dict[str, tuple[SortKey, ...]] = {
    "due": (SortKey(_DUE[0], False, True, _DUE[1], _DUE[2]), _ID_ASC),
    "-due": (SortKey(_DUE[0], True, True, _DUE[1], _DUE[2]), _ID_DESC),
    "created": (SortKey(_CREATED[0], False, False, _CREATED[1], _CREATED[2]), _ID_ASC),
    "-created": (SortKey(_CREATED[0], True, False, _CREATED[1], _CREATED[2]), _ID_DESC),
    # Dossiers without a self-score (not a scored title) come last either way.
    "-self_score": (SortKey(_SELF_SCORE[0], True, True, _SELF_SCORE[1], _SELF_SCORE[2]), _ID_ASC),
    "self_score": (SortKey(_SELF_SCORE[0], False, True, _SELF_SCORE[1], _SELF_SCORE[2]), _ID_ASC),
    "subject": (SortKey(Subject.name, False, False, lambda t: t.dossier.subject.name, "str"), _ID_ASC),
}


def _order_by(keys: tuple[SortKey, ...]) -> tuple:
    order = []
    for key in keys:
        if key.nullable:
            order.append(key.column.is_(None))
        order.append(key.column.desc() if key.descending else key.column.asc())
    return tuple(order)


SORTS = {name: _order_by(keys) for name, keys in SORT_KEYS.items()}

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
    "after",
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


def _needs_dossier(filters: InboxFilter) -> bool:
    """Whether a filter reads the dossier, its subject or its village (else the task's own row is enough)."""
    return bool(
        filters.unit_id
        or filters.village_id
        or filters.q
        or filters.score_min is not None
        or filters.score_max is not None
    )


def _filtered(user: User, filters: InboxFilter, now: datetime, *columns, joins: bool = True) -> Select:
    """The view's open tasks; ``joins=False`` leaves out the dossier, subject and village when no filter
    reads them (for counting: every task has exactly one of each, so the count is the same)."""
    query = select(*columns).select_from(HumanTask)
    if joins or _needs_dossier(filters):
        query = (
            query.join(Dossier, Dossier.id == HumanTask.dossier_id)
            .join(Subject, Subject.id == Dossier.subject_id)
            .join(Village, Village.id == Dossier.unit_id)
        )
    query = query.where(HumanTask.state == "open", task_scope(user))
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


# -- pages: keyset ("after" this row) or numbered, and a count that stops early ------------------------

# Counting stops after this many rows: a province committee's 200,000 open tasks are "more than 10,000",
# not a scan of the whole list on every page.
COUNT_CAP = 10_000
# A cursor is a few short values; anything longer is not one of ours.
MAX_CURSOR = 512


class BadCursor(ValueError):
    """A cursor that is not one this server gave out for the same sort."""


def encode_cursor(sort: str, task: HumanTask) -> str:
    """The position just after ``task`` in ``sort``'s order, as an opaque URL-safe string."""
    values = []
    for key in SORT_KEYS[sort]:
        value = key.value(task)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps([sort, values], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> list:
    """The sort-key values of a cursor; raises ``BadCursor`` when it is malformed or of another sort."""
    if not cursor or len(cursor) > MAX_CURSOR:
        raise BadCursor(cursor)
    try:
        name, values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadCursor(cursor) from exc
    keys = SORT_KEYS[sort]
    if name != sort or not isinstance(values, list) or len(values) != len(keys):
        raise BadCursor(cursor)
    decoded = []
    for key, value in zip(keys, values, strict=True):
        if value is None and key.nullable:
            decoded.append(None)
        elif key.kind == "datetime" and isinstance(value, str):
            try:
                decoded.append(datetime.fromisoformat(value))
            except ValueError as exc:
                raise BadCursor(cursor) from exc
        elif key.kind == "str" and isinstance(value, str) and "\x00" not in value:
            decoded.append(value)
        elif (
            key.kind == "int"
            and isinstance(value, int)
            and not isinstance(value, bool)
            and abs(value) <= MAX_INTEGER
        ):
            decoded.append(value)
        else:
            raise BadCursor(cursor)
    return decoded


def _equal(key: SortKey, value):
    return key.column.is_(None) if value is None else key.column == value


def _beyond(key: SortKey, value):
    """Rows strictly after ``value`` on this key alone (NULLs last in either direction)."""
    if value is None:
        return false()
    beyond = key.column < value if key.descending else key.column > value
    return or_(key.column.is_(None), beyond) if key.nullable else beyond


def after_position(sort: str, values: list):
    """SQL condition: the rows after the one whose sort-key values are ``values``, in ``sort``'s order.

    (k1 > v1) or (k1 = v1 and k2 > v2) or …; the last key is the unique id, so no row is both skipped
    and repeated however many rows share the other keys."""
    keys = SORT_KEYS[sort]
    return or_(
        *(
            and_(
                *(_equal(k, v) for k, v in zip(keys[:j], values[:j], strict=True)),
                _beyond(keys[j], values[j]),
            )
            for j in range(len(keys))
        )
    )


def capped_count(
    user: User, filters: InboxFilter, *, now: datetime, cap: int | None = None
) -> tuple[int, bool]:
    """How many tasks a view holds, counting no further than ``cap`` + 1 rows: (count, capped)."""
    cap = COUNT_CAP if cap is None else cap
    limited = _filtered(user, filters, now, HumanTask.id, joins=False).limit(cap + 1).subquery()
    n = db.session.scalar(select(func.count()).select_from(limited))
    return (cap, True) if n > cap else (n, False)


@dataclass
class InboxPage:
    """A page of an inbox view, shaped like Flask-SQLAlchemy's pagination for the templates, with the
    cursor of the next page and a count that may be capped."""

    items: list[HumanTask]
    page: int
    per_page: int
    total: int
    total_capped: bool
    has_next: bool
    next_cursor: str | None
    keyset: bool = False  # reached through a cursor ("after"), not a page number
    _pages: int = field(init=False, default=0)

    def __post_init__(self):
        counted = math.ceil(self.total / self.per_page) if self.per_page else 0
        # A capped count knows no last page; a cursor may reach past the counted ones.
        self._pages = max(counted, self.page + (1 if self.has_next else 0))

    @property
    def pages(self) -> int:
        return self._pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2
    ):
        """Page numbers to link, None for a gap; no right edge when the count was capped."""
        right_edge = 0 if self.total_capped else right_edge
        last = 0
        for n in range(1, self.pages + 1):
            if (
                n <= left_edge
                or self.page - left_current <= n <= self.page + right_current
                or n > self.pages - right_edge
            ):
                if last + 1 != n:
                    yield None
                yield n
                last = n
        if self.total_capped and last < self.pages:
            yield None


def inbox_page(
    user: User,
    filters: InboxFilter,
    *,
    now: datetime,
    page: int = 1,
    per_page: int,
    after: str | None = None,
) -> InboxPage:
    """One page of a view: the rows after ``after`` (a cursor from the previous page; raises
    ``BadCursor``) or else page ``page`` by number, with a capped count and the next page's cursor.

    A cursor page reads ``per_page`` + 1 rows from the sort's index wherever it is in the list; a numbered
    page skips the rows before it (kept for links and clients that ask for page N)."""
    page = max(page, 1)
    query = inbox_query(user, filters, now=now)
    if after:
        query = query.where(after_position(filters.sort, decode_cursor(filters.sort, after)))
    else:
        query = query.offset((page - 1) * per_page)
    rows = list(db.session.scalars(query.limit(per_page + 1)).all())
    has_next = len(rows) > per_page
    items = rows[:per_page]
    total, capped = capped_count(user, filters, now=now)
    return InboxPage(
        items=items,
        page=page,
        per_page=per_page,
        total=total,
        total_capped=capped,
        has_next=has_next,
        next_cursor=encode_cursor(filters.sort, items[-1]) if has_next else None,
        keyset=bool(after),
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
