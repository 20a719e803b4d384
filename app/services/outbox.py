from datetime import datetime

from app.extensions import db
from app.models import OutboxMessage


def add_job(kind: str, payload: dict, *, at: datetime) -> OutboxMessage:
    """Write a job to the outbox in the current transaction; it is dispatched only after the commit."""
    message = OutboxMessage(kind=kind, payload=payload, created_at=at)
    db.session.add(message)
    return message
