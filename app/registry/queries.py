"""Reads of the subject registry: the list page (filter, sort, page) and the export in the import layout.

Officials see the subjects under the units of their roles (their subtrees); administrators see all.
"""

import csv
import io
from dataclasses import dataclass

from sqlalchemy import false, func, or_, select, true
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import OFFICIAL_ROLES, SUBJECT_KINDS, AdminUnit, HouseholdMember, Subject, SubjectLink, User
from app.services.registry_layouts import (
    CITIZEN_GROUPS,
    GENDER_LABELS,
    ORGANISATION_CATEGORIES,
    SUBJECT_KIND,
    headers,
)

SORTS = {
    "code": (Subject.code,),
    "name": (Subject.name, Subject.code),
    "unit": (AdminUnit.code, Subject.code),
    "kind": (Subject.kind, Subject.code),
}
PAGE_SIZES = (20, 50, 100)
MAX_PAGE = 10_000
EXPORT_FORMATS = ("xlsx", "csv")
BATCH = 1000


def may_read_registry(user: User) -> bool:
    return user.is_admin or any(a.role in OFFICIAL_ROLES for a in user.roles)


def registry_scope(user: User):
    """SQL condition on ``AdminUnit`` (joined as the subject's unit) for what ``user`` may read."""
    if user.is_admin:
        return true()
    paths = {a.unit.path for a in user.roles if a.role in OFFICIAL_ROLES}
    if not paths:
        return false()
    return or_(*[AdminUnit.path.startswith(path, autoescape=True) for path in sorted(paths)])


@dataclass
class RegistryFilter:
    kind: str | None = None
    unit: str | None = None
    text: str | None = None
    sort: str = "code"
    descending: bool = False
    page: int = 1
    per_page: int = PAGE_SIZES[0]

    @classmethod
    def from_args(cls, args) -> "RegistryFilter":
        kind = args.get("kind") if args.get("kind") in SUBJECT_KINDS else None
        sort = args.get("sort") if args.get("sort") in SORTS else "code"
        page = args.get("page", "1")
        per_page = args.get("per_page", str(PAGE_SIZES[0]))
        return cls(
            kind=kind,
            unit=(args.get("unit") or "").strip()[:64] or None,
            text=(args.get("q") or "").strip()[:100] or None,
            sort=sort,
            descending=args.get("dir") == "desc",
            page=min(int(page), MAX_PAGE) if page.isdigit() and int(page) > 0 else 1,
            per_page=int(per_page) if per_page.isdigit() and int(per_page) in PAGE_SIZES else PAGE_SIZES[0],
        )


@dataclass
class Page:
    rows: list
    has_next: bool
    filter: RegistryFilter


def subjects_page(user: User, chosen: RegistryFilter) -> Page:
    query = (
        select(Subject, AdminUnit)
        .join(AdminUnit, AdminUnit.id == Subject.unit_id)
        .where(registry_scope(user))
    )
    if chosen.kind:
        query = query.where(Subject.kind == chosen.kind)
    if chosen.unit:
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == chosen.unit))
        query = query.where(AdminUnit.path.startswith(unit.path, autoescape=True) if unit else false())
    if chosen.text:
        pattern = f"%{chosen.text.lower()}%"
        query = query.where(
            or_(func.lower(Subject.name).like(pattern), func.lower(Subject.code).like(pattern))
        )
    order = [column.desc() if chosen.descending else column for column in SORTS[chosen.sort]]
    query = query.order_by(*order, Subject.id)
    query = query.offset((chosen.page - 1) * chosen.per_page).limit(chosen.per_page + 1)
    rows = db.session.execute(query).all()
    member_counts = {}
    ids = [subject.id for subject, _unit in rows[: chosen.per_page]]
    if ids:
        member_counts = dict(
            db.session.execute(
                select(HouseholdMember.subject_id, func.count())
                .where(HouseholdMember.subject_id.in_(ids))
                .group_by(HouseholdMember.subject_id)
            ).all()
        )
        child = aliased(Subject)
        for parent_id, count in db.session.execute(
            select(SubjectLink.parent_id, func.count(child.id))
            .join(child, child.id == SubjectLink.child_id)
            .where(SubjectLink.parent_id.in_(ids))
            .group_by(SubjectLink.parent_id)
        ):
            member_counts[parent_id] = member_counts.get(parent_id, 0) + count
    return Page(
        rows=[(subject, unit, member_counts.get(subject.id, 0)) for subject, unit in rows[: chosen.per_page]],
        has_next=len(rows) > chosen.per_page,
        filter=chosen,
    )


