"""Reading the background jobs that ran out of attempts (outbox rows ``failed``: incidents for an admin), and
the figures of the job layer's state shown above them. Shared by the admin page and the API."""

import json
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import Dossier, OutboxMessage
from app.services import mail

PER_PAGE = 25
# A payload is shown whole in the API; on the page a long one is cut, its start is enough to recognise it.
PAYLOAD_CHARS = 160

# What each job does, in words an admin reads; a kind not listed (added later) shows its code.
JOB_KIND = {
    "task_opened": _l("Báo công việc mới"),
    "task_reminder": _l("Nhắc việc"),
    "task_overdue": _l("Báo việc quá hạn"),
    "dossier_outcome": _l("Báo kết quả hồ sơ"),
    "send_email": _l("Gửi thư điện tử"),
    "plan_digests": _l("Lập thư tổng hợp trong ngày"),
    "send_digest": _l("Gửi thư tổng hợp hằng ngày"),
    "fire_timer": _l("Hẹn giờ của quy trình"),
}


def job_kind_label(kind: str) -> str:
    label = JOB_KIND.get(kind)
    return str(label) if label is not None else kind


def compact_payload(payload, limit: int | None = PAYLOAD_CHARS) -> str:
    """The payload on one line, keys sorted; cut with an ellipsis past ``limit`` characters."""
    text = json.dumps(payload or {}, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def failed_jobs_query():
    """Incidents newest first: by when they failed (the last attempt), then by id."""
    return (
        select(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .order_by(
            OutboxMessage.processed_at.desc().nulls_last(),
            OutboxMessage.created_at.desc(),
            OutboxMessage.id.desc(),
        )
    )


def failed_jobs_page(page: int, per_page: int = PER_PAGE):
    """One page of incidents and the codes of their dossiers (by dossier id)."""
    result = db.paginate(failed_jobs_query(), page=page, per_page=per_page, error_out=False)
    ids = {message.dossier_id for message in result.items} - {None}
    codes = (
        dict(db.session.execute(select(Dossier.id, Dossier.code).where(Dossier.id.in_(ids))).all())
        if ids
        else {}
    )
    return result, codes


@dataclass(frozen=True)
class JobStatus:
    """What an admin needs to know first: whether e-mail leaves at all, where jobs run, what waits."""

    mail_server: str | None  # "host:port"; None when e-mail is off
    redis: bool
    pending: int
    failed: int


def job_status() -> JobStatus:
    config = current_app.config
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_(("pending", "running", "failed")))
            .group_by(OutboxMessage.status)
        ).all()
    )
    return JobStatus(
        mail_server=f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}" if mail.enabled() else None,
        redis=current_app.extensions.get("rq_queue") is not None,
        # A job a worker holds right now is still waiting to be done.
        pending=counts.get("pending", 0) + counts.get("running", 0),
        failed=counts.get("failed", 0),
    )
