"""The inbox: open tasks read from the human_task table only (never by loading workflows).

A view of the inbox is its query string (filters, sort, page, page size). It travels with the link from
the inbox to a task page, so that the task page can offer the previous and next task of the same view
and, once the task is done, open the next one ("save and next") or lead back to the same list.
"""

import base64
import binascii
import functools
import json
import math
import operator
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Select, and_, false, func, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased, contains_eager, joinedload
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import OFFICIAL_ROLES, AdminUnit, Dossier, HumanTask, Subject, User
from app.services.bounds import search_text
from app.services.jurisdiction import task_scope, task_scope_parts

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


def _order_by(keys: tuple[SortKey, ...], columns=None, *, reverse: bool = False) -> tuple:
    """ORDER BY for ``keys``, on their own columns or on ``columns`` (the same values read from a
    subquery); ``reverse`` for the same order backwards (an index read from its end)."""
    order = []
    for key, column in zip(keys, columns or [key.column for key in keys], strict=True):
        if key.nullable:
            order.append(column.is_(None).desc() if reverse else column.is_(None))
        order.append(column.desc() if key.descending != reverse else column.asc())
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


def _with_row_tables(query: Select) -> Select:
    """``query`` joined to each task's dossier, household and village (one of each per task)."""
    return (
        query.join(Dossier, Dossier.id == HumanTask.dossier_id)
        .join(Subject, Subject.id == Dossier.subject_id)
        .join(Village, Village.id == Dossier.unit_id)
    )


# Written as a literal: the inbox's indexes hold open tasks only, and a planner uses such an index only for
# a query that says so in the same words (app/models/dossier.py's OFFICIALS_OPEN, AT_DESK_OPEN).
OPEN = HumanTask.state == literal_column("'open'")


def _filtered(  # noqa: PLR0913
    user: User, filters: InboxFilter, now: datetime, *columns, joins: bool = True, scope=None
) -> Select:
    """The view's open tasks; ``joins=False`` leaves out the dossier, subject and village when no filter
    reads them (for counting: every task has exactly one of each, so the count is the same). ``scope``
    narrows to one of ``task_scope_parts`` instead of all the tasks the user may work on."""
    query = select(*columns).select_from(HumanTask)
    if joins or _needs_dossier(filters):
        query = _with_row_tables(query)
    query = query.where(OPEN, task_scope(user) if scope is None else scope)
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


# What a row of the inbox shows, loaded with the task.
_ROW = (
    contains_eager(HumanTask.dossier).contains_eager(Dossier.subject),
    contains_eager(HumanTask.dossier).contains_eager(Dossier.unit.of_type(Village)),
    joinedload(HumanTask.unit),
    joinedload(HumanTask.claimed_by),
)


def inbox_query(user: User, filters: InboxFilter, *, now: datetime) -> Select:
    return (
        _filtered(user, filters, now, HumanTask)
        .options(*_ROW)
        .order_by(*SORTS.get(filters.sort, SORTS["due"]))
    )


def _reads_other_tables(filters: InboxFilter) -> bool:
    return _needs_dossier(filters) or any(
        key.column.table is not HumanTask.__table__ for key in SORT_KEYS[filters.sort]
    )


def _page_ids(  # noqa: PLR0913
    user: User,
    filters: InboxFilter,
    now: datetime,
    *,
    where: tuple = (),
    offset: int = 0,
    limit: int,
    reverse: bool = False,
) -> list[int]:
    """The ids of a page of the view's tasks meeting ``where``, in order (backwards with ``reverse``):
    each part of the user's scope reads its first ``offset + limit`` rows from its own index, and the
    merge of those few rows is the page. One OR over the parts would make the database gather every task
    of every part and sort them all."""
    keys = SORT_KEYS[filters.sort]
    joins = _reads_other_tables(filters)
    reads = []
    for part in task_scope_parts(user, in_sort_order=True):
        read = _filtered(
            user,
            filters,
            now,
            HumanTask.id.label("id"),
            *(key.column.label(f"k{i}") for i, key in enumerate(keys)),
            joins=joins,
            scope=part,
        ).where(*where)
        reads.append(read.order_by(*_order_by(keys, reverse=reverse)).limit(offset + limit).subquery())
    merged = union_all(*(select(read) for read in reads)).subquery() if len(reads) > 1 else reads[0]
    columns = [merged.c[f"k{i}"] for i in range(len(keys))]
    order = _order_by(keys, columns, reverse=reverse)
    return list(db.session.scalars(select(merged.c.id).order_by(*order).offset(offset).limit(limit)).all())


def _rows(ids: list[int], sort: str) -> list[HumanTask]:
    """The tasks ``ids`` with what their rows show, in the view's order."""
    if not ids:
        return []
    query = (
        _with_row_tables(select(HumanTask)).where(HumanTask.id.in_(ids)).options(*_ROW).order_by(*SORTS[sort])
    )
    return list(db.session.scalars(query).all())


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


