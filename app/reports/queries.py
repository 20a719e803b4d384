"""Progress reports: for a unit, a title and a year, one row per unit directly under it with the base
(subjects of the title's kind in the registry), registered and recognised dossiers, both rates, the target
that applies and the gap; trends across years; the counts an official's home shows.

Over a whole province the report is ONE aggregate query, and it counts nothing: subjects and dossiers are
read already counted per unit they hang on from ``subject_count`` and ``dossier_count`` (app/models/counts.py,
kept in step by ORM events in the transaction that changes a subject or a dossier), and those few thousand
per-village counts are folded into the child unit whose materialised path prefixes the village's (the
village's path cut after the child's segment, matched by equality on the indexed path). Recounting 3.4
million subjects and 1 million dossiers per view, and matching each village against every child by prefix,
missed the 300 ms budget on both databases (bench/province_report.py, bench/README.md).
"""

from dataclasses import dataclass, field

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import OFFICIAL_ROLES, AdminUnit, DossierCount, SubjectCount, User
from app.services.targets import AppliedTarget, TargetBook
from app.titles import catalogue

RECOGNIZED = "recognized"
# Years a trend shows, ending with the year asked.
TREND_YEARS = 5


@dataclass
class Row:
    unit_id: int | None
    unit_code: str | None
    unit_name: str
    level: str | None
    base: int = 0
    registered: int = 0
    recognized: int = 0
    target: AppliedTarget | None = None
    # True for the units a reader may open (they have units under them); a village is a leaf.
    drill: bool = False

    @property
    def rate_registered(self) -> float | None:
        """Recognised over registered, percent: what reports print "so với số đăng ký"."""
        return 100 * self.recognized / self.registered if self.registered else None

    @property
    def rate_base(self) -> float | None:
        """Recognised over the whole base, percent: what the plans' targets are set over."""
        return 100 * self.recognized / self.base if self.base else None

    @property
    def gap(self) -> float | None:
        """Percentage points still missing to reach the target (negative: beyond it)."""
        if self.target is None or self.rate_base is None:
            return None
        return self.target.rate - self.rate_base

    @property
    def still_needed(self) -> int | None:
        """Subjects still to recognise to reach the target (0 once reached)."""
        if self.target is None or not self.base:
            return None
        needed = -(-self.target.rate * self.base // 100)  # ceiling: 70% of 7 is 5 subjects, not 4.9
        return max(0, int(needed) - self.recognized)


@dataclass
class Report:
    unit: AdminUnit | None
    title: str
    year: int
    subject_kind: str | None
    rows: list[Row]
    total: Row
    trend: list[dict] = field(default_factory=list)


def subject_kind(title: str) -> str | None:
    """The kind of subject a title is for (``serves.subject_kind`` of its procedures)."""
    return (catalogue().get(title) or {}).get("subject_kind")


def _prefix(unit: AdminUnit | None) -> str:
    return unit.path if unit is not None else "/"


def _within(prefix: str):
    """The ids of the units under the path ``prefix``, the unit itself included."""
    return select(AdminUnit.id).where(AdminUnit.path.startswith(prefix))


def _recognized(count):
    return case((DossierCount.status == RECOGNIZED, count), else_=0)


def counts_by_child(unit: AdminUnit | None, title: str, year: int, kind: str | None) -> dict[int, tuple]:
    """child unit id → (base, registered, recognised), in one statement. The unit itself is its own
    "child" for subjects hanging on it directly (and for a village, which has no units under it)."""
    prefix = _prefix(unit)
    subjects = select(
        SubjectCount.unit_id.label("unit_id"),
        SubjectCount.n.label("base"),
        literal(0).label("registered"),
        literal(0).label("recognized"),
    ).where(SubjectCount.unit_id.in_(_within(prefix)), SubjectCount.n > 0)
    if kind is not None:
        subjects = subjects.where(SubjectCount.kind == kind)
    dossiers = select(
        DossierCount.unit_id.label("unit_id"),
        literal(0).label("base"),
        DossierCount.n.label("registered"),
        _recognized(DossierCount.n).label("recognized"),
    ).where(DossierCount.title == title, DossierCount.year == year, DossierCount.n > 0)
    if unit is not None:
        dossiers = dossiers.where(DossierCount.unit_id.in_(_within(prefix)))
    per_unit = union_all(subjects, dossiers).subquery("per_unit")
    # The child a unit under ``prefix`` folds into is the one whose path is the unit's path cut after the
    # next segment ("/1/7/" + "19/…" → "/1/7/19/"); a unit cut to ``prefix`` itself is the unit. An
    # equality on the indexed path, once per unit, instead of a prefix match per unit and child.
    leaf = aliased(AdminUnit)
    rest = func.substr(leaf.path, len(prefix) + 1)
    slash = (
        func.strpos(rest, "/")
        if db.session.get_bind().dialect.name == "postgresql"
        else func.instr(rest, "/")
    )
    child_path = func.substr(leaf.path, 1, len(prefix) + slash)
    folded = (
        select(
            child_path.label("path"),
            func.sum(per_unit.c.base).label("base"),
            func.sum(per_unit.c.registered).label("registered"),
            func.sum(per_unit.c.recognized).label("recognized"),
        )
        .select_from(per_unit)
        .join(leaf, leaf.id == per_unit.c.unit_id)
        .group_by(child_path)
        .subquery("folded")
    )
    query = select(AdminUnit.id, folded.c.base, folded.c.registered, folded.c.recognized).join(
        folded, AdminUnit.path == folded.c.path
    )
    return {
        unit_id: (int(base or 0), int(registered or 0), int(recognized or 0))
        for unit_id, base, registered, recognized in db.session.execute(query)
    }


def _children(unit: AdminUnit | None) -> list[AdminUnit]:
    parent = AdminUnit.parent_id.is_(None) if unit is None else AdminUnit.parent_id == unit.id
    return db.session.scalars(select(AdminUnit).where(parent).order_by(AdminUnit.code)).all()


def _with_children(unit_ids) -> set[int]:
    if not unit_ids:
        return set()
    return set(
        db.session.scalars(select(AdminUnit.parent_id).where(AdminUnit.parent_id.in_(unit_ids)).distinct())
    )


def progress(unit: AdminUnit | None, title: str, year: int, *, trend: bool = True) -> Report:
    """The report of ``unit`` (None: every province) for ``title`` and ``year``."""
    kind = subject_kind(title)
    counts = counts_by_child(unit, title, year, kind)
    book = TargetBook(title)
    children = _children(unit)
    openable = _with_children([c.id for c in children])
    rows = []
    for child in children:
        base, registered, recognized = counts.get(child.id, (0, 0, 0))
        rows.append(
            Row(
                child.id,
                child.code,
                child.name,
                child.level_code,
                base,
                registered,
                recognized,
                book.for_unit(child, year),
                drill=child.id in openable,
            )
        )
    if unit is not None and (unit.id in counts or not children):
        # Subjects registered on the unit itself (a village; a commune without villages yet).
        base, registered, recognized = counts.get(unit.id, (0, 0, 0))
        rows.append(
            Row(
                unit.id,
                unit.code,
                unit.name,
                unit.level_code,
                base,
                registered,
                recognized,
                book.for_unit(unit, year),
            )
        )
    total = Row(
        unit.id if unit else None,
        unit.code if unit else None,
        unit.name if unit else "",
        unit.level_code if unit else None,
        sum(r.base for r in rows),
        sum(r.registered for r in rows),
        sum(r.recognized for r in rows),
        book.for_unit(unit, year),
    )
    report = Report(unit, title, year, kind, rows, total)
    if trend:
        report.trend = trends(unit, title, year, base=total.base, book=book)
    return report


def trends(unit: AdminUnit | None, title: str, year: int, *, base: int, book: TargetBook) -> list[dict]:
    """Registered and recognised per year over the ``TREND_YEARS`` years ending with ``year``. The base is
    today's registry for every year: the registry keeps no history of who lived where."""
    first = year - TREND_YEARS + 1
    query = (
        select(DossierCount.year, func.sum(DossierCount.n), func.sum(_recognized(DossierCount.n)))
        .where(DossierCount.title == title, DossierCount.year.between(first, year))
        .group_by(DossierCount.year)
    )
    if unit is not None:
        query = query.where(DossierCount.unit_id.in_(_within(_prefix(unit))))
    found = {y: (int(n), int(r or 0)) for y, n, r in db.session.execute(query)}
    points = []
    for y in range(first, year + 1):
        registered, recognized = found.get(y, (0, 0))
        row = Row(None, None, "", None, base, registered, recognized, book.for_unit(unit, y))
        points.append(
            {
                "year": y,
                "registered": registered,
                "recognized": recognized,
                "rate_registered": row.rate_registered,
                "rate_base": row.rate_base,
                "target": row.target.rate if row.target else None,
            }
        )
    return points


def totals(unit: AdminUnit, title: str, year: int) -> Row:
    """The unit's own figures with its target, for a home page: two counts, no rows."""
    kind = subject_kind(title)
    prefix = _prefix(unit)
    base_query = select(func.sum(SubjectCount.n)).where(SubjectCount.unit_id.in_(_within(prefix)))
    if kind is not None:
        base_query = base_query.where(SubjectCount.kind == kind)
    registered, recognized = db.session.execute(
        select(func.sum(DossierCount.n), func.sum(_recognized(DossierCount.n))).where(
            DossierCount.title == title, DossierCount.year == year, DossierCount.unit_id.in_(_within(prefix))
        )
    ).one()
    return Row(
        unit.id,
        unit.code,
        unit.name,
        unit.level_code,
        int(db.session.scalar(base_query) or 0),
        int(registered or 0),
        int(recognized or 0),
        TargetBook(title).for_unit(unit, year),
    )


# Who may read reports, and where.


def may_read_reports(user: User) -> bool:
    return user.is_admin or user.is_official


def report_units(user: User) -> list[AdminUnit]:
    """The units whose reports ``user`` opens first: those it holds an official role at."""
    seen, units = set(), []
    for assignment in user.roles:
        if assignment.role in OFFICIAL_ROLES and assignment.unit_id not in seen:
            seen.add(assignment.unit_id)
            units.append(assignment.unit)
    return units


def can_read_unit(user: User, unit: AdminUnit | None) -> bool:
    """Admins read every unit and the national view; an official its units and the units below them."""
    if user.is_admin:
        return True
    if unit is None:
        return False
    return any(unit.path.startswith(a.unit.path) for a in user.roles if a.role in OFFICIAL_ROLES)


def breadcrumbs(user: User, unit: AdminUnit | None) -> list[AdminUnit]:
    """The units above ``unit`` the reader may open, top first, for the way back up."""
    if unit is None:
        return []
    return [u for u in reversed(unit.ancestors()[1:]) if can_read_unit(user, u)]
