"""E-mail one notice to its reader (written beside the notice when the reader chose e-mail for its kind)."""

from app.jobs import job_kind
from app.services import mail


@job_kind("send_email")
def run(message, *, now):
    mail.send_notification_email(message.payload["notification_id"], now=now)
