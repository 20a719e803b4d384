"""Registry pages: the subjects of the user's units (filter, sort, page), import from a file with a progress
bar and the per-row report, export in the same layout, and a template file per kind.

Thin routes: app/services/imports.py checks and writes; app/registry/queries.py reads.
"""

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import SUBJECT_KINDS, RegistryImport, utcnow
from app.registry import bp
from app.registry.queries import (
    EXPORT_FORMATS,
    PAGE_SIZES,
    SORTS,
    RegistryFilter,
    export_file,
    file_name,
    may_read_registry,
    subjects_page,
    template_file,
)
from app.reports.routes import XLSX, send_file_bytes
from app.services import imports
from app.services.errors import InvalidInput
from app.services.registry_layouts import KINDS, LAYOUTS

CSV = "text/csv; charset=utf-8"
RECENT_IMPORTS = 10


def _reader():
    if not may_read_registry(current_user):
        abort(403)


def kind_labels() -> dict[str, str]:
    return {
        "household": _("Hộ gia đình"),
        "citizen": _("Công dân"),
        "clan": _("Dòng họ"),
        "village": _("Thôn, tổ dân phố"),
        "commune": _("Xã, phường"),
        "organisation": _("Cơ quan, đơn vị"),
    }


def file_kind_labels() -> dict[str, str]:
    return {
        "households": _("Hộ gia đình và thành viên"),
        "clans": _("Dòng họ và hộ thành viên"),
        "organisations": _("Cơ quan, đơn vị và cán bộ, nhân viên"),
    }


def status_labels() -> dict[str, str]:
    return {
        "queued": _("Đang chờ"),
        "validating": _("Đang kiểm tra từng dòng"),
        "writing": _("Đang ghi vào sổ"),
        "done": _("Đã nhập xong"),
        "rejected": _("Không nhập: tệp có dòng lỗi"),
        "failed": _("Lỗi khi nhập: không dòng nào được ghi"),
    }


@bp.app_template_global()
def reads_registry() -> bool:
    return current_user.is_authenticated and may_read_registry(current_user)


@bp.route("/")
@login_required
def index():
    _reader()
    chosen = RegistryFilter.from_args(request.args)
    return render_template(
        "registry/index.html",
        page=subjects_page(current_user, chosen),
        chosen=chosen,
        kinds=kind_labels(),
        sorts=SORTS,
        page_sizes=PAGE_SIZES,
        file_kinds=file_kind_labels(),
        may_import=imports.may_import(current_user),
        subject_kinds=SUBJECT_KINDS,
    )


def _upload_page(errors: dict | None = None, kind: str = "households", status: int = 200):
    recent = db.session.scalars(
        select(RegistryImport)
        .where(RegistryImport.created_by_id == current_user.id)
        .order_by(RegistryImport.id.desc())
        .limit(RECENT_IMPORTS)
    ).all()
    return render_template(
        "registry/upload.html",
        errors=errors or {},
        kind=kind,
        file_kinds=file_kind_labels(),
        layouts=LAYOUTS,
        recent=recent,
        statuses=status_labels(),
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    ), status


@bp.route("/import", methods=["GET", "POST"])
@login_required
def upload():
    if not imports.may_import(current_user):
        abort(403)
    if request.method == "GET":
        return _upload_page(
            kind=request.args.get("kind") if request.args.get("kind") in KINDS else "households"
        )
    kind = request.form.get("kind", "")
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        return _upload_page({"file": [_("Vui lòng chọn tệp XLSX hoặc CSV.")]}, kind, 422)
    try:
        record = imports.start_import(
            current_user, kind, upload_file.filename, upload_file.read(), now=utcnow()
        )
    except InvalidInput as exc:
        return _upload_page(exc.errors, kind, 422)
    return redirect(url_for("registry.import_page", import_id=record.id))


@bp.route("/imports/<int:import_id>")
@login_required
def import_page(import_id: int):
    record = imports.get_import(import_id, current_user)
    return render_template(
        "registry/import.html",
        record=record,
        state=imports.import_json(record),
        statuses=status_labels(),
        file_kinds=file_kind_labels(),
    )


@bp.route("/imports/<int:import_id>/progress")
@login_required
def import_progress(import_id: int):
    """What the import page's script polls (same shape as GET /api/v1/imports/{id})."""
    return jsonify(imports.import_json(imports.get_import(import_id, current_user)))


@bp.route("/export")
@login_required
def export():
    _reader()
    kind = request.args.get("kind", "households")
    fmt = request.args.get("format", "xlsx")
    if kind not in KINDS or fmt not in EXPORT_FORMATS:
        abort(404)
    return send_file_bytes(
        export_file(current_user, kind, fmt), XLSX if fmt == "xlsx" else CSV, file_name(kind, fmt)
    )


@bp.route("/template/<kind>.<fmt>")
@login_required
def template(kind: str, fmt: str):
    if kind not in KINDS or fmt not in EXPORT_FORMATS:
        abort(404)
    return send_file_bytes(
        template_file(kind, fmt), XLSX if fmt == "xlsx" else CSV, file_name(kind, fmt, prefix="mau-nhap")
    )
