"""Background jobs: the outbox is written in the step's transaction and dispatched after commit.

With ``REDIS_URL`` set, each outbox row becomes an RQ job run by ``rq worker``; without it, the same job
runs in-process right after the commit. A dead Redis only delays work: rows stay ``pending`` until
``flask jobs sweep`` (run by ``flask jobs clock``) dispatches them again.
"""

from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import OutboxMessage, utcnow

MAX_ATTEMPTS = 5
REDISPATCH_AFTER = timedelta(minutes=5)


def init_jobs(app: Flask) -> None:
    app.extensions["rq_queue"] = None
    if app.config["REDIS_URL"]:
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions["rq_queue"] = Queue(app.config["RQ_QUEUE"], connection=connection)


def dispatch_outbox(ids: list[int]) -> None:
    """Hand committed outbox rows to RQ, or run them here when there is no Redis."""
    queue = current_app.extensions.get("rq_queue")
    if queue is None:
        for outbox_id in ids:
            process_outbox_message(outbox_id)
        return
    from redis.exceptions import RedisError

    for outbox_id in ids:
        try:
            queue.enqueue(
                "app.jobs.run_outbox_message",
                outbox_id,
                job_id=f"outbox-{outbox_id}",
                failure_ttl=7 * 24 * 3600,
            )
        except RedisError as exc:
            current_app.logger.warning("outbox %s stays pending, Redis unavailable: %s", outbox_id, exc)
            return
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending")
            .values(dispatched_at=utcnow())
        )
        db.session.commit()


def _handle(message: OutboxMessage) -> None:
    from app.services import notifications

    now = utcnow()
    payload = message.payload
    if message.kind == "task_opened":
        notifications.notify_task_opened(payload["human_task_id"], now=now)
    elif message.kind == "task_reminder":
        notifications.notify_task_reminder(payload["dossier_id"], payload["task"], message.id, now=now)
    elif message.kind == "dossier_outcome":
        notifications.notify_dossier_outcome(payload["dossier_id"], now=now)
    else:
        raise ValueError(f"unknown outbox kind {message.kind!r}")


def process_outbox_message(outbox_id: int) -> bool:
    """Run one outbox job; idempotent, so a job delivered twice does its work once."""
    message = db.session.get(OutboxMessage, outbox_id)
    if message is None or message.status == "done":
        db.session.rollback()
        return False
    try:
        _handle(message)
        message.status = "done"
        message.processed_at = utcnow()
        message.attempts += 1
        db.session.commit()
        return True
    except Exception as exc:
        db.session.rollback()
        message = db.session.get(OutboxMessage, outbox_id)
        message.attempts += 1
        message.last_error = f"{type(exc).__name__}: {exc}"
        message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "pending"
        db.session.commit()
        current_app.logger.exception("outbox %s failed", outbox_id)
        return False


def sweep_outbox() -> int:
    """Dispatch pending rows that were never handed over or whose job was lost."""
    stale = utcnow() - REDISPATCH_AFTER
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == "pending",
                or_(OutboxMessage.dispatched_at.is_(None), OutboxMessage.dispatched_at < stale),
            )
            .order_by(OutboxMessage.id)
            .limit(1000)
        )
    )
    db.session.rollback()
    if ids:
        dispatch_outbox(ids)
    return len(ids)


def tick() -> dict:
    """The periodic work: fire due timers, then sweep the outbox."""
    from app.services.dossiers import fire_due_timers

    fired = fire_due_timers(now=utcnow())
    swept = sweep_outbox()
    return {"timers_fired": fired, "outbox_dispatched": swept}


_worker_app: Flask | None = None


def _app() -> Flask:
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def run_outbox_message(outbox_id: int) -> bool:
    """RQ entry point (runs in the worker process)."""
    with _app().app_context():
        return process_outbox_message(outbox_id)


def run_tick() -> dict:
    """RQ entry point for the periodic tick."""
    with _app().app_context():
        return tick()
