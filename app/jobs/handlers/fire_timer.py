"""A dossier's timer is due: advance its procedure."""

from datetime import datetime

from app.jobs import job_kind
from app.services import timers


@job_kind("fire_timer")
def run(message, *, now):
    # Fired as of when the tick found it due, even if the job runs later (a retry, a dead Redis).
    as_of = max(now, datetime.fromisoformat(message.payload["as_of"]))
    timers.fire_dossier_timer(message.payload["dossier_id"], now=as_of)
