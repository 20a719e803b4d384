"""Open the dossiers of a campaign's registered subjects once its self-assessment window has opened."""

from app.jobs import job_kind
from app.services import campaigns


@job_kind("open_registered_dossiers")
def run(message, *, now):
    campaigns.open_registered_dossiers(message.payload["campaign_id"], now=now)
