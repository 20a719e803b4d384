"""Who gets told what: the bodies of the notification jobs."""

from datetime import datetime

from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    OFFICIAL_ROLES,
    AdminUnit,
    Dossier,
    HumanTask,
    Notification,
    RoleAssignment,
    User,
    ids_on_path,
)
from app.models.types import insert_on_conflict
from app.services import mail, preferences
from app.services.jurisdiction import DESK_ROLES, OBSERVER_ROLES, task_holder_subject
from app.services.outbox import add_job
from app.services.uow import commit


def eligible_users(task: HumanTask) -> list[User]:
    """Every active account that may work on ``task``: holders of its role at its unit or above; for an
    applicant's task, the applicant's account, or the desk's officers when it has none."""
    roles = [task.role]
    if task.subject_id is not None:
        # The subject holding the task: the dossier's own, or the organisation a staff member's step
        # is linked to.
        account = task_holder_subject(task).account_id
        if account:
            user = db.session.get(User, account)
            return [user] if user and user.active else []
        roles = list(DESK_ROLES)
    ancestor_ids = ids_on_path(task.unit_path)
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role.in_(roles), RoleAssignment.unit_id.in_(ancestor_ids), User.active)
            .distinct()
            .order_by(User.id)
        )
    )


def _notify(
    user: User, kind: str, dedupe_key: str, params: dict, *, now: datetime, dossier_id=None, task_id=None
) -> bool:
    """One notice for ``user`` (never twice for the same key), and its e-mail job when the user asked for
    this kind by e-mail; written in the job's transaction, so both exist or neither."""
    # One statement: the unique (user, key) decides, where a look first would cost a second one.
    values = {
        "user_id": user.id,
        "kind": kind,
        "params": params,
        "dedupe_key": dedupe_key,
        "dossier_id": dossier_id,
        "human_task_id": task_id,
        "created_at": now,
    }
    notification_id = db.session.execute(
        insert_on_conflict(Notification.__table__, tuple(values), ("user_id", "dedupe_key")), values
    ).scalar_one_or_none()
    if notification_id is None:
        return False
    if user.email and mail.enabled() and preferences.channel_for(user, kind) == "email":
        add_job(
            "send_email",
            {"notification_id": notification_id},
            at=now,
            dedupe_key=f"email:{notification_id}",
            dossier_id=dossier_id,
        )
    return True


def _task_params(task: HumanTask) -> dict:
    return {
        "dossier_code": task.dossier.code,
        "subject": task.dossier.subject.name,
        "task_label": task.label,
    }


def notify_task_opened(human_task_id: int, *, now: datetime) -> int:
    """Tell who may do a newly opened task. An applicant's task opened by a return is a return notice
    carrying the official's reason: "Có công việc mới" alone would leave them guessing what to supply."""
    task = db.session.get(HumanTask, human_task_id)
    if task is None or task.state != "open":
        return 0
    params, kind = _task_params(task), "task_opened"
    if task.subject_id is not None and task.dossier.status == "returned":
        kind = "dossier_returned"
        params["reason"] = task.dossier.status_reason
    return sum(
        _notify(
            user,
            kind,
            f"task_opened:{task.id}",
            params,
            now=now,
            dossier_id=task.dossier_id,
            task_id=task.id,
        )
        for user in eligible_users(task)
    )


def notify_task_reminder(dossier_id: int, task_name: str, outbox_id: int, *, now: datetime) -> int:
    tasks = db.session.scalars(
        select(HumanTask).where(
            HumanTask.dossier_id == dossier_id, HumanTask.name == task_name, HumanTask.state == "open"
        )
    ).all()
    sent = 0
    for task in tasks:
        recipients = [task.claimed_by] if task.claimed_by else eligible_users(task)
        for user in recipients:
            sent += _notify(
                user,
                "task_reminder",
                f"task_reminder:{task.id}:{outbox_id}",
                _task_params(task),
                now=now,
                dossier_id=dossier_id,
                task_id=task.id,
            )
    return sent


def _officials_of(unit_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role.in_(OFFICIAL_ROLES),
                RoleAssignment.role.not_in(OBSERVER_ROLES),  # told to follow up, which they cannot
                RoleAssignment.unit_id == unit_id,
                User.active,
            )
            .distinct()
            .order_by(User.id)
        )
    )


def notify_task_overdue(human_task_id: int, *, now: datetime) -> int:
    """A task passed its due date: tell who holds it (or may take it), and the officials of the unit one
    level up, so that someone follows it up. Each is told once."""
    task = db.session.get(HumanTask, human_task_id)
    if task is None or task.state != "open":
        return 0
    params = _task_params(task)
    holders = [task.claimed_by] if task.claimed_by else eligible_users(task)
    sent = sum(
        _notify(
            user,
            "task_overdue",
            f"task_overdue:{task.id}",
            params,
            now=now,
            dossier_id=task.dossier_id,
            task_id=task.id,
        )
        for user in holders
    )
    ancestors = ids_on_path(task.unit_path)
    if len(ancestors) < 2:
        return sent
    above = ancestors[-2]
    escalated = {**params, "escalated_to": above, "unit_name": db.session.get(AdminUnit, task.unit_id).name}
    return sent + sum(
        _notify(
            user,
            "task_overdue",
            f"task_escalated:{task.id}",
            escalated,
            now=now,
            dossier_id=task.dossier_id,
            task_id=task.id,
        )
        for user in _officials_of(above)
        if user.id not in {holder.id for holder in holders}
    )


def notify_dossier_outcome(dossier_id: int, *, now: datetime) -> int:
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or dossier.subject.account_id is None:
        return 0
    user = db.session.get(User, dossier.subject.account_id)
    params = {
        "dossier_code": dossier.code,
        "status": dossier.status,
        "score": dossier.score,
        "reason": dossier.status_reason,
    }
    return int(
        _notify(
            user,
            "dossier_outcome",
            f"dossier_outcome:{dossier.id}:{dossier.status}",
            params,
            now=now,
            dossier_id=dossier.id,
        )
    )


def mark_read(user: User, *, now: datetime, notification_id: int | None = None) -> int:
    """Mark ``user``'s unread notifications read: one of them, or all. Someone else's is never touched.
    Returns how many were marked; the header badge counts what stays unread."""
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    marked = db.session.execute(query.values(read_at=now)).rowcount
    commit()
    return marked
