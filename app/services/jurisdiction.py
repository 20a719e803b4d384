"""Who may see and act on what: a role at a unit covers that unit's subtree; households see their own."""

from sqlalchemy import and_, false, or_, select, true

from app.models import Dossier, HumanTask, Subject, User


def _own_subjects(user: User):
    return select(Subject.id).where(Subject.account_id == user.id)


def task_scope(user: User):
    """SQL condition selecting the tasks ``user`` may work on."""
    clauses = [and_(HumanTask.role == "household", HumanTask.subject_id.in_(_own_subjects(user)))]
    for assignment in user.roles:
        if assignment.role in ("household", "admin"):
            continue
        clauses.append(
            and_(
                HumanTask.role == assignment.role,
                HumanTask.unit_path.startswith(assignment.unit.path, autoescape=True),
            )
        )
    return or_(*clauses)


def dossier_scope(user: User):
    """SQL condition selecting the dossiers ``user`` may see."""
    if user.is_admin:
        return true()
    clauses = [Dossier.subject_id.in_(_own_subjects(user))]
    for assignment in user.roles:
        if assignment.role in ("household", "admin"):
            continue
        clauses.append(Dossier.unit_path.startswith(assignment.unit.path, autoescape=True))
    return or_(*clauses) if clauses else false()


def can_see_dossier(user: User, dossier: Dossier) -> bool:
    if user.is_admin or dossier.subject.account_id == user.id:
        return True
    return any(
        a.role not in ("household", "admin") and dossier.unit_path.startswith(a.unit.path) for a in user.roles
    )


def can_act_on_task(user: User, task: HumanTask) -> bool:
    if task.role == "household":
        return task.subject_id is not None and task.dossier.subject.account_id == user.id
    return any(a.role == task.role and task.unit_path.startswith(a.unit.path) for a in user.roles)
