"""The procedure library for admins: versions, upload, activation, version diff and the in-browser modeler.

Reads go through ``app.admin.procedure_queries`` and every change through ``app.services.procedures``,
the same functions the JSON API uses, so a page and an API call can never disagree. Nothing here knows
a title by name: what a procedure serves is read from its manifest.
"""

import json
import math
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath

from flask import flash, jsonify, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.admin import bp
from app.admin.modeler_vi import MODELER_VI
from app.admin.procedure_queries import ProcedureRow, procedure_library
from app.admin.routes import admin_required
from app.extensions import db
from app.labels import ROLE, STATUS, localized
from app.models import (
    APPLICANT_ROLES,
    FINAL_STATUSES,
    OFFICIAL_ROLES,
    AdminUnit,
    FormDefinition,
    FormVersion,
    ProcedureActivation,
    UnitLevel,
    utcnow,
)
from app.security import policy
from app.services.bounds import search_text
from app.services.errors import NotFound
from app.services.procedures import (
    activate_version,
    compiled_for,
    deploy_procedure,
    get_version,
    package_download,
    package_of,
    province_by_code,
    validate_package,
)
from workflow import (
    PackageLimits,
    Problem,
    ProcedureError,
    ProcedurePackage,
    diff_procedures,
    load_procedure_folder,
    load_procedure_zip,
    package_files,
    package_from_files,
)

TEMPLATES = Path(__file__).parent / "procedure_templates"
LIBRARY_SORTS = ("title", "key", "-deployed")
PROCEDURES_PER_PAGE = 10
VERSIONS_ON_LIBRARY = 5
VERSIONS_PER_PAGE = 20

# SpiffWorkflow spec classes an admin meets in a version diff, in the words of the modeler's palette.
STEP_TYPES = {
    "UserTask": _l("Nhiệm vụ người dùng"),
    "ScriptTask": _l("Nhiệm vụ mã lệnh"),
    "BusinessRuleTask": _l("Nhiệm vụ quy tắc (DMN)"),
    "ServiceTask": _l("Nhiệm vụ dịch vụ"),
    "ExclusiveGateway": _l("Cổng loại trừ"),
    "InclusiveGateway": _l("Cổng bao hàm"),
    "ParallelGateway": _l("Cổng song song"),
    "EventBasedGateway": _l("Cổng theo sự kiện"),
    "StartEvent": _l("Sự kiện bắt đầu"),
    "EndEvent": _l("Sự kiện kết thúc"),
    "BoundaryEvent": _l("Sự kiện biên"),
    "IntermediateCatchEvent": _l("Sự kiện trung gian"),
    "IntermediateThrowEvent": _l("Sự kiện trung gian"),
    "SubWorkflowTask": _l("Quy trình con"),
    "CallActivity": _l("Gọi quy trình khác"),
}
# The applicant itself is a lane level beside the rows of unit_level.
SUBJECT_LEVEL = "subject"


@dataclass
class ListPage:
    """One page of an in-memory list, with what the ``pager`` macro reads from a SQL pagination."""

    items: list
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, rows: list, page: int, per_page: int) -> "ListPage":
        last = max(1, math.ceil(len(rows) / per_page))
        page = min(max(page, 1), last)
        return cls(rows[(page - 1) * per_page : page * per_page], page, per_page, len(rows))

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self):
        """Page numbers around the current one and at both ends; ``None`` marks a gap."""
        shown = {1, self.pages, *range(self.page - 2, self.page + 3)}
        previous = 0
        for number in sorted(n for n in shown if 1 <= n <= self.pages):
            if number > previous + 1:
                yield None
            yield number
            previous = number


def _province_names(rows: list[ProcedureRow]) -> dict[str, str]:
    codes = {code for row in rows for v in row.versions for code in v.active_in if code}
    if not codes:
        return {}
    return dict(
        db.session.execute(select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(codes))).all()
    )


def _previous_versions(rows: list[ProcedureRow]) -> dict[tuple[str, int], int]:
    """(key, version) → the version before it, which "compare" diffs against."""
    return {
        (row.key, later.version): earlier.version
        for row in rows
        for earlier, later in zip(row.versions, row.versions[1:], strict=False)
    }


