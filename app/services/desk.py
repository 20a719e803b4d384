"""The commune's desk: households that come in person (or send paper) are recorded and registered by an
officer, and an applicant account that is not linked to a household yet is told whom to ask.

Everything done here is audited with the officer as the actor. Which officers serve the desk, and over
which units, is the jurisdiction module's business (``DESK_ROLES``).
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import APPLICANT_ROLES, AdminUnit, Dossier, HouseholdMember, RoleAssignment, Subject, User
from app.services import audit
from app.services.bounds import length_errors, limit
from app.services.dossiers import open_dossier
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.jurisdiction import desk_assignments, serves_at_desk
from app.services.units import officials_at
from app.services.uow import commit

HOUSEHOLD = "household"
# The record's name is "Hộ " and the head's name, in a column of limit(Subject.name).
NAME_PREFIX = "Hộ "
HEAD_NAME_MAX = limit(Subject.name) - len(NAME_PREFIX)


def desk_units(actor: User) -> list[AdminUnit]:
    """The units whose households ``actor`` may record: those of its desk roles and every unit under them."""
    paths = [a.unit.path for a in desk_assignments(actor)]
    if not paths:
        return []
    units = db.session.scalars(
        select(AdminUnit)
        .where(or_(*(AdminUnit.path.startswith(path, autoescape=True) for path in paths)))
        .order_by(AdminUnit.path)
    ).all()
    return list(units)


def contacts_for(user: User) -> list[tuple[AdminUnit, list[RoleAssignment]]]:
    """For an applicant account without a household: each place it holds its role, with the officials
    there and above (up to the province) who can record its household or say who will."""
    places = []
    for assignment in user.roles:
        if assignment.role not in APPLICANT_ROLES:
            continue
        chain = assignment.unit.ancestors()
        by_unit = officials_at(u.id for u in chain)
        places.append((assignment.unit, [a for u in chain for a in by_unit.get(u.id, [])]))
    return places


def households_at_desk(actor: User, needle: str = "", *, limit_to: int = 50) -> list[Subject]:
    """Households without an account in ``actor``'s desk units, found by name or code."""
    paths = [a.unit.path for a in desk_assignments(actor)]
    if not paths:
        return []
    query = (
        select(Subject)
        .join(AdminUnit, AdminUnit.id == Subject.unit_id)
        .where(
            Subject.account_id.is_(None),
            Subject.kind == HOUSEHOLD,
            or_(*(AdminUnit.path.startswith(path, autoescape=True) for path in paths)),
        )
    )
    if needle:
        pattern = f"%{needle.lower()}%"
        query = query.where(func.lower(Subject.name).like(pattern) | func.lower(Subject.code).like(pattern))
    return list(db.session.scalars(query.order_by(Subject.name, Subject.id).limit(limit_to)))


def _next_code(unit: AdminUnit) -> str:
    taken = set(
        db.session.scalars(
            select(Subject.code).where(Subject.code.startswith(f"{unit.code}-Q", autoescape=True))
        )
    )
    number = len(taken) + 1
    while f"{unit.code}-Q{number:03d}" in taken:
        number += 1
    return f"{unit.code}-Q{number:03d}"


def _linkable_account(username: str, errors: dict) -> User | None:
    """The applicant account named ``username`` if it may become the household's; else a field error."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or any(r.role not in APPLICANT_ROLES for r in user.roles):
        errors["account"] = [_("Không có tài khoản hộ gia đình %(u)s.", u=username)]
        return None
    if db.session.scalar(select(Subject.id).where(Subject.account_id == user.id)) is not None:
        errors["account"] = [_("Tài khoản %(u)s đã gắn với một hộ gia đình.", u=username)]
        return None
    return user


def create_household(
    unit_id: int,
    head_name: str,
    address: str,
    *,
    actor: User,
    now: datetime,
    account: str = "",
) -> Subject:
    """Record a household that came to the desk. With ``account`` (the username of an applicant account
    not linked to any household yet) the household acts for itself from now on; without, the desk
    serves it."""
    unit = db.session.get(AdminUnit, unit_id or 0)
    if unit is None or not any(unit.path.startswith(a.unit.path) for a in desk_assignments(actor)):
        raise NotFound(_("Không tìm thấy đơn vị hành chính trong địa bàn bạn phụ trách."))
    head_name, address = " ".join((head_name or "").split()), " ".join((address or "").split())
    # Records are kept in Vietnamese whatever the officer's interface language, as the demo's are.
    name = f"{NAME_PREFIX}{head_name}"
    errors = length_errors(
        {
            "head_name": (head_name, HEAD_NAME_MAX),
            "address": (address, limit(Subject.address)),
            "account": (account, limit(User.username)),
        }
    )
    if not head_name:
        errors["head_name"] = [_("Vui lòng nhập họ và tên chủ hộ.")]
    account = (account or "").strip().lower()
    linked = _linkable_account(account, errors) if account and "account" not in errors else None
    if errors:
        raise InvalidInput(errors)
    subject = Subject(code=_next_code(unit), kind=HOUSEHOLD, name=name, address=address or None, unit=unit)
    subject.account_id = linked.id if linked else None
    subject.members.append(HouseholdMember(full_name=head_name, relation="Chủ hộ", is_head=True))
    db.session.add(subject)
    db.session.flush()
    audit.record(
        "subject.created",
        actor=actor,
        at=now,
        obj=subject,
        details={
            "code": subject.code,
            "name": subject.name,
            "unit": unit.code,
            "at_desk": True,
            "account": linked.username if linked else None,
        },
    )
    commit()
    return subject


def register_at_desk(subject_id: int, title: str, year: int, *, actor: User, now: datetime) -> Dossier:
    """Open a dossier for a household served at the desk; its self-assessment is then entered by an
    officer from the household's paper form (four eyes: not the one who scores it)."""
    subject = db.session.get(Subject, subject_id or 0)
    in_reach = subject is not None and any(
        subject.unit.path.startswith(a.unit.path) for a in desk_assignments(actor)
    )
    if not in_reach:
        raise NotFound(_("Không tìm thấy đối tượng."))
    if not serves_at_desk(actor, subject):
        raise Conflict(_("Hộ gia đình này đã có tài khoản: hộ tự đăng ký hồ sơ trên hệ thống."))
    return open_dossier(subject, title, year, actor=actor, now=now)
