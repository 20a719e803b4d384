"""What a notification says and where it leads: one wording for the page, the API and the e-mail.

Rendered in the current Babel locale (the reader's, or the one an e-mail job forces)."""

from flask import url_for

from app import labels, titles
from app.models import Notification


def notification_text(notification: Notification) -> str:
    """The notice in one sentence; the reason (a return's note) is shown beside it, not in it."""
    params = notification.params or {}
    if notification.kind == "dossier_outcome":
        values = {"code": params.get("dossier_code"), "status": titles.status_label(params.get("status"))}
        return str(labels.NOTIFICATION["dossier_outcome"]) % values
    kind = notification.kind
    if kind == "task_overdue" and params.get("escalated_to"):
        kind = "task_escalated"
    template = labels.NOTIFICATION.get(kind)
    if template is None:
        return kind
    return str(template) % {
        "task": labels.localized(params.get("task_label")),
        "code": params.get("dossier_code"),
        "subject": params.get("subject"),
        "unit": params.get("unit_name"),
    }


def notification_path(notification: Notification) -> str | None:
    """The task it is about, else its dossier (the task page itself says when the task is done). The
    unit above a late task is told so that it can follow up, not act: it is led to the dossier."""
    if notification.human_task_id and not (notification.params or {}).get("escalated_to"):
        return url_for("dossiers.task", task_id=notification.human_task_id)
    if notification.dossier_id:
        return url_for("dossiers.show", dossier_id=notification.dossier_id)
    return None
