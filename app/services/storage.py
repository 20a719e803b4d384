"""Keeping finished work small: compact engine states, and delivered jobs and read notices pruned.

Nothing a user or an auditor sees goes: a finished dossier's state is kept whole, only deflated
(``workflow.serialization.compact_state``); audit rows, submissions, tasks and decisions are never
pruned; failed jobs (incidents) and unread notices stay however old they are.

A delivered job is deleted only when nothing could write it again: jobs without a dedupe key, and keyed
jobs whose key can no longer come back (see ``PRUNABLE_KEYS``). Any other keyed job stays, so the
outbox's "one job per key" keeps holding: ``add_job`` finds the old row and adds nothing.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, or_, select, update

from app.extensions import db
from app.models import Dossier, Notification, OutboxMessage
from app.services.outbox import plan_once
from app.services.uow import commit
from workflow.serialization import COMPACT_PREFIX, compact_state

JOB = "prune_delivered"
BATCH = 1000
# Keyed jobs that no writer can produce again once they are older than the retention period (at
# least a day): a key naming a past day (the tick only writes today's), an e-mail per notification (a
# notification is written once), an overdue task (``escalated_at`` guards it), this job itself.
PRUNABLE_KEYS = ("digest:", "digests:", "open_registered_dossiers:", "email:", "overdue:", f"{JOB}:")
# A timer firing per dossier and date: planned again only while the dossier still waits on that date;
# a finished dossier waits on nothing.
TIMER_KEY = "timer:"


def compact_finished_states(*, batches: int | None = None) -> int:
    """Deflate the stored state of finished dossiers written before states were compacted on
    completion; returns how many were compacted. ``batches`` bounds the work (all when None)."""
    compacted = done = 0
    after_id = 0
    while batches is None or done < batches:
        rows = db.session.execute(
            select(Dossier.id, Dossier.state, Dossier.row_version)
            .where(
                Dossier.id > after_id,
                Dossier.completed_at.is_not(None),
                ~Dossier.state.startswith(COMPACT_PREFIX, autoescape=True),
            )
            .order_by(Dossier.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for dossier_id, state, version in rows:
            # Core update: the representation changes, not the dossier, so its version stays; the
            # version in the condition leaves alone a dossier someone changed since it was read.
            compacted += db.session.execute(
                update(Dossier.__table__)
                .where(Dossier.__table__.c.id == dossier_id, Dossier.__table__.c.row_version == version)
                .values(state=compact_state(state))
            ).rowcount
        after_id = rows[-1][0]
        commit()
        done += 1
    return compacted


def _prunable_outbox(cutoff: datetime):
    key = OutboxMessage.dedupe_key
    finished_dossier = exists().where(
        Dossier.id == OutboxMessage.dossier_id, Dossier.completed_at.is_not(None)
    )
    return and_(
        OutboxMessage.status == "done",
        OutboxMessage.processed_at < cutoff,
        or_(
            key.is_(None),
            *(key.startswith(prefix, autoescape=True) for prefix in PRUNABLE_KEYS),
            and_(key.startswith(TIMER_KEY, autoescape=True), finished_dossier),
        ),
    )


def _delete_in_batches(model, condition) -> int:
    deleted = 0
    while True:
        ids = db.session.scalars(select(model.id).where(condition).order_by(model.id).limit(BATCH)).all()
        if not ids:
            return deleted
        deleted += db.session.execute(
            delete(model).where(model.id.in_(ids)), execution_options={"synchronize_session": False}
        ).rowcount
        commit()


def prune_delivered(*, now: datetime) -> dict:
    """Delete delivered jobs older than ``OUTBOX_RETENTION_DAYS`` and read notices older than
    ``NOTIFICATION_RETENTION_DAYS``, a batch per transaction; compact finished states left behind.
    Running it twice deletes nothing more the second time."""
    config = current_app.config
    # At least a day: a key naming a day must outlive that day (see PRUNABLE_KEYS).
    outbox_cutoff = now - timedelta(days=max(1, config["OUTBOX_RETENTION_DAYS"]))
    notice_cutoff = now - timedelta(days=max(1, config["NOTIFICATION_RETENTION_DAYS"]))
    return {
        "outbox_deleted": _delete_in_batches(OutboxMessage, _prunable_outbox(outbox_cutoff)),
        "notifications_deleted": _delete_in_batches(
            Notification, and_(Notification.read_at.is_not(None), Notification.created_at < notice_cutoff)
        ),
        "states_compacted": compact_finished_states(batches=10),
    }


def plan_pruning(*, now: datetime) -> int:
    """The tick's part: one pruning job per day (UTC); 1 when written, else 0."""
    day = now.date().isoformat()
    return plan_once(JOB, {"date": day}, at=now, dedupe_key=f"{JOB}:{day}")