def _provinces() -> list[AdminUnit]:
    return db.session.scalars(
        select(AdminUnit).where(AdminUnit.parent_id.is_(None)).order_by(AdminUnit.name)
    ).all()


def _sorted_library(rows: list[ProcedureRow], sort: str) -> list[ProcedureRow]:
    if sort == "key":
        return sorted(rows, key=lambda r: r.key)
    if sort == "-deployed":
        return sorted(rows, key=lambda r: r.versions[-1].deployed_at, reverse=True)
    return sorted(rows, key=lambda r: localized(r.title).casefold())


def _library_page(problems: list[Problem] | None = None, status: int = 200):
    args = request.args
    rows = procedure_library()
    needle = search_text(args).casefold()
    if needle:
        rows = [
            r
            for r in rows
            if needle in r.key
            or needle in localized(r.title).casefold()
            or needle in localized(r.serves["label"]).casefold()
        ]
    sort = args.get("sort") if args.get("sort") in LIBRARY_SORTS else "title"
    page = ListPage.of(_sorted_library(rows, sort), args.get("page", 1, type=int), PROCEDURES_PER_PAGE)
    return render_template(
        "admin/procedures/library.html",
        page=page,
        sort=sort,
        shown_versions=VERSIONS_ON_LIBRARY,
        provinces=_provinces(),
        province_names=_province_names(page.items),
        previous=_previous_versions(page.items),
        problems=problems or [],
    ), status


@bp.route("/procedures")
@admin_required
def procedures():
    return _library_page()


@bp.route("/procedures/<key>")
@admin_required
def procedure_versions(key: str):
    rows = procedure_library(key)
    if not rows:
        raise NotFound(_("Không tìm thấy quy trình."))
    versions = list(reversed(rows[0].versions))
    page = ListPage.of(versions, request.args.get("page", 1, type=int), VERSIONS_PER_PAGE)
    return render_template(
        "admin/procedures/versions.html",
        procedure=rows[0],
        page=page,
        provinces=_provinces(),
        province_names=_province_names(rows),
        previous=_previous_versions(rows),
    )


@bp.route("/procedures/upload", methods=["POST"])
@admin_required
def procedure_upload():
    upload = request.files.get("package")
    if upload is None or not upload.filename:
        return _library_page([Problem(_("Chọn tệp .zip của gói quy trình để tải lên."))], 422)
    try:
        definition, created = deploy_procedure(
            load_procedure_zip(upload.read()), actor=current_user, now=utcnow()
        )
    except ProcedureError as exc:
        db.session.rollback()
        return _library_page(exc.problems, 422)
    _flash_deployed(definition, created)
    return redirect(url_for("admin.procedures"))


def _flash_deployed(definition, created: bool) -> None:
    if created:
        flash(
            _(
                "Đã triển khai %(title)s, phiên bản %(v)s.",
                title=localized(definition.manifest["title"]),
                v=definition.version,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Gói này giống hệt phiên bản %(v)s đã có của %(title)s; không tạo phiên bản mới.",
                v=definition.version,
                title=localized(definition.manifest["title"]),
            ),
            "info",
        )


@bp.route("/procedures/<key>/versions/<int:version>/package")
@admin_required
def procedure_package(key: str, version: int):
    data, name = package_download(get_version(key, version))
    return send_file(BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)


def _scope_description(province: AdminUnit | None) -> str:
    return province.name if province else _("mọi tỉnh/thành chưa có phiên bản riêng")


