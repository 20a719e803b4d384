"""What a year's campaign (app/models/campaign.py) says about one dossier: whether it may open today,
and when each of its steps is due. Kept apart from the campaign service so the step path can ask
without importing what opens dossiers."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Campaign, Subject
from app.services.errors import Conflict

# A campaign in draft is being prepared: until an admin opens it, the title runs as if it had none.
EFFECTIVE_STATUSES = ("open", "closed")


def local_day(now: datetime) -> date:
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def end_of_local_day(day: date) -> datetime:
    """The last moment of ``day`` where the campaign runs, as an aware datetime."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone) - timedelta(microseconds=1)


def province_id_of(subject: Subject) -> int:
    return subject.unit.province_id


def campaign_for(subject: Subject, title: str, year: int) -> Campaign | None:
    """The campaign a subject's dossier of ``title`` and ``year`` runs under, if its province has one."""
    return db.session.scalar(
        select(Campaign).where(
            Campaign.province_id == province_id_of(subject),
            Campaign.title == title,
            Campaign.year == year,
            Campaign.status.in_(EFFECTIVE_STATUSES),
        )
    )


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def check_assessment_window(campaign: Campaign, now: datetime) -> None:
    """Refuse to open a dossier outside the campaign's self-assessment window, saying which it is."""
    today = local_day(now)
    window = {"start": _day(campaign.assessment_from), "end": _day(campaign.assessment_to)}
    if campaign.status == "closed":
        raise Conflict(_("Đợt đánh giá năm %(year)s của danh hiệu này đã kết thúc.", year=campaign.year))
    if today < campaign.assessment_from:
        raise Conflict(_("Chưa đến thời gian tự đánh giá của đợt này (từ %(start)s đến %(end)s).", **window))
    if today > campaign.assessment_to:
        raise Conflict(_("Đã hết thời gian tự đánh giá của đợt này (từ %(start)s đến %(end)s).", **window))


def deadline_at(campaign: Campaign, task_name: str) -> datetime | None:
    """The due date the campaign sets for a step: the end of its deadline day, local time."""
    day = (campaign.deadlines or {}).get(task_name)
    return end_of_local_day(date.fromisoformat(day)) if day else None
