"""Reads for one subject's page and API: who it is, its members, its links, and its titles year by year.

Who may read a subject: an administrator, an official whose unit's subtree holds the subject's unit, and
the subject's own account; for everyone else it does not exist (404, nothing leaks).
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import OFFICIAL_ROLES, Dossier, Subject, SubjectLink, User
from app.services.errors import NotFound
from app.services.streaks import RECOGNIZED, latest_run
from app.titles import status_label, title_label

KIND = {
    "household": _l("Hộ gia đình"),
    "citizen": _l("Công dân"),
    "clan": _l("Dòng họ"),
    "village": _l("Thôn, tổ dân phố"),
    "commune": _l("Xã, phường"),
    "organisation": _l("Đơn vị"),
}
CATEGORY = {
    "agency": _l("Cơ quan"),
    "school": _l("Trường học"),
    "enterprise": _l("Doanh nghiệp"),
    "nguoi_dan": _l("Người dân"),
    "nguoi_lao_dong": _l("Người lao động"),
    "can_bo_doanh_nhan": _l("Cán bộ, công nhân viên, doanh nhân"),
    "hoc_sinh_sinh_vien": _l("Học sinh, sinh viên, học viên"),
}
GENDER = {"nam": _l("Nam"), "nu": _l("Nữ")}
# A link read from the parent's side (its members) and from the child's (what it belongs to).
MEMBERS_ARE = {"clan_member": _l("Gia đình thành viên"), "staff": _l("Cán bộ, nhân viên")}
BELONGS_AS = {"clan_member": _l("Thành viên dòng họ"), "staff": _l("Cán bộ, nhân viên của đơn vị")}


def can_see_subject(user: User, subject: Subject) -> bool:
    if user.is_admin or (subject.account_id is not None and subject.account_id == user.id):
        return True
    return any(a.role in OFFICIAL_ROLES and subject.unit.path.startswith(a.unit.path) for a in user.roles)


def visible_subject(subject_id: int, user: User) -> Subject:
    subject = db.session.get(Subject, subject_id)
    if subject is None or not can_see_subject(user, subject):
        raise NotFound(_("Không tìm thấy đối tượng."))
    return subject


@dataclass(frozen=True)
class Link:
    relation: str
    position: str | None
    subject: Subject


def links_of(subject: Subject) -> tuple[list[Link], list[Link]]:
    """(its members: clan families, staff; what it belongs to: clans, organisations), by name."""
    below = db.session.execute(
        select(SubjectLink, Subject)
        .join(Subject, Subject.id == SubjectLink.child_id)
        .where(SubjectLink.parent_id == subject.id)
        .order_by(SubjectLink.relation, Subject.name, Subject.id)
    ).all()
    above = db.session.execute(
        select(SubjectLink, Subject)
        .join(Subject, Subject.id == SubjectLink.parent_id)
        .where(SubjectLink.child_id == subject.id)
        .order_by(SubjectLink.relation, Subject.name, Subject.id)
    ).all()
    return (
        [Link(link.relation, link.position, other) for link, other in below],
        [Link(link.relation, link.position, other) for link, other in above],
    )


@dataclass(frozen=True)
class Entry:
    title: str
    year: int
    status: str
    dossier_id: int
    code: str

    @property
    def title_label(self) -> str:
        return title_label(self.title)

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass
class TitleRecord:
    """One title's years for a subject, newest first, and its current run of recognised years."""

    title: str
    entries: list[Entry] = field(default_factory=list)
    years_in_a_row: int = 0

    @property
    def title_label(self) -> str:
        return title_label(self.title)


def title_history(subject: Subject) -> list[TitleRecord]:
    """Every dossier of the subject, grouped by title (titles by name), each title's years newest first."""
    rows = db.session.execute(
        select(Dossier.id, Dossier.code, Dossier.title, Dossier.year, Dossier.status)
        .where(Dossier.subject_id == subject.id)
        .order_by(Dossier.title, Dossier.year.desc(), Dossier.id)
    ).all()
    records: dict[str, TitleRecord] = {}
    for dossier_id, code, title, year, status in rows:
        record = records.setdefault(title, TitleRecord(title))
        record.entries.append(Entry(title, year, status, dossier_id, code))
    for record in records.values():
        record.years_in_a_row = latest_run(e.year for e in record.entries if e.status == RECOGNIZED)
    return sorted(records.values(), key=lambda r: (r.title_label, r.title))
