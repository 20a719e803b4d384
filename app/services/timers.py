"""Timers: the tick finds dossiers whose timer is due and writes one ``fire_timer`` job per timer date;
the job advances the procedure. Firing is a job like any other, so a timer that keeps failing is retried
with a growing wait and ends as an incident rather than failing on every tick forever."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier
from app.services import audit
from app.services.dossiers import apply_step, save_step
from app.services.outbox import add_job
from app.services.procedures import compiled_for, runtime
from app.services.uow import commit, rollback
from workflow import WorkflowStepError

PLAN_BATCH = 1000


class TimerFailed(RuntimeError):
    """The procedure failed while firing a timer; the dossier is unchanged and the job will retry."""


def plan_due_timers(*, now: datetime) -> int:
    """Write a ``fire_timer`` job for every dossier whose earliest timer is due; returns how many were
    written (a timer date already planned is not planned again)."""
    due = db.session.execute(
        select(Dossier.id, Dossier.next_timer_at)
        .where(Dossier.next_timer_at.is_not(None), Dossier.next_timer_at <= now)
        .order_by(Dossier.next_timer_at)
        .limit(PLAN_BATCH)
    ).all()
    planned = 0
    for dossier_id, timer_at in due:
        job = add_job(
            "fire_timer",
            {"dossier_id": dossier_id, "as_of": now.isoformat()},
            at=now,
            dedupe_key=f"timer:{dossier_id}:{timer_at.isoformat()}",
            dossier_id=dossier_id,
        )
        planned += job is not None
    commit()
    return planned


def fire_dossier_timer(dossier_id: int, *, now: datetime) -> bool:
    """Advance one dossier past its due timers in one transaction; False when nothing was due any more."""
    dossier = db.session.scalars(
        select(Dossier).where(Dossier.id == dossier_id).with_for_update()
    ).one_or_none()
    if dossier is None or dossier.next_timer_at is None or dossier.next_timer_at > now or dossier.is_final:
        rollback()
        return False
    timer_at, definition = dossier.next_timer_at, dossier.process_definition
    try:
        result = runtime().fire_due_timers(compiled_for(definition), dossier.state, now=now)
    except WorkflowStepError as exc:
        rollback()
        raise TimerFailed(str(exc)) from exc
    if result.next_timer_at == timer_at:
        # The engine saw nothing due although the dossier says it is: retrying (and, in the end, an
        # incident) beats silently never firing.
        rollback()
        raise TimerFailed(
            _("Bộ hẹn giờ của hồ sơ %(id)s đã đến hạn nhưng quy trình không chạy tiếp.", id=dossier_id)
        )

    def write():
        audit.record("timer.fired", actor=None, at=now, dossier_id=dossier.id)
        apply_step(dossier, definition, result, actor=None, now=now)

    save_step(write)
    return True
