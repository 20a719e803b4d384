"""The daily digest: one e-mail a day listing a user's pending tasks, the overdue ones apart.

Planning is cheap enough to run on every worker tick: once the local hour is reached, one ``plan_digests``
job per local date (its dedupe key makes a second writer add nothing, whichever worker it is), and that
job writes one ``send_digest`` job per user who wants a digest, each with its own key. A tick, a second
worker or a retried job therefore never gives anyone two digests for one day.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.labels import localized
from app.models import HumanTask, User
from app.services import mail
from app.services.outbox import add_job, plan_once
from app.services.preferences import users_wanting_digest, wants_digest
from app.services.uow import commit

# An officer of a large commune may hold thousands of tasks: the e-mail lists this many of each part
# (the most urgent first) and leads to the inbox for the rest.
MAX_LISTED = 100


def local_date(now: datetime) -> date:
    return now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def plan_digests(now: datetime) -> int:
    """Write today's planning job once the digest hour has come (local time); 1 when written, else 0."""
    if not mail.enabled():
        return 0
    local = now.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    if local.hour < current_app.config["DIGEST_HOUR"]:
        return 0
    day = local.date().isoformat()
    return plan_once("plan_digests", {"date": day}, at=now, dedupe_key=f"digests:{day}")


def queue_digests(day: str, *, now: datetime) -> int:
    """One ``send_digest`` job for ``day`` per active user with an address who wants a digest; returns how
    many were new."""
    written = 0
    for user in users_wanting_digest():
        job = add_job(
            "send_digest", {"user_id": user.id, "date": day}, at=now, dedupe_key=f"digest:{user.id}:{day}"
        )
        written += job is not None
    commit()
    return written


@dataclass
class Pending:
    total: int
    overdue_total: int
    overdue: list[HumanTask]
    upcoming: list[HumanTask]  # pending and not overdue


def pending_tasks(user: User, *, now: datetime, limit: int = MAX_LISTED) -> Pending:
    """The open tasks ``user`` may act on, as the inbox finds them, less those a colleague has claimed
    (that colleague's to do); ordered by due date."""
    # Imported here: the inbox package loads its routes, which load the services that load this module.
    from app.inbox.query import InboxFilter, inbox_query

    def query(filters):
        return inbox_query(user, filters, now=now).where(
            or_(HumanTask.claimed_by_id.is_(None), HumanTask.claimed_by_id == user.id)
        )

    def count(filters) -> int:
        return db.session.scalar(select(func.count()).select_from(query(filters).order_by(None).subquery()))

    not_late = or_(HumanTask.due_at.is_(None), HumanTask.due_at >= now)
    return Pending(
        total=count(InboxFilter()),
        overdue_total=count(InboxFilter(overdue=True)),
        overdue=list(db.session.scalars(query(InboxFilter(overdue=True)).limit(limit)).unique()),
        upcoming=list(db.session.scalars(query(InboxFilter()).where(not_late).limit(limit)).unique()),
    )


def _row(task: HumanTask) -> dict:
    return {
        "link": mail.absolute(url_for("dossiers.task", task_id=task.id)),
        "label": localized(task.label),
        "code": task.dossier.code,
        "subject": task.dossier.subject.name,
        "due_at": task.due_at,
    }


def send_digest(user_id: int, day: str, *, now: datetime) -> bool:
    """E-mail ``user_id`` the digest of ``day`` (an ISO date); nothing when they have nothing pending, no
    longer want a digest, have no address or were deactivated. Returns whether a message was sent."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.email or not mail.enabled() or not wants_digest(user):
        return False
    pending = pending_tasks(user, now=now)
    if pending.total == 0:
        return False
    with mail.rendering_for(user):
        shown_date = date.fromisoformat(day).strftime("%d/%m/%Y")
        subject = _(
            "Tổng hợp công việc ngày %(date)s: %(n)s việc chờ xử lý, %(late)s việc quá hạn",
            date=shown_date,
            n=pending.total,
            late=pending.overdue_total,
        )
        context = {
            "user": user,
            "subject": subject,
            "date": shown_date,
            "pending": pending,
            "overdue": [_row(task) for task in pending.overdue],
            "upcoming": [_row(task) for task in pending.upcoming],
            "upcoming_total": pending.total - pending.overdue_total,
            "inbox_link": mail.absolute(url_for("inbox.index")),
            "overdue_link": mail.absolute(url_for("inbox.index", overdue=1)),
            "preferences_link": mail.absolute(url_for("notifications.preferences")),
            "locale": mail.reader_locale(user),
        }
        text = render_template("email/digest.txt", **context)
        html = render_template("email/digest.html", **context)
    mail.send(user.email, subject, text, html, message_id=f"<digest-{user.id}-{day}@{mail.public_host()}>")
    return True
