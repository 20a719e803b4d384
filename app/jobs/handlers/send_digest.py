"""Send one user the digest of one day."""

from app.jobs import job_kind
from app.services import digest


@job_kind("send_digest")
def run(message, *, now):
    digest.send_digest(message.payload["user_id"], message.payload["date"], now=now)
