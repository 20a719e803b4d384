"""The audit log for the accountable: admins and inspectors filter it and download it as CSV."""

from flask import Response, render_template, request, stream_with_context
from flask_login import current_user

from app.admin import bp
from app.admin.audit_queries import (
    MAX_EXPORT_ROWS,
    AuditFilter,
    audit_page,
    audit_reader_required,
    details_json,
    export_csv,
    parse_filter,
)
from app.labels import ACTION
from app.models import utcnow
from app.services.errors import InvalidInput

PER_PAGE = 50


@bp.route("/audit")
@audit_reader_required
def audit():
    errors, status, page, codes = {}, 200, None, {}
    try:
        flt = parse_filter(request.args)
        page, codes = audit_page(
            current_user, flt, page=request.args.get("page", 1, type=int), per_page=PER_PAGE
        )
    except InvalidInput as exc:
        errors, status, flt = exc.errors, 422, AuditFilter()
    return render_template(
        "admin/audit.html",
        page=page,
        codes=codes,
        errors=errors,
        values=request.args,
        export_args=flt.as_args(),
        actions=ACTION,
        max_export=MAX_EXPORT_ROWS,
        details_json=details_json,
    ), status


@bp.route("/audit.csv")
@audit_reader_required
def audit_csv():
    flt = parse_filter(request.args)
    name = f"nhat-ky-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(export_csv(current_user, flt)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
