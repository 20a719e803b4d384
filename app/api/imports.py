"""Registry imports over the API: upload a file (202, the import runs in the background), follow it; and
the registry export in the same layout."""

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.params import choice_arg
from app.api.routes import token_required
from app.models import utcnow
from app.registry import queries
from app.reports.routes import XLSX, send_file_bytes
from app.services import imports
from app.services.errors import InvalidInput
from app.services.registry_layouts import KINDS

CSV = "text/csv; charset=utf-8"


@bp.route("/imports", methods=["POST"])
@token_required
def import_create():
    user = g.api_user
    if not imports.may_import(user):
        raise imports.NotAllowed(imports.refused_message())
    upload = request.files.get("file")
    kind = request.form.get("kind", "")
    errors = {}
    if kind not in KINDS:
        errors["kind"] = [_("Loại dữ liệu phải là một trong: %(values)s.", values=", ".join(KINDS))]
    if upload is None or not upload.filename:
        errors["file"] = [_("Vui lòng chọn tệp XLSX hoặc CSV.")]
    if errors:
        raise InvalidInput(errors, _("Dữ liệu không hợp lệ."))
    record = imports.start_import(user, kind, upload.filename, upload.read(), now=utcnow())
    return jsonify(id=record.id), 202


@bp.route("/imports/<int:import_id>")
@token_required
def import_detail(import_id: int):
    return jsonify(imports.import_json(imports.get_import(import_id, g.api_user)))


@bp.route("/registry/export")
@token_required
def registry_export():
    user = g.api_user
    if not queries.may_read_registry(user):
        raise imports.NotAllowed(_("Chỉ cán bộ và quản trị hệ thống được xem sổ đối tượng."))
    errors: dict = {}
    kind = choice_arg("kind", KINDS, errors) or "households"
    fmt = choice_arg("format", queries.EXPORT_FORMATS, errors) or "xlsx"
    if errors:
        raise InvalidInput(errors, _("Tham số chưa hợp lệ."))
    return send_file_bytes(
        queries.export_file(user, kind, fmt), XLSX if fmt == "xlsx" else CSV, queries.file_name(kind, fmt)
    )
