"""Write the day's digest jobs, one per user who wants a digest (the day's one planning job)."""

from app.jobs import job_kind
from app.services import digest


@job_kind("plan_digests")
def run(message, *, now):
    digest.queue_digests(message.payload["date"], now=now)