# Export: the import layout, so the file imports back to no change.


def _subjects(user: User, kind: str):
    return (
        select(Subject.id, Subject.code, Subject.name, Subject.address, Subject.category, AdminUnit.code)
        .join(AdminUnit, AdminUnit.id == Subject.unit_id)
        .where(Subject.kind == SUBJECT_KIND[kind], registry_scope(user))
        .order_by(Subject.code)
    )


def _batches(query):
    """Keyset pages of the subjects, by code: no cursor held open while their members are read."""
    last = None
    while True:
        page = query if last is None else query.where(Subject.code > last)
        batch = db.session.execute(page.limit(BATCH)).all()
        if not batch:
            return
        yield batch
        last = batch[-1][1]


def export_rows(user: User, kind: str):
    """The rows of the export file after the header, in the import layout of ``kind``."""
    for batch in _batches(_subjects(user, kind)):
        ids = [row[0] for row in batch]
        if kind == "households":
            children = _grouped(
                select(
                    HouseholdMember.subject_id,
                    HouseholdMember.full_name,
                    HouseholdMember.gender,
                    HouseholdMember.birth_year,
                    HouseholdMember.relation,
                )
                .where(HouseholdMember.subject_id.in_(ids))
                .order_by(HouseholdMember.subject_id, HouseholdMember.id)
            )
        else:
            child = aliased(Subject)
            children = _grouped(
                select(
                    SubjectLink.parent_id,
                    child.code,
                    child.name,
                    child.gender,
                    child.birth_year,
                    child.category,
                    SubjectLink.position,
                )
                .join(child, child.id == SubjectLink.child_id)
                .where(
                    SubjectLink.parent_id.in_(ids),
                    SubjectLink.relation == ("clan_member" if kind == "clans" else "staff"),
                )
                .order_by(SubjectLink.parent_id, child.code)
            )
        for subject_id, code, name, address, category, unit_code in batch:
            yield from _rows_of(
                kind, (code, name, address, category, unit_code), children.get(subject_id, [])
            )


def _grouped(query) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for parent_id, *rest in db.session.execute(query):
        grouped.setdefault(parent_id, []).append(rest)
    return grouped


def _rows_of(kind: str, subject, children):
    code, name, address, category, unit_code = subject
    if kind == "households":
        for full_name, gender, birth_year, relation in children or [("", None, None, "")]:
            yield [
                code,
                name,
                address or "",
                unit_code,
                full_name,
                GENDER_LABELS.get(gender or "", ""),
                birth_year if birth_year is not None else "",
                relation or "",
            ]
    elif kind == "clans":
        for member in children or [("",)]:
            yield [code, name, unit_code, member[0]]
    else:
        head = [code, name, ORGANISATION_CATEGORIES.get(category or "", ""), unit_code]
        if not children:
            yield [*head, "", "", "", "", "", ""]
        for citizen_code, full_name, gender, birth_year, group, position in children:
            yield [
                *head,
                citizen_code,
                full_name,
                GENDER_LABELS.get(gender or "", ""),
                birth_year if birth_year is not None else "",
                CITIZEN_GROUPS.get(group or "", ""),
                position or "",
            ]


def export_csv(rows, kind: str) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Vietnamese right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers(kind))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def export_xlsx(rows, kind: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=kind)
    sheet.append(headers(kind))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_file(user: User, kind: str, fmt: str) -> bytes:
    rows = export_rows(user, kind)
    return export_xlsx(rows, kind) if fmt == "xlsx" else export_csv(rows, kind)


def template_file(kind: str, fmt: str) -> bytes:
    """An empty file of the layout with one example row (the upload page's template)."""
    from app.services.registry_layouts import LAYOUTS

    example = [[column.example for column in LAYOUTS[kind]]]
    return export_xlsx(example, kind) if fmt == "xlsx" else export_csv(example, kind)


def file_name(kind: str, fmt: str, prefix: str = "so-doi-tuong") -> str:
    return f"{prefix}-{kind}.{fmt}"
