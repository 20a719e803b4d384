"""What an official's home shows above their inbox: their unit's progress against its target, what waits for
them, and for whoever decides, how many dossiers wait at a decision step."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from app.extensions import db
from app.models import AdminUnit, Dossier, DossierCount, HumanTask, ProcessDefinition, User
from app.reports.queries import Row, report_units, totals
from app.services.jurisdiction import task_scope
from app.titles import catalogue
from workflow import decides_tasks

# The roles that sign decisions or advise on them: they see the line even when nothing waits.
DECIDING_ROLES = ("commune_chairman", "emulation_committee")


@dataclass
class Dashboard:
    progress: Row | None
    title: str | None
    year: int
    open_tasks: int
    overdue: int
    # None: the user takes no decision step anywhere (the line is not shown).
    awaiting_decision: int | None


def _decision_steps():
    """(process definition id, decision task names) for every version whose manifest marks some."""
    found = []
    versions = select(ProcessDefinition.id, ProcessDefinition.manifest)
    for definition_id, manifest in db.session.execute(versions):
        names = list(decides_tasks(manifest or {}))
        if names:
            found.append((definition_id, names))
    return found


def _busiest_title(unit: AdminUnit | None, titles: list[str], year: int) -> str | None:
    """The title the home page reports on: the one with most dossiers this year under the user's unit
    (read from the per-village counts), the first title when there are none yet."""
    if unit is None or not titles:
        return titles[0] if titles else None
    counts = dict(
        db.session.execute(
            select(DossierCount.title, func.sum(DossierCount.n))
            .join(AdminUnit, AdminUnit.id == DossierCount.unit_id)
            .where(DossierCount.year == year, AdminUnit.path.startswith(unit.path, autoescape=True))
            .group_by(DossierCount.title)
        ).all()
    )
    return max(titles, key=lambda title: (counts.get(title) or 0, -titles.index(title)))


def home_dashboard(user: User, *, now: datetime, year: int) -> Dashboard | None:
    if not user.is_official:
        return None
    units = report_units(user)
    title = _busiest_title(units[0] if units else None, list(catalogue()), year)
    progress = totals(units[0], title, year) if units and title else None
    open_tasks, overdue = db.session.execute(
        select(func.count(), func.sum(case((HumanTask.due_at < now, 1), else_=0))).where(
            HumanTask.state == "open", task_scope(user)
        )
    ).one()
    awaiting = None
    steps = _decision_steps()
    if steps:
        at_decision = or_(
            *(and_(Dossier.process_definition_id == pid, HumanTask.name.in_(names)) for pid, names in steps)
        )
        awaiting = db.session.scalar(
            select(func.count(func.distinct(HumanTask.dossier_id)))
            .join(Dossier, Dossier.id == HumanTask.dossier_id)
            .where(HumanTask.state == "open", task_scope(user), at_decision)
        )
        # Shown only to those who decide: an official with no decision step in reach sees no such line.
        deciding = any(a.role in DECIDING_ROLES for a in user.roles)
        awaiting = awaiting if awaiting or deciding else None
    return Dashboard(progress, title, year, int(open_tasks), int(overdue or 0), awaiting)
