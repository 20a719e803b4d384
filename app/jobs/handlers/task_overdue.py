"""A task passed its due date: tell who holds it and the unit one level up."""

from app.jobs import job_kind
from app.services import notifications


@job_kind("task_overdue")
def run(message, *, now):
    notifications.notify_task_overdue(message.payload["human_task_id"], now=now)
