"""Tell the applicant how their dossier ended."""

from app.jobs import job_kind
from app.services import notifications


@job_kind("dossier_outcome", database_only=True)
def run(message, *, now):
    notifications.notify_dossier_outcome(message.payload["dossier_id"], now=now)
