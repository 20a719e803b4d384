"""Tell who may do a newly opened task."""

from app.jobs import job_kind
from app.services import notifications


@job_kind("task_opened", database_only=True)
def run(message, *, now):
    notifications.notify_task_opened(message.payload["human_task_id"], now=now)