@bp.route("/procedures/<key>/versions/<int:version>/activate", methods=["GET", "POST"])
@admin_required
def procedure_activate(key: str, version: int):
    """Activation changes what every new dossier of the title in that scope runs, so the page asks first:
    a GET (or a POST without ``confirm``) shows what is active now and what changes."""
    definition = get_version(key, version)
    code = (request.values.get("province") or "").strip() or None
    province = province_by_code(code)
    if request.method == "POST" and request.form.get("confirm") == "yes":
        activate_version(definition, code, actor=current_user, now=utcnow())
        flash(
            _(
                "Đã áp dụng %(title)s phiên bản %(v)s cho %(scope)s. Hồ sơ mới dùng phiên bản này; "
                "hồ sơ đang xử lý giữ phiên bản cũ.",
                title=localized(definition.manifest["title"]),
                v=definition.version,
                scope=_scope_description(province),
            ),
            "success",
        )
        return redirect(url_for("admin.procedures"))
    current = db.session.scalar(
        select(ProcedureActivation).where(
            ProcedureActivation.title == definition.title_key,
            ProcedureActivation.scope == ProcedureActivation.scope_of(province.id if province else None),
        )
    )
    fallback = None
    if province is not None and current is None:
        fallback = db.session.scalar(
            select(ProcedureActivation).where(
                ProcedureActivation.title == definition.title_key,
                ProcedureActivation.scope == ProcedureActivation.scope_of(None),
            )
        )
    overridden = []
    if province is None:
        overridden = db.session.scalars(
            select(AdminUnit)
            .join(ProcedureActivation, ProcedureActivation.province_id == AdminUnit.id)
            .where(ProcedureActivation.title == definition.title_key)
            .order_by(AdminUnit.name)
        ).all()
    return render_template(
        "admin/procedures/activate.html",
        definition=definition,
        province=province,
        scope=_scope_description(province),
        current=current,
        fallback=fallback,
        overridden=overridden,
    )


def _step_type(name: str) -> str:
    return str(STEP_TYPES.get(name, name))


def _changed_files(old: ProcedurePackage, new: ProcedurePackage) -> dict[str, list[str]]:
    before, after = package_files(old), package_files(new)
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        # The manifest is compared as data: the same content written differently is no change.
        "changed": sorted(
            name
            for name in set(before) & set(after)
            if (old.manifest != new.manifest if name == "procedure.json" else before[name] != after[name])
        ),
    }


@bp.route("/procedures/<key>/diff")
@admin_required
def procedure_diff(key: str):
    rows = procedure_library(key)
    if not rows:
        raise NotFound(_("Không tìm thấy quy trình."))
    numbers = [v.version for v in rows[0].versions]
    if len(numbers) < 2:
        flash(_("Quy trình này mới có một phiên bản; chưa có gì để so sánh."), "info")
        return redirect(url_for("admin.procedure_versions", key=key))
    new_number = request.args.get("to", type=int)
    new_number = new_number if new_number in numbers else numbers[-1]
    old_number = request.args.get("from", type=int)
    if old_number not in numbers or old_number == new_number:
        earlier = [n for n in numbers if n < new_number]
        old_number = earlier[-1] if earlier else numbers[-1]
    old, new = get_version(key, old_number), get_version(key, new_number)
    diff = diff_procedures(compiled_for(old), compiled_for(new))
    return render_template(
        "admin/procedures/diff.html",
        procedure=rows[0],
        numbers=numbers,
        old=old,
        new=new,
        diff=diff,
        files=_changed_files(package_of(old), package_of(new)),
        step_type=_step_type,
    )


# ------------------------------------------------------------------------------------------ modeler


def _package_json(package: ProcedurePackage) -> dict:
    return {
        "manifest": package.manifest,
        "bpmn": {name: content.decode("utf-8") for name, content in package.bpmn.items()},
        "dmn": {name: content.decode("utf-8") for name, content in package.dmn.items()},
        "forms": {key: content.decode("utf-8") for key, content in package.forms.items()},
    }


