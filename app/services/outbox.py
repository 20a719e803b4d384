from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage


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
