"""Background jobs: the outbox is written in the step's transaction and dispatched after commit.

With ``REDIS_URL`` set, each outbox row becomes an RQ job run by ``flask worker``; without it, the same job
runs in-process right after the commit. Either way a row is claimed with a lease before it runs, so a job
handed over twice (a re-dispatch, two workers) runs once, and a job whose worker died runs again once its
lease has expired. A failure is retried with a doubling wait; a job out of attempts becomes an incident
that an admin retries or dismisses. A dead Redis only delays work: rows stay ``pending`` until the
worker's tick dispatches them again.

Each kind of job is one module in ``app/jobs/handlers`` registering its handler with ``@job_kind``. A kind
registered ``background=True`` (a long import...) runs in-process on a thread of its own, so the request
that wrote it returns at once and its page can show the job's progress. A kind registered
``database_only=True`` (a notice) writes nothing outside the database: run in-process, it is taken and
finished in the transaction of what it writes, one commit instead of three.
"""

import importlib
import pkgutil
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from app.extensions import db
from app.models import OutboxMessage, User, utcnow
from app.services import audit
from app.services.errors import NotFound

Handler = Callable[..., None]
_HANDLERS: dict[str, Handler] = {}
_BACKGROUND: set[str] = set()
_DATABASE_ONLY: set[str] = set()
_loaded = False
SWEEP_BATCH = 1000


def job_kind(
    name: str, *, background: bool = False, database_only: bool = False
) -> Callable[[Handler], Handler]:
    """Register ``handler(message, *, now)`` as the body of jobs of kind ``name``; it raises to fail.
    ``database_only``: the handler writes nothing but database rows (no mail, no file, no other service)."""

    def register(handler: Handler) -> Handler:
        if _HANDLERS.get(name, handler) is not handler:
            raise ValueError(f"job kind {name!r} is registered twice")
        _HANDLERS[name] = handler
        if background:
            _BACKGROUND.add(name)
        if database_only:
            _DATABASE_ONLY.add(name)
        return handler

    return register


def _load_handlers() -> None:
    global _loaded
    if not _loaded:
        from app.jobs import handlers

        for module in pkgutil.iter_modules(handlers.__path__):
            importlib.import_module(f"{handlers.__name__}.{module.name}")
        _loaded = True


def runs_in_background(kind: str) -> bool:
    _load_handlers()
    return kind in _BACKGROUND


def handler_for(kind: str) -> Handler:
    _load_handlers()
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise ValueError(f"unknown job kind {kind!r}") from None


def init_jobs(app: Flask) -> None:
    app.extensions["rq_queue"] = None
    if app.config["REDIS_URL"]:
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions["rq_queue"] = Queue(app.config["RQ_QUEUE"], connection=connection)


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=current_app.config[name])


def _run_on_thread(app: Flask, outbox_id: int) -> None:
    with app.app_context():
        process_outbox_message(outbox_id)


def dispatch_outbox(ids: list[int], background: set[int] | frozenset[int] = frozenset()) -> None:
    """Hand committed outbox rows to RQ, or run them here when there is no Redis (the ``background``
    ones on a thread of their own)."""
    queue = current_app.extensions.get("rq_queue")
    if queue is None:
        app = current_app._get_current_object()
        for outbox_id in ids:
            if outbox_id in background:
                threading.Thread(target=_run_on_thread, args=(app, outbox_id), daemon=True).start()
            else:
                _run_here(outbox_id)
        return
    from redis.exceptions import RedisError

    lease = current_app.config["JOB_LEASE_SECONDS"]
    for outbox_id in ids:
        try:
            queue.enqueue(
                "app.jobs.run_outbox_message",
                outbox_id,
                # The RQ id is not the idempotence key (the outbox claim is): a re-dispatched row gets a
                # fresh RQ job, so it never collides with a dead worker's abandoned one.
                job_id=f"outbox-{outbox_id}-{uuid.uuid4().hex}",
                # RQ stops a job before its lease runs out, so a slow job never runs beside its retry.
                job_timeout=max(1, int(lease * 0.8)),
                result_ttl=0,
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


def _claimable(now: datetime):
    return or_(
        and_(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(OutboxMessage.status == "running", OutboxMessage.lease_until < now),
    )


def _claim(outbox_id: int, now: datetime) -> int | None:
    """Take the row for one run; returns the attempt number (the run's fencing token) or None when it is
    done, someone else holds it, or it is waiting for its retry time."""
    attempt = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, _claimable(now))
        .values(
            status="running",
            lease_until=now + _seconds("JOB_LEASE_SECONDS"),
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.attempts)
    ).scalar_one_or_none()
    db.session.commit()
    return attempt


def _still_ours(outbox_id: int, attempt: int):
    return and_(
        OutboxMessage.id == outbox_id,
        OutboxMessage.status == "running",
        OutboxMessage.attempts == attempt,
    )


def _run_here(outbox_id: int) -> bool:
    """Run a job just written by this process. A database-only job is marked done in the transaction of
    its own writes: the lease exists for work that outlives a transaction, and until this one commits no
    worker can take the row (it is locked), after it the row is done. Any other kind, or a failure (the
    transaction is undone), takes the leased path, which counts the attempt and plans the retry."""
    from app.services.uow import commit, rollback

    now = utcnow()
    _load_handlers()
    # Taken and read in one statement: a row that is another kind, gone or not claimable (done, held,
    # waiting for its retry) takes the leased path, which tells them apart.
    message = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.kind.in_(sorted(_DATABASE_ONLY)), _claimable(now))
        .values(
            status="done",
            attempts=OutboxMessage.attempts + 1,
            processed_at=now,
            lease_until=None,
            last_error=None,
        )
        .returning(OutboxMessage),
        execution_options={"populate_existing": True},
    ).one_or_none()
    if message is None:
        return process_outbox_message(outbox_id)
    try:
        handler_for(message.kind)(message, now=max(now, message.created_at))
        commit()
        return True
    except Exception:  # noqa: BLE001 — the leased run below records what went wrong
        rollback()
        return process_outbox_message(outbox_id)


