"""E-mail through the SMTP server of the settings (``MAIL_*``), with the standard library only.

Sending is the job layer's business: a failing server raises here, and the job is retried. Each message
carries a Message-ID derived from what it is about, so that a job run twice gives the same message (mail
servers and clients merge duplicates by it).
"""

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlsplit

from flask import current_app, render_template, url_for
from flask_babel import force_locale

from app.extensions import db
from app.models import Notification, User


def enabled(config=None) -> bool:
    """E-mail is on when an SMTP server is configured; without one, notices stay in the app."""
    config = current_app.config if config is None else config
    return bool(config.get("MAIL_SERVER"))


def send(to: str, subject: str, text: str, html: str, *, message_id: str) -> None:
    """Send one message (plain text with an HTML alternative); SMTP errors propagate to the caller."""
    config = current_app.config
    message = EmailMessage()
    # Encoded by the older email.header: Python 3.11's folding drops the space where it folds a long
    # Vietnamese subject ("Chấm điểmcấp xã"); set_raw keeps these already folded lines as they are.
    # set_raw skips the checks of an ordinary header: line breaks from a typed name must go first.
    subject = " ".join(subject.split())
    message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    # Quoted-printable keeps the body 7-bit: no relay can mangle the Vietnamese on the way.
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT_SECONDS"]
    if config.get("MAIL_USE_SSL"):
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    with server:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            server.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        server.send_message(message)


def public_host() -> str:
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"


def absolute(path: str) -> str:
    """A path from url_for (already holding PUBLIC_URL's own path, if any) as a link from outside."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    return f"{parts.scheme}://{parts.netloc}{path}"


def reader_locale(user: User) -> str:
    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE") or "vi"


@contextmanager
def rendering_for(user: User) -> Iterator[None]:
    """What an e-mail is rendered in, from a worker as from a request: a request on PUBLIC_URL (so url_for
    builds the links users open) and the reader's language rather than the sender's."""
    with (
        current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]),
        force_locale(reader_locale(user)),
    ):
        yield


def send_notification_email(notification_id: int, *, now: datetime) -> bool:
    """E-mail one notice to its reader; nothing when e-mail is off, or the reader has no address, was
    deactivated or no longer wants this kind by e-mail (the job may run long after the notice was written:
    the reader's choice now is what counts). Returns whether a message was sent."""
    from app.notifications.text import notification_path, notification_text
    from app.services.preferences import KIND_LABELS, channel_for

    notification = db.session.get(Notification, notification_id)
    if notification is None or not enabled():
        return False
    user = db.session.get(User, notification.user_id)
    if user is None or not user.active or not user.email or channel_for(user, notification.kind) != "email":
        return False
    with rendering_for(user):
        path = notification_path(notification)
        is_task = bool(
            path
            and notification.human_task_id
            and path == url_for("dossiers.task", task_id=notification.human_task_id)
        )
        context = {
            "user": user,
            "text": notification_text(notification),
            "reason": (notification.params or {}).get("reason"),
            "link": absolute(path) if path else None,
            "is_task": is_task,
            "kind_label": KIND_LABELS.get(notification.kind, notification.kind),
            "preferences_link": absolute(url_for("notifications.preferences")),
            "locale": reader_locale(user),
        }
        text = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
    send(
        user.email,
        context["text"],
        text,
        html,
        message_id=f"<notification-{notification.id}@{public_host()}>",
    )
    return True
