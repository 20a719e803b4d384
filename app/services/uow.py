"""The unit of work: commit, then hand the outbox rows written in that transaction to the dispatcher."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import OutboxMessage


@event.listens_for(Session, "after_flush")
def _remember_outbox_rows(session, flush_context):
    ids = session.info.setdefault("outbox_ids", [])
    ids.extend(obj.id for obj in session.new if isinstance(obj, OutboxMessage))


@event.listens_for(Session, "after_rollback")
def _forget_outbox_rows(session):
    session.info.pop("outbox_ids", None)


def commit() -> None:
    """Commit the current transaction; its outbox rows are dispatched only once the commit succeeded."""
    from app.jobs import dispatch_outbox

    db.session.commit()
    ids = db.session.info.pop("outbox_ids", [])
    if ids:
        dispatch_outbox(ids)


def rollback() -> None:
    db.session.rollback()
    db.session.info.pop("outbox_ids", None)
