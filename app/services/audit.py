from datetime import datetime

from app.extensions import db
from app.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None,
    at: datetime,
    dossier_id: int | None = None,
    obj: object | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one audit event in the current transaction."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        at=at,
        dossier_id=dossier_id,
        object_type=type(obj).__tablename__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None else None,
        details=details or {},
    )
    db.session.add(event)
    return event
