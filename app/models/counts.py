"""Per-village counts the progress report reads instead of recounting the registry and the dossiers.

``subject_count`` holds how many subjects of each kind hang on each unit, ``dossier_count`` how many dossiers
of each title, year and status. Both are kept in step by ORM events in the transaction that changes the rows,
so no service can forget them: a subject inserted, deleted, moved to another unit or given another kind; a
dossier inserted, deleted, or whose unit, title, year or status changes. The mapper events only note the
change; once per flush the notes are summed and written as one upsert per changed key, in key order (so two
transactions touching the same villages lock their count rows in the same order). A flush that changes none
of those columns (a workflow step whose status stays the same) writes nothing more.

Rows are never deleted when a count falls to 0; readers skip ``n = 0``.

Rows written around the ORM (executemany, COPY, ``INSERT ... SELECT``, Core ``update()``/``delete()`` on
``subject`` or ``dossier``) bypass the events: after such a bulk load call :func:`recount` in the same
transaction. The migration that created these tables fills them with it too.
"""

from collections import Counter

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.models.dossier import Dossier
from app.models.types import insert_on_conflict
from app.models.unit import Subject


class SubjectCount(db.Model):
    """How many subjects of ``kind`` hang on unit ``unit_id`` (a village, mostly)."""

    __tablename__ = "subject_count"

    unit_id: Mapped[int] = mapped_column(
        db.ForeignKey("admin_unit.id"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(db.String(32), primary_key=True)
    n: Mapped[int] = mapped_column(db.Integer, nullable=False, default=0)


class DossierCount(db.Model):
    """How many dossiers of ``title`` and ``year`` on unit ``unit_id`` are in ``status``."""

    __tablename__ = "dossier_count"

    unit_id: Mapped[int] = mapped_column(
        db.ForeignKey("admin_unit.id"), primary_key=True, autoincrement=False
    )
    title: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    year: Mapped[int] = mapped_column(db.Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(db.String(20), primary_key=True)
    n: Mapped[int] = mapped_column(db.Integer, nullable=False, default=0)


# The one place both tables are computed from scratch: the migration, bench/province_report.py after its
# bulk load, and any bulk load that bypasses the ORM. Plain SQL both databases run alike, so the migration
# does not depend on how the models look later.
RECOUNT = (
    "DELETE FROM subject_count",
    "DELETE FROM dossier_count",
    "INSERT INTO subject_count (unit_id, kind, n) SELECT unit_id, kind, COUNT(*) FROM subject "
    "GROUP BY unit_id, kind",
    "INSERT INTO dossier_count (unit_id, title, year, status, n) "
    "SELECT unit_id, title, year, status, COUNT(*) FROM dossier GROUP BY unit_id, title, year, status",
)


def recount(connection) -> None:
    """Replace both count tables with counts of the rows there are now, on ``connection`` (a Connection or
    a Session), in its transaction. For bulk loads that bypass the ORM events; the caller commits."""
    for statement in RECOUNT:
        connection.execute(text(statement))


# Keeping the counts in step.

_KEYS = {
    SubjectCount: ("unit_id", "kind"),
    DossierCount: ("unit_id", "title", "year", "status"),
}
_SOURCE = {Subject: SubjectCount, Dossier: DossierCount}
_PENDING = "report_counts"


def _pending(session: Session) -> Counter:
    return session.info.setdefault(_PENDING, Counter())


def _now(target, keys) -> tuple:
    values = tuple(getattr(target, key) for key in keys)
    if isinstance(target, Dossier) and values[-1] is None:  # status: the column default was not read back
        values = (*values[:-1], Dossier.__table__.c.status.default.arg)
    return values


def _before(target, keys) -> tuple:
    """The values the row had in the database before this flush."""
    state = inspect(target)
    values = []
    for key in keys:
        history = state.attrs[key].history
        if history.deleted:
            values.append(history.deleted[0])
        elif history.unchanged:
            values.append(history.unchanged[0])
        else:
            values.append(getattr(target, key))
    return tuple(values)


def _note(target, key: tuple, delta: int) -> None:
    count = _SOURCE[type(target)]
    session = inspect(target).session
    _pending(session)[(count, key)] += delta


def _inserted(_mapper, _connection, target) -> None:
    count = _SOURCE[type(target)]
    _note(target, _now(target, _KEYS[count]), 1)


def _deleted(_mapper, _connection, target) -> None:
    count = _SOURCE[type(target)]
    _note(target, _before(target, _KEYS[count]), -1)


def _updated(_mapper, _connection, target) -> None:
    keys = _KEYS[_SOURCE[type(target)]]
    state = inspect(target)
    if not any(state.attrs[key].history.has_changes() for key in keys):
        return
    before, now = _before(target, keys), _now(target, keys)
    if before != now:
        _note(target, before, -1)
        _note(target, now, 1)


def _write(session: Session, _context) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    in_order = sorted(pending.items(), key=lambda item: (item[0][0].__tablename__, item[0][1]))
    for (count, key), delta in in_order:
        if delta == 0:
            continue
        keys = _KEYS[count]
        statement = insert_on_conflict(count.__table__, (*keys, "n"), keys, add="n")
        connection.execute(statement, {**dict(zip(keys, key, strict=True)), "n": delta})


def _forget(session: Session, *_args) -> None:
    # A flush that failed half-way leaves notes of rows that were never written.
    session.info.pop(_PENDING, None)


def _keep_old_value(_target, value, _old, _initiator):
    return value


for _model, _count in _SOURCE.items():
    event.listen(_model, "after_insert", _inserted)
    event.listen(_model, "after_delete", _deleted)
    event.listen(_model, "after_update", _updated)
    for _key in _KEYS[_count]:
        # Setting an expired attribute loads what it held first, so the count it leaves is known.
        event.listen(getattr(_model, _key), "set", _keep_old_value, retval=True, active_history=True)
event.listen(Session, "before_flush", _forget)
event.listen(Session, "after_flush", _write)
event.listen(Session, "after_soft_rollback", _forget)