def _short_of(key: SortKey, value):
    """Rows strictly before ``value`` on this key alone (NULLs last: a NULL is before nothing, and every
    value is before a NULL)."""
    if value is None:
        return key.column.is_not(None)
    return key.column > value if key.descending else key.column < value


def before_position(sort: str, values: list):
    """SQL condition: the rows before the one whose sort-key values are ``values`` (``after_position``'s
    mirror; a NULL comparison is false, so a NULL key is never taken for an earlier one)."""
    return _keyset(sort, values, _short_of)


def after_position(sort: str, values: list):
    """SQL condition: the rows after the one whose sort-key values are ``values``, in ``sort``'s order.

    (k1 > v1) or (k1 = v1 and k2 > v2) or …; the last key is the unique id, so no row is both skipped
    and repeated however many rows share the other keys."""
    return _keyset(sort, values, _beyond)


def _keyset(sort: str, values: list, past):
    """(k1 past v1) or (k1 = v1 and k2 past v2) or …, ``past`` being one key's "after" or "before"."""
    keys = SORT_KEYS[sort]
    return or_(
        *(
            and_(
                *(_equal(k, v) for k, v in zip(keys[:j], values[:j], strict=True)),
                past(keys[j], values[j]),
            )
            for j in range(len(keys))
        )
    )


def capped_count(
    user: User, filters: InboxFilter, *, now: datetime, cap: int | None = None, where: tuple = ()
) -> tuple[int, bool]:
    """How many tasks a view holds (those meeting ``where``), counting no further than ``cap`` + 1 rows:
    (count, capped)."""
    cap = COUNT_CAP if cap is None else cap
    joins = bool(where) and _reads_other_tables(filters)
    counts = [
        select(func.count())
        .select_from(
            _filtered(user, filters, now, HumanTask.id, joins=joins, scope=part)
            .where(*where)
            .limit(cap + 1)
            .subquery()
        )
        .scalar_subquery()
        for part in task_scope_parts(user)
    ]
    n = db.session.scalar(select(functools.reduce(operator.add, counts)))
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
    where = (after_position(filters.sort, decode_cursor(filters.sort, after)),) if after else ()
    offset = 0 if after else (page - 1) * per_page
    ids = _page_ids(user, filters, now, where=where, offset=offset, limit=per_page + 1)
    rows = _rows(ids, filters.sort)
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


@dataclass(frozen=True)
class Neighbours:
    previous: int | None
    next: int | None
    position: int | None  # the task's row in the view, from 1; None when the view does not hold it
    total: int
    total_capped: bool = False  # more than ``total`` (then ``position`` is only known up to it)
    # The task's sort-key values in the view, for what follows it once it is done; None when not in it.
    values: list | None = None


def _openable(user: User):
    """The tasks of a view the user can open: unclaimed, or claimed by them."""
    return or_(HumanTask.claimed_by_id.is_(None), HumanTask.claimed_by_id == user.id)


def neighbours(user: User, filters: InboxFilter, task_id: int, *, now: datetime) -> Neighbours:
    """The tasks before and after ``task_id`` in a view and its place there, each read from the sort's
    index next to the task (no numbering of the whole view); the view's first task is "next" when the view
    does not hold ``task_id`` (it was filtered out, or opened from elsewhere)."""
    # Its place and the total are the list's (what the inbox shows); previous and next skip the tasks
    # claimed by someone else, which the user cannot open.
    openable = _openable(user)
    total, capped = capped_count(user, filters, now=now)
    held = db.session.scalar(
        _filtered(user, filters, now, HumanTask.id, joins=_reads_other_tables(filters)).where(
            HumanTask.id == task_id, openable
        )
    )
    if held is None:
        first = _page_ids(user, filters, now, where=(openable,), limit=1)
        return Neighbours(None, first[0] if first else None, None, total, capped)
    task = db.session.get(HumanTask, task_id)
    values = [key.value(task) for key in SORT_KEYS[filters.sort]]
    before = before_position(filters.sort, values)
    after = after_position(filters.sort, values)
    previous = _page_ids(user, filters, now, where=(openable, before), limit=1, reverse=True)
    following = _page_ids(user, filters, now, where=(openable, after), limit=1)
    earlier, beyond_cap = capped_count(user, filters, now=now, where=(before,))
    return Neighbours(
        previous[0] if previous else None,
        following[0] if following else None,
        None if beyond_cap else earlier + 1,
        total,
        capped,
        values,
    )


def task_after(user: User, filters: InboxFilter, values: list | None, *, now: datetime) -> int | None:
    """The first task the user can open after the sort-key ``values`` of a view (from the start for None).

    Called once a task is done, with the values it had: it has left the view, so what followed it is next.
    """
    where = (_openable(user),) if values is None else (_openable(user), after_position(filters.sort, values))
    found = _page_ids(user, filters, now, where=where, limit=1)
    return found[0] if found else None


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
