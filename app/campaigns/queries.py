"""Reads for the campaign pages and API: which campaigns a user sees, and the subjects a registrar lists."""

from dataclasses import dataclass

from sqlalchemy import false, func, or_, select, true

from app.extensions import db
from app.models import (
    APPLICANT_ROLES,
    OFFICIAL_ROLES,
    AdminUnit,
    Campaign,
    Registration,
    Subject,
    User,
    ids_on_path,
)
from app.models.campaign import CAMPAIGN_STATUSES
from app.services.campaigns import registrable_subjects

PER_PAGE = 20
SUBJECTS_PER_PAGE = 50
SORTS = {
    "-year": (Campaign.year.desc(), Campaign.id.desc()),
    "year": (Campaign.year.asc(), Campaign.id.asc()),
    "title": (Campaign.title.asc(), Campaign.year.desc()),
    "status": (Campaign.status.asc(), Campaign.year.desc()),
}


def _province_ids(paths) -> set[int]:
    return {ids[0] for ids in map(ids_on_path, paths) if ids}


def campaign_scope(user: User):
    """SQL condition: the campaigns ``user`` sees. Admins all; officials (and inspectors) those of the
    provinces they work in; applicants the open ones of their subjects' provinces."""
    if user.is_admin:
        return true()
    official = _province_ids(
        a.unit.path for a in user.roles if a.role in OFFICIAL_ROLES or a.role == "inspector"
    )
    own_units = db.session.scalars(
        select(AdminUnit.path)
        .join(Subject, Subject.unit_id == AdminUnit.id)
        .where(Subject.account_id == user.id)
    ).all()
    applicant = _province_ids([*own_units, *(a.unit.path for a in user.roles if a.role in APPLICANT_ROLES)])
    clauses = []
    if official:
        clauses.append(Campaign.province_id.in_(official))
    if applicant:
        clauses.append((Campaign.province_id.in_(applicant)) & (Campaign.status == "open"))
    return or_(*clauses) if clauses else false()


def can_see_campaign(user: User, campaign: Campaign) -> bool:
    return bool(
        db.session.scalar(select(Campaign.id).where(Campaign.id == campaign.id, campaign_scope(user)))
    )


@dataclass
class CampaignFilter:
    province: str | None = None
    title: str | None = None
    year: int | None = None
    status: str | None = None

    def apply(self, query):
        if self.province:
            query = query.join(AdminUnit, AdminUnit.id == Campaign.province_id).where(
                AdminUnit.code == self.province
            )
        if self.title:
            query = query.where(Campaign.title == self.title)
        if self.year is not None:
            query = query.where(Campaign.year == self.year)
        if self.status in CAMPAIGN_STATUSES:
            query = query.where(Campaign.status == self.status)
        return query


def campaigns_query(user: User, filters: CampaignFilter, sort: str = "-year"):
    query = filters.apply(select(Campaign).where(campaign_scope(user)))
    return query.order_by(*SORTS.get(sort, SORTS["-year"]))


def counts_by_campaign(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Registration.campaign_id, func.count(Registration.id), func.count(Registration.dossier_id))
        .where(Registration.campaign_id.in_(ids))
        .group_by(Registration.campaign_id)
    ).all()
    found = {cid: {"registered": r, "dossiers": d} for cid, r, d in rows}
    return {cid: found.get(cid, {"registered": 0, "dossiers": 0}) for cid in ids}


def subjects_to_register(
    campaign: Campaign, user: User, *, search: str = "", unit_id: int | None = None, state=""
):
    """The registrar's list: subjects of the campaign's kind in the user's reach, with a name/code
    search, a village filter, and registered / not registered."""
    query = registrable_subjects(campaign, user)
    if search:
        needle = f"%{search.lower()}%"
        query = query.where(func.lower(Subject.name).like(needle) | func.lower(Subject.code).like(needle))
    if unit_id:
        query = query.where(Subject.unit_id == unit_id)
    registered = select(Registration.subject_id).where(Registration.campaign_id == campaign.id)
    if state == "registered":
        query = query.where(Subject.id.in_(registered))
    elif state == "unregistered":
        query = query.where(Subject.id.not_in(registered))
    return query.order_by(Subject.code)


def registrations_of(campaign: Campaign, subject_ids: list[int]) -> dict[int, Registration]:
    if not subject_ids:
        return {}
    return {
        r.subject_id: r
        for r in db.session.scalars(
            select(Registration).where(
                Registration.campaign_id == campaign.id, Registration.subject_id.in_(subject_ids)
            )
        )
    }


def reach_units(campaign: Campaign, user: User) -> list[AdminUnit]:
    """The villages (units holding subjects) a registrar may filter by, within the campaign's province."""
    ids = select(Subject.unit_id).where(
        Subject.id.in_(registrable_subjects(campaign, user).with_only_columns(Subject.id))
    )
    return list(db.session.scalars(select(AdminUnit).where(AdminUnit.id.in_(ids)).order_by(AdminUnit.code)))
