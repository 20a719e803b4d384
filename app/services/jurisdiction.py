"""Who may see and act on what.

An official's role at a unit covers that unit's subtree. An applicant acts only on the tasks of its own
subjects: a task of a lane at level ``subject`` carries the subject it belongs to, and that subject's
account is the only one that may act on it, whatever role names the procedure gives the lane.

A subject without an account (a household that came to the commune's desk, or sent paper) is served at
the desk: an official holding a desk role over its unit registers its dossiers and enters what it
declares on its behalf, until an account is linked to it.
"""

from sqlalchemy import and_, false, or_, select, true

from app.models import OFFICIAL_ROLES, Dossier, HumanTask, Subject, User

# The roles that receive applicants at the desk: the commune's one-stop officers.
DESK_ROLES = ("commune_officer",)


def _own_subjects(user: User):
    return select(Subject.id).where(Subject.account_id == user.id)


def desk_assignments(user: User):
    return [a for a in user.roles if a.role in DESK_ROLES]


def serves_at_desk(user: User, subject: Subject) -> bool:
    """Whether ``user`` may act for ``subject`` at the desk: it has no account and is in the user's reach."""
    return subject.account_id is None and any(
        subject.unit.path.startswith(a.unit.path) for a in desk_assignments(user)
    )


def can_register_for(user: User, subject: Subject) -> bool:
    """Who may open a dossier for ``subject``: its own account, an admin, or the desk."""
    return subject.account_id == user.id or user.is_admin or serves_at_desk(user, subject)


def _official_assignments(user: User):
    return [a for a in user.roles if a.role in OFFICIAL_ROLES]


def task_scope(user: User):
    """SQL condition selecting the tasks ``user`` may work on."""
    clauses = [and_(HumanTask.subject_id.is_not(None), HumanTask.subject_id.in_(_own_subjects(user)))]
    for assignment in desk_assignments(user):
        clauses.append(
            and_(
                HumanTask.subject_id.in_(select(Subject.id).where(Subject.account_id.is_(None))),
                HumanTask.unit_path.startswith(assignment.unit.path, autoescape=True),
            )
        )
    for assignment in _official_assignments(user):
        clauses.append(
            and_(
                HumanTask.subject_id.is_(None),
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
    for assignment in _official_assignments(user):
        clauses.append(Dossier.unit_path.startswith(assignment.unit.path, autoescape=True))
    return or_(*clauses) if clauses else false()


def can_see_dossier(user: User, dossier: Dossier) -> bool:
    if user.is_admin or dossier.subject.account_id == user.id:
        return True
    return any(dossier.unit_path.startswith(a.unit.path) for a in _official_assignments(user))


def can_act_on_task(user: User, task: HumanTask) -> bool:
    if task.subject_id is not None:
        subject = task.dossier.subject
        return subject.account_id == user.id or serves_at_desk(user, subject)
    return any(
        a.role == task.role and task.unit_path.startswith(a.unit.path) for a in _official_assignments(user)
    )
