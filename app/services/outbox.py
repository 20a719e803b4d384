from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import OutboxMessage
from app.services.uow import commit, rollback


def add_job(
    kind: str, payload: dict, *, at: datetime, dedupe_key: str | None = None, dossier_id: int | None = None
) -> OutboxMessage | None:
    """Write a job to the outbox in the current transaction; it is dispatched only after the commit.

    With ``dedupe_key``, a job already written under that key (by this run or another worker's) makes
    this a no-op returning None; the unique column is the last word should two writers race.
    """
    if dedupe_key is not None:
        pending = next(
            (
                obj
                for obj in db.session.new
                if isinstance(obj, OutboxMessage) and obj.dedupe_key == dedupe_key
            ),
            None,
        )
        if pending is not None or db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        ):
            return None
    message = OutboxMessage(
        kind=kind, payload=payload, created_at=at, dedupe_key=dedupe_key, dossier_id=dossier_id
    )
    db.session.add(message)
    return message


def plan_once(kind: str, payload: dict, *, at: datetime, dedupe_key: str) -> int:
    """Write and commit a job that must exist once (a tick's job of the day); 1 when this call wrote it,
    0 when it was already there or another worker's tick wrote it between our look and our commit."""
    if add_job(kind, payload, at=at, dedupe_key=dedupe_key) is None:
        return 0
    try:
        commit()
    except IntegrityError:
        rollback()
        return 0
    return 1
