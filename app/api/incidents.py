"""Background jobs that ran out of attempts, over the API: list them, run one again. Admins only."""

from functools import wraps

from flask import g, jsonify
from flask_babel import gettext as _

from app import jobs
from app.admin.audit_queries import MAX_PAGE, MAX_PER_PAGE
from app.admin.incident_queries import PER_PAGE, failed_jobs_page
from app.api import bp
from app.api.params import int_arg
from app.api.routes import _iso, token_required
from app.extensions import db
from app.models import OutboxMessage, utcnow
from app.services.errors import InvalidInput


def incidents_admin_api(view):
    """Everyone but admins is told so (403), as for the other admin routes of the API."""

    @token_required
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.api_user.is_admin:
            message = _("Chỉ quản trị hệ thống được xem và chạy lại công việc nền.")
            return jsonify(error={"status": 403, "message": message}), 403
        return view(*args, **kwargs)

    return wrapped


@bp.route("/incidents")
@incidents_admin_api
def incidents_list():
    errors = {}
    page_number = int_arg("page", 1, 1, MAX_PAGE, errors)
    per_page = int_arg("per_page", PER_PAGE, 1, MAX_PER_PAGE, errors)
    if errors:
        raise InvalidInput(errors, _("Bộ lọc chưa hợp lệ."))
    page, codes = failed_jobs_page(page_number, per_page)
    return jsonify(
        items=[
            {
                "id": message.id,
                "kind": message.kind,
                "error": message.last_error,
                "attempts": message.attempts,
                "payload": message.payload,
                "dossier_id": message.dossier_id,
                "dossier_code": codes.get(message.dossier_id),
                "created_at": _iso(message.created_at),
                # The last attempt ended it: the job layer stamps processed_at when a job stops for good.
                "failed_at": _iso(message.processed_at),
            }
            for message in page.items
        ],
        total=page.total,
        page=page_number,
        per_page=per_page,
    )


@bp.route("/incidents/<int:outbox_id>/retry", methods=["POST"])
@incidents_admin_api
def incident_retry(outbox_id: int):
    jobs.retry_incident(outbox_id, actor=g.api_user, now=utcnow())
    # Without Redis the job has already run again by now; its status says how it went.
    message = db.session.get(OutboxMessage, outbox_id)
    return jsonify(id=outbox_id, status=message.status)
