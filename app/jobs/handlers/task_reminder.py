"""A procedure's reminder timer fired on a task that is still open."""

from app.jobs import job_kind
from app.services import notifications


@job_kind("task_reminder")
def run(message, *, now):
    payload = message.payload
    notifications.notify_task_reminder(payload["dossier_id"], payload["task"], message.id, now=now)
