"""Print an issued decision's PDF and its certificates (written when a decision is issued or revoked)."""

from app.jobs import job_kind
from app.services import documents


@job_kind("render_decision_documents")
def run(message, *, now):
    payload = message.payload
    documents.render_decision_documents(payload["decision_id"], now=now, after_id=payload.get("after_id", 0))
