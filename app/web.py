"""Template helpers: dates and numbers as Vietnamese officials write them, labels, header counters."""

from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select

from app import labels, titles
from app.extensions import db
from app.models import Notification, utcnow
from app.services.bounds import input_limits


def _local(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def format_date(value) -> str:
    """dd/mm/yyyy; a date-only value (a form's date field) is shown as is, never shifted by a zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _local(value)
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def format_datetime(value: datetime | None) -> str:
    return _local(value).strftime("%d/%m/%Y %H:%M") if value else ""


def format_number(value, decimals: int = 0) -> str:
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    if str(get_locale() or "vi") == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def unread_notifications() -> int:
    if not current_user.is_authenticated:
        return 0
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None)
        )
    )


def register_template_helpers(app: Flask) -> None:
    # Imported here: the notifications blueprint package imports this module for redirect_back.
    from app.notifications.text import notification_text

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        date=format_date, datetime=format_datetime, number=format_number, localized=labels.localized
    )
    app.jinja_env.globals.update(
        labels=labels,
        label=labels.label,
        unread_notifications=unread_notifications,
        now=utcnow,
        current_locale=lambda: str(get_locale() or "vi"),
        # A repeating group's cell errors ("members[2].birth_year") are shown in their row.
        form_has=lambda form, name: any(f.name == name.split("[", 1)[0] for f in form.fields),
        title_label=titles.title_label,
        status_label=titles.status_label,
        notification_text=notification_text,
        # Inputs carry the bounds the services check (maxlength, or data-maxlength on a textarea).
        limits=input_limits(),
    )


def is_local_path(target: str) -> bool:
    """True for a path on this site. Browsers drop tabs and newlines and read ``\\`` as ``/``, so
    ``/\t/evil.com`` would become ``//evil.com``: any such character disqualifies the target."""
    if not target.startswith("/") or any(ch in target for ch in "\\") or not target.isprintable():
        return False
    if any(ch.isspace() for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith("//")


def redirect_back(default: str):
    """Redirect to the form's ``next`` path when it is local; an absolute URL would be an open redirect."""
    from flask import redirect, request

    target = request.form.get("next") or request.args.get("next") or ""
    return redirect(target if is_local_path(target) else default)
