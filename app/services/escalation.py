"""Escalation: a task past its due date is marked once and a ``task_overdue`` job tells who holds it
and the officials of the unit one level up."""

from datetime import datetime

from sqlalchemy import select, update

from app.extensions import db
from app.models import HumanTask
from app.services.outbox import add_job
from app.services.uow import commit

ESCALATE_BATCH = 1000


def escalate_overdue_tasks(*, now: datetime) -> int:
    """Mark every open task past its due date that was not yet escalated; returns how many were."""
    overdue = db.session.execute(
        select(HumanTask.id, HumanTask.dossier_id)
        .where(
            HumanTask.state == "open",
            HumanTask.due_at.is_not(None),
            HumanTask.due_at < now,
            HumanTask.escalated_at.is_(None),
        )
        .order_by(HumanTask.due_at)
        .limit(ESCALATE_BATCH)
    ).all()
    escalated = 0
    for task_id, dossier_id in overdue:
        # Conditional, so two workers ticking at once escalate a task once.
        marked = db.session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.escalated_at.is_(None))
            .values(escalated_at=now)
        ).rowcount
        if marked:
            add_job(
                "task_overdue",
                {"human_task_id": task_id},
                at=now,
                dedupe_key=f"overdue:{task_id}",
                dossier_id=dossier_id,
            )
            escalated += 1
    commit()
    return escalated
