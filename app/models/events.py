from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.user import User


class AuditEvent(db.Model):
    """Append-only history: who did what, when. Rows are never updated or deleted."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(db.String(64), index=True)
    dossier_id: Mapped[int | None] = mapped_column(db.ForeignKey("dossier.id"), index=True)
    object_type: Mapped[str | None] = mapped_column(db.String(32))
    object_id: Mapped[str | None] = mapped_column(db.String(64))
    details: Mapped[dict] = mapped_column(db.JSON, default=dict)

    actor: Mapped[User | None] = relationship()


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_change(mapper, connection, target):
    raise RuntimeError("audit events are append-only")


class Notification(db.Model):
    """In-app notification; rendered in the reader's language from kind and params."""

    __tablename__ = "notification"
    __table_args__ = (db.UniqueConstraint("user_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(db.String(32))
    params: Mapped[dict] = mapped_column(db.JSON, default=dict)
    dossier_id: Mapped[int | None] = mapped_column(db.ForeignKey("dossier.id"))
    human_task_id: Mapped[int | None] = mapped_column(db.ForeignKey("human_task.id"))
    # A job that runs twice must not notify twice: one row per (user, dedupe_key).
    dedupe_key: Mapped[str] = mapped_column(db.String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(db.Model):
    """A job written in the same transaction as the step; dispatched only after commit.

    ``status``: ``pending`` (waiting, or waiting for ``next_attempt_at`` after a failure), ``running``
    (claimed by a worker until ``lease_until``; a worker that dies leaves the lease to expire and the job
    runs again), ``done``, ``failed`` (out of attempts: an incident for an admin) or ``dismissed``.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(db.String(64))
    payload: Mapped[dict] = mapped_column(db.JSON, default=dict)
    status: Mapped[str] = mapped_column(db.String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(db.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(db.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A job that must exist once whoever writes it (one e-mail per notification, one firing per timer
    # date, one digest per user and day) carries a key; a second writer finds it and adds nothing.
    dedupe_key: Mapped[str | None] = mapped_column(db.String(128), unique=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dossier_id: Mapped[int | None] = mapped_column(db.ForeignKey("dossier.id"), index=True)


class NotificationPreference(db.Model):
    """How a user wants one kind of notice: ``app`` (in the app only), ``email`` (at once) or ``digest``
    (in the daily e-mail). No row means the default for the user's roles."""

    __tablename__ = "notification_preference"
    __table_args__ = (db.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(db.String(32))
    channel: Mapped[str] = mapped_column(db.String(16))
