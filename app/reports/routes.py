"""Progress report pages: a unit's table with drill-down, its chart and trend, XLSX and PDF exports."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models import AdminUnit
from app.reports import bp, exports
from app.reports.queries import (
    Report,
    breadcrumbs,
    can_read_unit,
    may_read_reports,
    progress,
    report_units,
)
from app.services.dossiers import MAX_YEAR, MIN_YEAR
from app.services.errors import NotFound
from app.titles import title_choices

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def local_today():
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def chosen_report(user, args, *, unit: AdminUnit | None, given: bool) -> tuple[str, int, dict]:
    """The title and year asked for (defaults: the first title, this year), and the titles offered."""
    titles = title_choices()
    title = args.get("title") or next(iter(titles), "")
    if title not in titles:
        raise NotFound(_("Không tìm thấy danh hiệu."))
    year = args.get("year", type=int) or local_today().year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NotFound(_("Năm phải từ %(a)s đến %(b)s.", a=MIN_YEAR, b=MAX_YEAR))
    if given and not can_read_unit(user, unit):
        raise NotFound(_("Không tìm thấy đơn vị."))
    return title, year, titles


def _report() -> tuple[Report, dict]:
    if not may_read_reports(current_user):
        abort(403)
    unit_id = request.args.get("unit", type=int)
    if unit_id is not None:
        unit = db.session.get(AdminUnit, unit_id)
        if unit is None:
            raise NotFound(_("Không tìm thấy đơn vị."))
    else:
        # An official starts at their own unit; an admin at the national view (every province).
        own = report_units(current_user)
        unit = own[0] if own and not current_user.is_admin else None
    title, year, titles = chosen_report(current_user, request.args, unit=unit, given=True)
    return progress(unit, title, year), titles


@bp.route("/reports")
@login_required
def index():
    report, titles = _report()
    return render_template(
        "reports/progress.html",
        report=report,
        titles=titles,
        heading=exports.report_heading(report),
        place=exports.report_place(report),
        crumbs=breadcrumbs(current_user, report.unit),
        own_units=report_units(current_user),
        chart=chart_data(report),
    )


@bp.route("/reports/export.xlsx")
@login_required
def export_xlsx():
    report, _titles = _report()
    return send_file_bytes(exports.xlsx(report, today=local_today()), XLSX, exports.file_name(report, "xlsx"))


@bp.route("/reports/export.pdf")
@login_required
def export_pdf():
    report, _titles = _report()
    return send_file_bytes(
        exports.pdf(report, today=local_today()), "application/pdf", exports.file_name(report, "pdf")
    )


def send_file_bytes(data: bytes, mimetype: str, name: str):
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def chart_data(report: Report) -> dict:
    """What the charts draw (read by static/js/report_chart.js from a JSON block: no inline script)."""
    return {
        "labels": [row.unit_name for row in report.rows],
        "rate_base": [_round(row.rate_base) for row in report.rows],
        "rate_registered": [_round(row.rate_registered) for row in report.rows],
        "target": [row.target.rate if row.target else None for row in report.rows],
        "trend": {
            "labels": [str(point["year"]) for point in report.trend],
            "rate_base": [_round(point["rate_base"]) for point in report.trend],
            "rate_registered": [_round(point["rate_registered"]) for point in report.trend],
            "target": [point["target"] for point in report.trend],
        },
        "words": {
            "rate_base": _("Tỷ lệ so với tổng số (%)"),
            "rate_registered": _("Tỷ lệ so với đăng ký (%)"),
            "target": _("Chỉ tiêu (%)"),
        },
    }
