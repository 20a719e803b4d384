"""Progress reports over the API: the same rows as /reports, as JSON or as the XLSX file."""

from flask import g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import bp
from app.api.params import choice_arg, int_arg
from app.api.routes import token_required
from app.extensions import db
from app.models import AdminUnit
from app.reports import exports
from app.reports.queries import Row, can_read_unit, may_read_reports, progress, report_units
from app.reports.routes import XLSX, local_today, send_file_bytes
from app.services.dossiers import MAX_YEAR, MIN_YEAR
from app.services.errors import InvalidInput, NotFound
from app.titles import title_choices

FORMATS = ("json", "xlsx")


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def row_json(row: Row) -> dict:
    return {
        "unit_code": row.unit_code,
        "unit_name": row.unit_name,
        "base": row.base,
        "registered": row.registered,
        "recognized": row.recognized,
        "rate_registered": _rate(row.rate_registered),
        "rate_base": _rate(row.rate_base),
        "target": row.target.rate if row.target else None,
        "target_year": row.target.year if row.target else None,
        "target_source": row.target.source if row.target else None,
        "target_scope": row.target.where if row.target else None,
        "gap": _rate(row.gap),
    }


@bp.route("/reports/progress")
@token_required
def report_progress():
    user = g.api_user
    if not may_read_reports(user):
        return jsonify(
            error={"status": 403, "message": _("Chỉ cán bộ và quản trị hệ thống được xem báo cáo.")}
        ), 403
    errors: dict = {}
    titles = title_choices()
    title = choice_arg("title", tuple(titles), errors) or next(iter(titles), "")
    year = int_arg("year", local_today().year, MIN_YEAR, MAX_YEAR, errors)
    fmt = choice_arg("format", FORMATS, errors) or "json"
    code = (request.args.get("unit") or "").strip()
    if errors:
        raise InvalidInput(errors, _("Tham số chưa hợp lệ."))
    if code:
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == code[:64]))
        if unit is None or not can_read_unit(user, unit):
            raise NotFound(_("Không tìm thấy đơn vị."))
    else:
        own = report_units(user)
        unit = own[0] if own and not user.is_admin else None
    report = progress(unit, title, year, trend=fmt == "json")
    if fmt == "xlsx":
        return send_file_bytes(
            exports.xlsx(report, today=local_today()), XLSX, exports.file_name(report, "xlsx")
        )
    return jsonify(
        unit={"code": unit.code, "name": unit.name, "level": unit.level_code} if unit is not None else None,
        title=report.title,
        year=report.year,
        rows=[row_json(row) for row in report.rows],
        total=row_json(report.total),
        trend=[
            {key: (_rate(value) if key.startswith("rate") else value) for key, value in point.items()}
            for point in report.trend
        ],
    )
