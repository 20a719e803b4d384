"""Who may see and act on what.

An official's role at a unit covers that unit's subtree. An applicant acts only on the tasks of its own
subjects: a task of a lane at level ``subject`` carries the subject it belongs to, and that subject's
account is the only one that may act on it, whatever role names the procedure gives the lane. A task of a
lane at level ``linked:<relation>`` carries the subject the dossier's subject is linked to (the
organisation of a staff member): that subject's account acts on it and, holding a task of the dossier, sees
the dossier, and nothing else of its members.

A subject without an account (a household that came to the commune's desk, or sent paper) is served at
the desk: an official holding a desk role over its unit registers its dossiers and enters what it
declares on its behalf, until an account is linked to it.
"""

from sqlalchemy import and_, false, literal_column, or_, select, true

from app.extensions import db
from app.models import APPLICANT_ROLES, OFFICIAL_ROLES, Dossier, HumanTask, Subject, User
from app.models.unit import under

# The roles that receive applicants at the desk: the commune's one-stop officers.
DESK_ROLES = ("commune_officer",)
# Roles that see their area's dossiers and reports and act on nothing (Hội Khuyến học): even a lane that named
# one would give it no task, and no decision or escalation is theirs.
OBSERVER_ROLES = ("association",)


# A bare column, as the desk's index says it (app/models/dossier.py's AT_DESK_OPEN): SQLite would write
# "at_desk = 1" for the column's own comparison, and not see that the index covers it.
AT_DESK = literal_column("human_task.at_desk")


def _own_subjects(user: User):
    return select(Subject.id).where(Subject.account_id == user.id)


def desk_assignments(user: User):
    return [a for a in user.roles if a.role in DESK_ROLES]


def serves_at_desk(user: User, subject: Subject) -> bool:
    """Whether ``user`` may act for ``subject`` at the desk: it has no account and is in the user's reach."""
    return subject.account_id is None and any(
        subject.unit.path.startswith(a.unit.path) for a in desk_assignments(user)
    )


def _village_registers(user: User, subject: Subject) -> bool:
    # On paper, families and the village itself register through the village head (issue 10).
    return subject.account_id is None and any(
        a.role == "village_head" and subject.unit.path.startswith(a.unit.path) for a in user.roles
    )


def can_register_for(user: User, subject: Subject) -> bool:
    """Who may open a dossier for ``subject``: its own account, an admin, the desk, or, for a subject
    without an account, the head of its village."""
    return (
        subject.account_id == user.id
        or user.is_admin
        or serves_at_desk(user, subject)
        or _village_registers(user, subject)
    )


def _official_assignments(user: User):
    return [a for a in user.roles if a.role in OFFICIAL_ROLES]


def _acting_assignments(user: User):
    return [a for a in user.roles if a.role in OFFICIAL_ROLES and a.role not in OBSERVER_ROLES]


def works_on_tasks(user: User) -> bool:
    """Whether ``user`` holds an official role that may be given tasks (for the inbox in the menu)."""
    return bool(_acting_assignments(user))


def _outermost(paths) -> list[str]:
    """The paths not below another of them: their subtrees cover the same ground without overlapping."""
    ordered = sorted(set(paths))
    kept: list[str] = []
    for path in ordered:
        if not any(path.startswith(outer) for outer in kept):
            kept.append(path)
    return kept


def task_scope_parts(user: User, *, in_sort_order: bool = False) -> list:
    """The SQL conditions whose union is ``task_scope``; no task meets two of them, so a list may read
    each part on its own (from its own index) and add up or merge what they give.

    ``in_sort_order``: an official's part leaves its unit path out of the index lookup, so that a page is
    read from the role's sorted inbox index, filtered by path there, and stops after the page (see
    ``under``); a count reads the path range instead."""
    parts = [and_(HumanTask.subject_id.is_not(None), HumanTask.subject_id.in_(_own_subjects(user)))]
    # A subject without an account is served at the desk (the task's copy of that fact: an index range,
    # where reading the subject of each task of a commune costs a lookup per household).
    for path in _outermost(a.unit.path for a in desk_assignments(user)):
        parts.append(and_(AT_DESK, under(HumanTask.unit_path, path)))
    roles = sorted({a.role for a in _acting_assignments(user)})
    for role in roles:
        paths = _outermost(a.unit.path for a in _acting_assignments(user) if a.role == role)
        parts.append(
            and_(
                HumanTask.subject_id.is_(None),
                HumanTask.role == role,
                or_(*(under(HumanTask.unit_path, path, indexed=not in_sort_order) for path in paths)),
            )
        )
    return parts


def task_scope(user: User):
    """SQL condition selecting the tasks ``user`` may work on."""
    return or_(*task_scope_parts(user))


def _may_hold_linked_tasks(user: User) -> bool:
    """Only applicant accounts (an organisation's, a clan's) hold tasks of other subjects' dossiers; an
    official's lists keep their plain jurisdiction condition."""
    return any(a.role in APPLICANT_ROLES for a in user.roles)


def _dossiers_holding_a_task_of(user: User):
    """Dossiers of other subjects in which one of the user's subjects holds a task (``linked:`` lanes)."""
    return select(HumanTask.dossier_id).where(
        HumanTask.subject_id.is_not(None), HumanTask.subject_id.in_(_own_subjects(user))
    )


def dossier_scope(user: User):
    """SQL condition selecting the dossiers ``user`` may see."""
    if user.is_admin:
        return true()
    clauses = [Dossier.subject_id.in_(_own_subjects(user))]
    if _may_hold_linked_tasks(user):
        clauses.append(Dossier.id.in_(_dossiers_holding_a_task_of(user)))
    for assignment in _official_assignments(user):
        clauses.append(under(Dossier.unit_path, assignment.unit.path))
    return or_(*clauses) if clauses else false()


def can_see_dossier(user: User, dossier: Dossier) -> bool:
    if user.is_admin or dossier.subject.account_id == user.id:
        return True
    if any(dossier.unit_path.startswith(a.unit.path) for a in _official_assignments(user)):
        return True
    return _may_hold_linked_tasks(user) and any(
        task.subject_id is not None
        and task.subject_id != dossier.subject_id
        and task_holder_subject(task).account_id == user.id
        for task in dossier.tasks
    )


def task_holder_subject(task: HumanTask) -> Subject | None:
    """The subject whose account acts on an applicant's task: the dossier's own subject, or the subject it
    is linked to (``linked:<relation>`` lanes); None for an official's task."""
    if task.subject_id is None:
        return None
    if task.subject_id == task.dossier.subject_id:
        return task.dossier.subject
    return db.session.get(Subject, task.subject_id)


def can_act_on_task(user: User, task: HumanTask) -> bool:
    if task.subject_id is not None:
        subject = task_holder_subject(task)
        return subject.account_id == user.id or serves_at_desk(user, subject)
    return any(
        a.role == task.role and task.unit_path.startswith(a.unit.path) for a in _acting_assignments(user)
    )
