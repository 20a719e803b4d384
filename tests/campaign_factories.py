"""Campaigns for tests, with windows placed around the real day, so the jobs (which run no earlier than
the real clock) and the API (which uses it) see the same day the test means."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.helpers import TITLE

PROVINCE = "DEMO-CT25"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    return datetime.now(UTC).astimezone(ZONE).date()


def at(day: date, hour: int = 10) -> datetime:
    """That day at ``hour`` local time, as an aware UTC datetime (an injected ``now``)."""
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


def user(username: str):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User

    return db.session.scalar(select(User).where(User.username == username))


def subject(code: str):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Subject

    return db.session.scalar(select(Subject).where(Subject.code == code))


def windows(*, registration: tuple[int, int] = (-40, 30), assessment: tuple[int, int] = (-10, 30)) -> dict:
    """Window dates as day offsets from today (both ends included)."""
    base = today()
    return {
        "registration_from": base + timedelta(days=registration[0]),
        "registration_to": base + timedelta(days=registration[1]),
        "assessment_from": base + timedelta(days=assessment[0]),
        "assessment_to": base + timedelta(days=assessment[1]),
    }


def make_campaign(
    *,
    province: str = PROVINCE,
    title: str = TITLE,
    year: int | None = None,
    status: str = "open",
    deadlines: dict | None = None,
    **offsets,
):
    """The campaign of province/title/year (the current year by default), in ``status``, with windows
    from ``windows(**offsets)``; one the demo already has is changed in place. Call in an app context."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, Campaign, utcnow
    from app.services.campaigns import create_campaign, open_campaign

    year = year or today().year
    dates = windows(**offsets)
    deadlines = {name: day.isoformat() for name, day in (deadlines or {}).items()}
    unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == province))
    campaign = db.session.scalar(
        select(Campaign).where(
            Campaign.province_id == unit.id, Campaign.title == title, Campaign.year == year
        )
    )
    if campaign is not None:
        for key, value in dates.items():
            setattr(campaign, key, value)
        campaign.deadlines, campaign.status = deadlines, status
        db.session.commit()
        return campaign
    admin = user("demo-admin")
    campaign = create_campaign(
        unit, title, year, name=None, deadlines=deadlines, actor=admin, now=utcnow(), **dates
    )
    if status != "draft":
        open_campaign(campaign, actor=admin, now=utcnow())
    if status == "closed":
        campaign.status = "closed"
        db.session.commit()
    return campaign
