"""The audit log over the API, for admins and inspectors (the same filters and scope as /admin/audit)."""

from functools import wraps

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.admin.audit_queries import MAX_PAGE, MAX_PER_PAGE, audit_page, parse_filter
from app.api import bp
from app.api.params import int_arg
from app.api.routes import _iso, token_required
from app.services.errors import InvalidInput


def audit_reader_api(view):
    """Everyone else is told the log is not theirs to read (403)."""

    @token_required
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.api_user.reads_audit:
            return jsonify(
                error={
                    "status": 403,
                    "message": _("Chỉ quản trị hệ thống và thanh tra được xem nhật ký hệ thống."),
                }
            ), 403
        return view(*args, **kwargs)

    return wrapped


@bp.route("/audit")
@audit_reader_api
def audit_list():
    errors = {}
    page = int_arg("page", 1, 1, MAX_PAGE, errors)
    per_page = int_arg("per_page", 50, 1, MAX_PER_PAGE, errors)
    try:
        flt = parse_filter(request.args)
    except InvalidInput as exc:
        errors |= exc.errors
    if errors:
        raise InvalidInput(errors, _("Bộ lọc chưa hợp lệ."))
    result, codes = audit_page(g.api_user, flt, page=page, per_page=per_page)
    return jsonify(
        items=[
            {
                "at": _iso(event.at),
                "actor": event.actor.username if event.actor else None,
                "action": event.action,
                "dossier_id": event.dossier_id,
                "dossier_code": codes.get(event.dossier_id),
                "object_type": event.object_type,
                "object_id": event.object_id,
                "details": event.details,
            }
            for event in result.items
        ],
        total=result.total,
        page=page,
        per_page=per_page,
    )