def process_outbox_message(outbox_id: int) -> bool:
    """Run one outbox job once, whoever else was handed it; True when this call did the work."""
    from app.services.uow import commit, rollback

    started = utcnow()
    attempt = _claim(outbox_id, started)
    if attempt is None:
        return False
    message = db.session.get(OutboxMessage, outbox_id)
    # A job never runs "before" it was written: a job written under an injected clock (tests, replays)
    # sees that time, and in production the two are the same moment.
    now = max(started, message.created_at)
    try:
        handler_for(message.kind)(message, now=now)
        finished = db.session.execute(
            update(OutboxMessage)
            .where(_still_ours(outbox_id, attempt))
            .values(status="done", processed_at=utcnow(), lease_until=None, last_error=None)
        ).rowcount
        if not finished:
            # Our lease ran out and another worker took the job: its run counts, ours is undone.
            rollback()
            return False
        commit()
        return True
    except Exception as exc:
        rollback()
        current_app.logger.exception("outbox %s (%s) failed", outbox_id, message.kind)
        _record_failure(outbox_id, attempt, f"{type(exc).__name__}: {exc}")
        return False


def _record_failure(outbox_id: int, attempt: int, error: str) -> None:
    now = utcnow()
    out_of_attempts = attempt >= current_app.config["JOB_MAX_ATTEMPTS"]
    wait = _seconds("JOB_RETRY_SECONDS") * (2 ** (attempt - 1))
    db.session.execute(
        update(OutboxMessage)
        .where(_still_ours(outbox_id, attempt))
        .values(
            status="failed" if out_of_attempts else "pending",
            last_error=error[:4000],
            lease_until=None,
            next_attempt_at=None if out_of_attempts else now + wait,
            # Not yet handed over again: the tick dispatches it once its retry time has come.
            dispatched_at=None,
            processed_at=now if out_of_attempts else None,
        )
    )
    db.session.commit()


def sweep_outbox(now: datetime | None = None) -> int:
    """Dispatch what is due and not in a worker's hands: rows never handed over (Redis was down), rows
    whose retry time has come, rows handed over so long ago that the job must have been lost, and rows
    whose worker died holding them."""
    now = now or utcnow()
    lost = now - _seconds("JOB_LEASE_SECONDS")
    due = or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    and_(
                        OutboxMessage.status == "pending",
                        due,
                        or_(OutboxMessage.dispatched_at.is_(None), OutboxMessage.dispatched_at < lost),
                    ),
                    and_(OutboxMessage.status == "running", OutboxMessage.lease_until < now),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(SWEEP_BATCH)
        )
    )
    db.session.rollback()
    if ids:
        dispatch_outbox(ids)
    return len(ids)


def tick(now: datetime | None = None) -> dict:
    """The periodic work: plan due timers, escalate overdue tasks, plan the day's digests, then hand over
    every job that is due. Safe to run on several workers at once: each part writes its jobs under a
    dedupe key, and each job is claimed before it runs."""
    from app.services.campaigns import plan_dossier_openings
    from app.services.digest import plan_digests
    from app.services.escalation import escalate_overdue_tasks
    from app.services.storage import plan_pruning
    from app.services.timers import plan_due_timers

    now = now or utcnow()
    return {
        "timers_due": plan_due_timers(now=now),
        "tasks_escalated": escalate_overdue_tasks(now=now),
        "digests_planned": plan_digests(now=now),
        # Registered subjects whose campaign's self-assessment has begun get their dossiers.
        "campaign_openings_planned": plan_dossier_openings(now=now),
        # Once a day: delivered jobs and read notices past their retention go (app/services/storage.py).
        "pruning_planned": plan_pruning(now=now),
        "outbox_dispatched": sweep_outbox(now),
    }


def _incident(outbox_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, outbox_id)
    if message is None or message.status != "failed":
        raise NotFound(_("Không tìm thấy sự cố này."))
    return message


def retry_incident(outbox_id: int, *, actor: User, now: datetime) -> OutboxMessage:
    """Give a failed job a fresh set of attempts and hand it over at once."""
    from app.services.uow import commit

    message = _incident(outbox_id)
    audit.record(
        "job.retried",
        actor=actor,
        at=now,
        dossier_id=message.dossier_id,
        obj=message,
        details={"kind": message.kind, "error": message.last_error, "attempts": message.attempts},
    )
    message.status, message.attempts, message.next_attempt_at = "pending", 0, None
    message.dispatched_at = message.lease_until = message.processed_at = None
    db.session.flush()
    # Handed over by the commit like a new job: in-process it has run by the time this returns.
    db.session.info.setdefault("outbox_ids", []).append(message.id)
    commit()
    return message


def dismiss_incident(outbox_id: int, *, actor: User, now: datetime) -> OutboxMessage:
    """An admin judged the failed job not worth running again; it stays on record."""
    from app.services.uow import commit

    message = _incident(outbox_id)
    message.status = "dismissed"
    audit.record(
        "job.dismissed",
        actor=actor,
        at=now,
        dossier_id=message.dossier_id,
        obj=message,
        details={"kind": message.kind, "error": message.last_error},
    )
    commit()
    return message


_worker_app: Flask | None = None


def use_app(app: Flask) -> None:
    """The worker process runs its jobs with the app it started with."""
    global _worker_app
    _worker_app = app


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
