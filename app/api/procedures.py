"""The procedure library over the API: list, upload, download, activate, replay, migrate. Admins only."""

from functools import wraps
from io import BytesIO

from flask import g, jsonify, request, send_file
from flask_babel import gettext as _

from app.admin.procedure_queries import procedure_library
from app.api import bp
from app.api.routes import _iso, _json_body, _locale, token_required
from app.labels import localized
from app.models import utcnow
from app.services.dossiers import MAX_YEAR, MIN_YEAR
from app.services.errors import InvalidInput
from app.services.migration import MigrationUnsafe, migrate_batch, migrate_dossier
from app.services.procedures import activate_version, deploy_procedure, get_version, package_download
from app.services.replay import MAX_REPLAY, replay_version
from workflow import Problem, ProcedureError, load_procedure_zip


def admin_api(view):
    """Writing and reading procedures is the admins' business; everyone else is told so (403)."""

    @token_required
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.api_user.is_admin:
            return jsonify(
                error={"status": 403, "message": _("Chỉ quản trị hệ thống được quản lý quy trình.")}
            ), 403
        return view(*args, **kwargs)

    return wrapped


def problems_response(problems: list[Problem]):
    return jsonify(
        errors=[p.as_dict() for p in problems], message=_("Gói quy trình không hợp lệ; chưa có gì được lưu.")
    ), 422


@bp.route("/procedures")
@admin_api
def procedures_list():
    locale = _locale()
    return jsonify(
        items=[
            {
                "key": row.key,
                "title": localized(row.title, locale),
                "serves": {"title": row.serves["title"], "label": localized(row.serves["label"], locale)},
                "versions": [
                    {
                        "version": v.version,
                        "sha256": v.definition.sha256,
                        "deployed_at": _iso(v.deployed_at),
                        "deployed_by": v.deployed_by,
                        "dossiers": v.dossiers,
                        "active_in": v.active_in,
                    }
                    for v in row.versions
                ],
            }
            for row in procedure_library()
        ]
    )


@bp.route("/procedures", methods=["POST"])
@admin_api
def procedures_upload():
    upload = request.files.get("package")
    if upload is None:
        return problems_response([Problem(_("Thiếu tệp gói quy trình (trường 'package', tệp .zip)."))])
    try:
        package = load_procedure_zip(upload.read())
        definition, created = deploy_procedure(package, actor=g.api_user, now=utcnow())
    except ProcedureError as exc:
        return problems_response(exc.problems)
    body = {"key": definition.key, "version": definition.version, "sha256": definition.sha256}
    return jsonify(body), 201 if created else 200


@bp.route("/procedures/<key>/versions/<int:version>/package")
@admin_api
def procedure_package(key: str, version: int):
    data, name = package_download(get_version(key, version))
    return send_file(BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)


@bp.route("/procedures/<key>/versions/<int:version>/activate", methods=["POST"])
@admin_api
def procedure_activate(key: str, version: int):
    body = _json_body()
    province = body.get("province")
    if province is not None and not isinstance(province, str):
        raise InvalidInput({"province": [_("Mã tỉnh/thành phố phải là chuỗi hoặc null.")]})
    definition = get_version(key, version)
    activate_version(definition, province, actor=g.api_user, now=utcnow())
    return jsonify(
        key=definition.key, version=definition.version, title=definition.title_key, province=province
    )


@bp.route("/procedures/<key>/versions/<int:version>/replay", methods=["POST"])
@admin_api
def procedure_replay(key: str, version: int):
    body = _json_body()
    year, limit = body.get("year"), body.get("limit")
    errors = {}
    if not _is_int(year) or not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = [_("Năm đánh giá phải từ %(a)s đến %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]
    if limit is not None and (not _is_int(limit) or not 1 <= limit <= MAX_REPLAY):
        errors["limit"] = [_("Số hồ sơ chạy thử phải từ 1 đến %(n)s.", n=MAX_REPLAY)]
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ."))
    report = replay_version(get_version(key, version), year=year, limit=limit, now=utcnow())
    return jsonify(report)


@bp.route("/dossiers/<int:dossier_id>/migrate", methods=["POST"])
@admin_api
def dossier_migrate(dossier_id: int):
    body = _json_body()
    to_version, dry_run = body.get("to_version"), body.get("dry_run", True)
    errors = {}
    if not _is_int(to_version) or to_version < 1:
        errors["to_version"] = [_("Vui lòng chọn phiên bản đích (số nguyên dương).")]
    if not isinstance(dry_run, bool):
        errors["dry_run"] = [_("dry_run phải là true hoặc false.")]
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ."))
    try:
        change = migrate_dossier(dossier_id, to_version, dry_run=dry_run, actor=g.api_user, now=utcnow())
    except MigrationUnsafe as exc:
        return jsonify(error={"status": 409, "message": exc.message}, reasons=exc.reasons, plan=exc.plan), 409
    return jsonify(change)


@bp.route("/procedures/<key>/versions/<int:version>/migrate", methods=["POST"])
@admin_api
def procedure_migrate(key: str, version: int):
    """Every running dossier of ``from_version`` to this version: dry run, or all or none."""
    body = _json_body()
    from_version, dry_run = body.get("from_version"), body.get("dry_run", True)
    errors = {}
    if not _is_int(from_version) or from_version < 1:
        errors["from_version"] = [_("Vui lòng chọn phiên bản nguồn (số nguyên dương).")]
    if not isinstance(dry_run, bool):
        errors["dry_run"] = [_("dry_run phải là true hoặc false.")]
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ."))
    try:
        report = migrate_batch(key, from_version, version, dry_run=dry_run, actor=g.api_user, now=utcnow())
    except MigrationUnsafe as exc:
        return jsonify(error={"status": 409, "message": exc.message}, reasons=exc.reasons, plan=exc.plan), 409
    return jsonify(report)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