def _modeler_messages() -> dict[str, str]:
    """Sentences the modeler's script shows, in the reader's language (the script holds no text)."""
    return {
        "checking": _("Đang kiểm tra…"),
        "deploying": _("Đang triển khai…"),
        "no_problems": _("Không có lỗi. Có thể triển khai."),
        "problems": _("Có %(n)s lỗi cần sửa trước khi triển khai."),
        "deployed": _("Đã triển khai phiên bản %(v)s."),
        "identical": _("Phiên bản %(v)s đã có đúng nội dung này; không tạo phiên bản mới."),
        "open_library": _("Xem trong thư viện quy trình"),
        "request_failed": _("Không gửi được yêu cầu. Vui lòng thử lại."),
        "import_failed": _("Không mở được tệp %(file)s: %(error)s"),
        "defaults_invalid": _("Giá trị mặc định phải là một đối tượng JSON."),
        "none": _("— Chưa chọn —"),
        "no_outcome": _("— Không gán kết quả —"),
        "form_data": _("Dùng các trường khai báo trong bảng thuộc tính (camunda:formData, %(n)s trường)"),
        "used_by": _("Dùng cho: %(tasks)s"),
        "unused": _("Chưa nhiệm vụ nào dùng"),
        "remove": _("Bỏ khỏi gói"),
        "fields": _("%(n)s trường"),
        "form_invalid": _("Tệp %(file)s không phải biểu mẫu JSON hợp lệ."),
        "file_name_invalid": _("Tên tệp chỉ gồm chữ thường không dấu, số và dấu gạch dưới, ví dụ xep_loai."),
        "file_exists": _("Gói đã có tệp %(file)s."),
        "leave": _("Có thay đổi chưa triển khai. Rời trang?"),
        "whole_package": _("Cả gói"),
        "line": _("dòng %(n)s"),
        "no_lanes": _("Sơ đồ chưa có lane nào. Hãy thêm pool và lane rồi gán vai trò cho từng lane."),
        "no_user_tasks": _("Sơ đồ chưa có nhiệm vụ người dùng."),
        "no_end_events": _("Sơ đồ chưa có sự kiện kết thúc."),
        "not_in_lane": _("không nằm trong lane nào"),
        "self_scores": _("Điểm tự chấm"),
        "official_scores": _("Điểm thẩm định"),
        "role": _("Vai trò"),
        "level": _("Cấp"),
        "form": _("Biểu mẫu"),
        "label_vi": _("Tên hiển thị (tiếng Việt)"),
        "label_en": _("Tên hiển thị (tiếng Anh)"),
        "scores": _("Điểm của bước"),
        "no_scores": _("Không chấm điểm"),
        "outcome": _("Kết quả hồ sơ"),
        "lane": _("Lane"),
        "form_added": _("Đã thêm biểu mẫu %(key)s vào gói."),
        "form_replaced": _("Đã thay biểu mẫu %(key)s trong gói."),
        "package_forms": _("Biểu mẫu trong gói"),
        "library_forms": _("Biểu mẫu đã xuất bản"),
        "library_option": _("%(key)s – phiên bản %(v)s – %(title)s"),
        "library_copied": _("Đã chép biểu mẫu %(key)s, phiên bản %(v)s, từ thư viện vào gói."),
        "library_same": _("Giống phiên bản %(v)s trong thư viện biểu mẫu"),
    }


def _library_forms() -> list[dict]:
    """Every published version of the form library, newest first per form: a user task can use one,
    copied into the package, and deploying then pins exactly that version (``library_version``)."""
    rows = db.session.execute(
        select(FormDefinition.key, FormVersion.version, FormVersion.definition)
        .join(FormVersion, FormVersion.form_definition_id == FormDefinition.id)
        .where(FormDefinition.key.not_like("%.%"))
        .order_by(FormDefinition.key, FormVersion.version.desc())
    ).all()
    return [
        {
            "key": key,
            "version": version,
            "title": localized(definition.get("title")) or key,
            "definition": definition,
        }
        for key, version, definition in rows
    ]


def _modeler_page(package: ProcedurePackage, source=None):
    levels = [{"value": SUBJECT_LEVEL, "label": _("Chính người nộp hồ sơ (subject)")}]
    levels += [
        {"value": level.code, "label": level.name_en if str(get_locale()) == "en" else level.name_vi}
        for level in db.session.scalars(select(UnitLevel).order_by(UnitLevel.rank))
    ]
    data = {
        "package": _package_json(package),
        # Lanes are worked by applicants and officials; admins and inspectors take no task.
        "roles": [
            {"value": role, "label": str(ROLE.get(role, role))}
            for role in (*APPLICANT_ROLES, *OFFICIAL_ROLES)
        ],
        "levels": levels,
        "statuses": [
            {"value": status, "label": str(STATUS.get(status, status))} for status in FINAL_STATUSES
        ],
        "library_forms": _library_forms(),
        "blank_dmn": (TEMPLATES / "decision.dmn").read_text(encoding="utf-8"),
        "urls": {
            "validate": url_for("admin.procedure_modeler_validate"),
            "deploy": url_for("admin.procedure_modeler_deploy"),
        },
        "messages": _modeler_messages(),
        # The modelers speak English; in Vietnamese their words go through their translate service.
        "modeler_words": MODELER_VI if str(get_locale()) == "vi" else {},
        "csrf": generate_csrf(),
    }
    response = make_response(
        render_template("admin/procedures/modeler.html", data=data, package=package, source=source)
    )
    # The BPMN and DMN modelers write style attributes into the HTML they build (panel heights, the
    # DMN logo's position, icons) and load their icon fonts from data: URLs in their style sheets;
    # scripts stay as strict as on every page (app/security.py).
    response.headers["Content-Security-Policy"] = policy(
        style_src="'self' 'unsafe-inline'", font_src="'self' data:"
    )
    return response


