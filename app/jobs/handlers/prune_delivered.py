"""Once a day: delete delivered jobs and read notices past their retention, compact finished states."""

from app.jobs import job_kind
from app.services import storage


@job_kind(storage.JOB)
def run(message, *, now):
    storage.prune_delivered(now=now)
