"""The unit of work: commit, then hand the outbox rows written in that transaction to the dispatcher."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import OutboxMessage

# Marks the session while a one_transaction() block runs: "open", or "rolled back" once a call in it did.
_BATCH = "one_transaction"


@event.listens_for(Session, "after_flush")
def _remember_outbox_rows(session, flush_context):
    from app.jobs import runs_in_background

    ids = session.info.setdefault("outbox_ids", [])
    for obj in session.new:
        if isinstance(obj, OutboxMessage):
            ids.append(obj.id)
            if runs_in_background(obj.kind):
                session.info.setdefault("outbox_background", set()).add(obj.id)


@event.listens_for(Session, "after_rollback")
def _forget_outbox_rows(session):
    session.info.pop("outbox_ids", None)
    session.info.pop("outbox_background", None)


def commit() -> None:
    """Commit the current transaction; its outbox rows are dispatched only once the commit succeeded.

    Inside ``one_transaction()`` it only flushes: the block commits everything at its end.
    """
    from app.jobs import dispatch_outbox

    if _BATCH in db.session.info:
        db.session.flush()
        return
    db.session.commit()
    ids = db.session.info.pop("outbox_ids", [])
    background = db.session.info.pop("outbox_background", set())
    if ids:
        dispatch_outbox(ids, background)


def rollback() -> None:
    db.session.rollback()
    db.session.info.pop("outbox_ids", None)
    db.session.info.pop("outbox_background", None)
    if _BATCH in db.session.info:
        # What the block did before is gone: it must not commit what comes after as if it were whole.
        db.session.info[_BATCH] = "rolled back"


class PartlyRolledBack(RuntimeError):
    """A call inside ``one_transaction()`` rolled back and the block went on as if nothing happened."""


@contextmanager
def one_transaction() -> Iterator[None]:
    """Run several operations that each commit (claim_task, submit_task...) as one transaction.

    Their commits only flush; the block commits once at its end, or rolls everything back if it raises.
    A bulk action is then all or none with the single-task services unchanged. The caller must raise
    when one of the operations failed: an operation that failed has already rolled back the others, and
    ending the block normally after that raises ``PartlyRolledBack`` rather than commit a part.
    """
    info = db.session.info
    if _BATCH in info:
        yield
        return
    info[_BATCH] = "open"
    try:
        yield
    except BaseException:
        info.pop(_BATCH, None)
        rollback()
        raise
    state = info.pop(_BATCH, None)
    if state != "open":
        rollback()
        raise PartlyRolledBack("an operation inside one_transaction() rolled back; nothing was committed")
    try:
        commit()
    except BaseException:
        rollback()
        raise