@bp.route("/procedures/new")
@admin_required
def procedure_new():
    return _modeler_page(load_procedure_folder(TEMPLATES / "new"))


@bp.route("/procedures/<key>/versions/<int:version>/edit")
@admin_required
def procedure_edit(key: str, version: int):
    definition = get_version(key, version)
    return _modeler_page(package_of(definition), source=definition)


def _plain_name(name) -> bool:
    return (
        isinstance(name, str) and bool(name) and PurePosixPath(name).name == name and not name.startswith(".")
    )


def _text_files(value, kind: str, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.append(Problem(_("'%(kind)s' phải là đối tượng tên tệp → nội dung.", kind=kind)))
        return {}
    for name in value:
        if not _plain_name(name):
            problems.append(Problem(_("Tên tệp không hợp lệ: %(name)s", name=name)))
    return value


def _payload_package(body) -> ProcedurePackage:
    """The package the modeler sends as JSON, checked against the same caps as an uploaded zip."""
    if not isinstance(body, dict) or not isinstance(body.get("manifest"), dict):
        raise ProcedureError(
            Problem(_("Yêu cầu phải có 'manifest' là một đối tượng JSON."), file="procedure.json")
        )
    problems: list[Problem] = []
    bpmn = _text_files(body.get("bpmn", {}), "bpmn", problems)
    dmn = _text_files(body.get("dmn", {}), "dmn", problems)
    forms = _text_files(body.get("forms", {}), "forms", problems)
    if problems:
        raise ProcedureError(problems)
    files = {"procedure.json": json.dumps(body["manifest"], ensure_ascii=False, indent=2).encode()}
    files.update({name: text.encode() for name, text in (bpmn | dmn).items()})
    files.update({f"forms/{key}.json": text.encode() for key, text in forms.items()})
    limits = PackageLimits()
    problems = [
        Problem(
            _(
                "Tệp quá lớn (%(size)s byte, tối đa %(max)s byte).",
                size=len(content),
                max=limits.max_file_bytes,
            ),
            file=name,
        )
        for name, content in files.items()
        if len(content) > limits.max_file_bytes
    ]
    if sum(len(content) for content in files.values()) > limits.max_total_bytes:
        problems.append(Problem(_("Tổng dung lượng gói vượt %(max)s byte.", max=limits.max_total_bytes)))
    if len(files) > limits.max_members:
        problems.append(Problem(_("Gói có %(n)s tệp, tối đa %(max)s.", n=len(files), max=limits.max_members)))
    if problems:
        raise ProcedureError(problems)
    return package_from_files(files)


def _problems_json(problems: list[Problem]) -> list[dict]:
    return [problem.as_dict() for problem in problems]


@bp.route("/procedures/modeler/validate", methods=["POST"])
@admin_required
def procedure_modeler_validate():
    try:
        problems = validate_package(_payload_package(request.get_json(silent=True)))
    except ProcedureError as exc:
        problems = exc.problems
    return jsonify(problems=_problems_json(problems))


@bp.route("/procedures/modeler/deploy", methods=["POST"])
@admin_required
def procedure_modeler_deploy():
    try:
        definition, created = deploy_procedure(
            _payload_package(request.get_json(silent=True)), actor=current_user, now=utcnow()
        )
    except ProcedureError as exc:
        db.session.rollback()
        return jsonify(problems=_problems_json(exc.problems)), 422
    return jsonify(
        key=definition.key,
        version=definition.version,
        sha256=definition.sha256,
        created=created,
        library_url=url_for("admin.procedures", q=definition.key),
    ), (201 if created else 200)
