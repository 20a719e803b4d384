"""The form library for admins: versions, drafts, import and export, and the builder with its preview.

Every change goes through ``app.services.forms``, the functions the JSON API uses, so the pages and
the API cannot disagree. The builder is one page whose script edits the draft as JSON; the server
keeps the last word: it saves the draft, says by path what publishing would refuse, and renders the
preview with the same macros (app/templates/forms/fields.html) a household sees on its task page.
"""

import copy
import json
from functools import partial
from io import BytesIO

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2.utils import htmlsafe_json_dumps

from app.admin import bp
from app.admin.routes import admin_required
from app.extensions import db
from app.labels import localized
from app.models import utcnow
from app.services import forms as library
from app.services.bounds import search_text
from app.services.errors import Conflict, NotFound
from forms import (
    FIELD_TYPES,
    FormDefinitionError,
    MultiDict,
    definition_schema,
    load_form_definition,
    score_submission,
    validate_submission,
)

# What the admin sees for each type in the builder's "add" menu; a type without an entry shows its name.
TYPE_LABELS = {
    "text": _l("Văn bản một dòng"),
    "textarea": _l("Văn bản nhiều dòng"),
    "integer": _l("Số nguyên"),
    "decimal": _l("Số thập phân"),
    "date": _l("Ngày"),
    "choice": _l("Chọn một"),
    "multichoice": _l("Chọn nhiều"),
    "yesno": _l("Có / Không"),
    "file": _l("Minh chứng (tệp)"),
    "score": _l("Điểm (chấm theo tiêu chí)"),
    "heading": _l("Tiêu đề mục"),
    "computed": _l("Giá trị tính sẵn"),
    "derived": _l("Chỉ số hệ thống tự tính (từ kết quả công nhận)"),
    "group": _l("Nhóm lặp lại (nhiều dòng)"),
    "note": _l("Ghi chú"),
}
# An import is one definition: a few hundred fields at most. Anything larger is not a form.
MAX_IMPORT_BYTES = 1_000_000


def _locale() -> str:
    return str(get_locale() or "vi")


def _matches(row: library.FormRow, needle: str) -> bool:
    return needle in row.form.key or needle in localized(row.title).casefold()


def _library_page(problems: list[dict] | None = None, status: int = 200):
    rows = library.form_library()
    needle = search_text(request.args).casefold()
    if needle:
        rows = [row for row in rows if _matches(row, needle)]
    return render_template("admin/forms/library.html", rows=rows, problems=problems or []), status


@bp.route("/forms")
@admin_required
def forms_library():
    return _library_page()


def _source_definition(source: str) -> dict:
    """``"key:version"`` from the library's "start from" list: that version's definition, a copy."""
    key, _sep, number = source.partition(":")
    if not number.isdigit():
        raise NotFound(_("Không tìm thấy phiên bản biểu mẫu."))
    return copy.deepcopy(library.get_version(key, int(number)).definition)


@bp.route("/forms/new", methods=["POST"])
@admin_required
def form_create():
    key = request.form.get("key", "").strip()
    title = {"vi": request.form.get("title_vi", "").strip(), "en": request.form.get("title_en", "").strip()}
    title = {lang: text for lang, text in title.items() if text}
    source = request.form.get("source", "")
    raw = _source_definition(source) if source else {"fields": []}
    raw["key"] = key
    if title:
        raw["title"] = title
    return _create(raw)


def _create(raw):
    try:
        form = library.create_form(raw, actor=current_user, now=utcnow())
    except library.DefinitionInvalid as exc:
        db.session.rollback()
        return _library_page(exc.problems, 422)
    except Conflict as exc:
        db.session.rollback()
        return _library_page([{"path": "key", "message": exc.message}], 409)
    flash(_("Đã tạo biểu mẫu %(key)s (bản nháp).", key=form.key), "success")
    return redirect(url_for("admin.form_edit", key=form.key))


@bp.route("/forms/import", methods=["POST"])
@admin_required
def form_import():
    """A definition from a JSON file: a new form, or the new draft of the form with its key."""
    upload = request.files.get("definition")
    if upload is None or not upload.filename:
        return _library_page([{"path": "", "message": _("Chọn tệp .json của biểu mẫu để nhập.")}], 422)
    content = upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        message = _("Tệp quá lớn (tối đa %(n)s byte).", n=MAX_IMPORT_BYTES)
        return _library_page([{"path": "", "message": message}], 422)
    try:
        raw = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        message = _("Tệp %(file)s không phải JSON hợp lệ: %(error)s", file=upload.filename, error=exc)
        return _library_page([{"path": "", "message": message}], 422)
    key = raw.get("key") if isinstance(raw, dict) else None
    if not isinstance(key, str):
        return _create(raw)
    try:
        library.save_draft(key, raw, actor=current_user, now=utcnow())
    except NotFound:
        return _create(raw)
    except library.DefinitionInvalid as exc:
        db.session.rollback()
        return _library_page(exc.problems, 422)
    flash(_("Đã nhập tệp làm bản nháp mới của biểu mẫu %(key)s.", key=key), "success")
    return redirect(url_for("admin.form_edit", key=key))


def _download(definition: dict, name: str):
    body = json.dumps(definition, ensure_ascii=False, indent=2).encode("utf-8")
    return send_file(BytesIO(body), mimetype="application/json", as_attachment=True, download_name=name)


@bp.route("/forms/<key>/versions/<int:version>.json")
@admin_required
def form_export_version(key: str, version: int):
    return _download(library.get_version(key, version).definition, f"{key}-v{version}.json")


@bp.route("/forms/<key>/draft.json")
@admin_required
def form_export_draft(key: str):
    return _download(library.get_draft(key).draft, f"{key}-draft.json")


def _form_row(key: str) -> library.FormRow:
    for row in library.form_library():
        if row.form.key == key:
            return row
    raise NotFound(_("Không tìm thấy biểu mẫu."))


def _type_choices() -> list[dict[str, str]]:
    return [{"value": name, "label": str(TYPE_LABELS.get(name, name))} for name in FIELD_TYPES]


def _builder_messages() -> dict[str, str]:
    """Sentences the builder's script shows, in the reader's language (the script holds no text)."""
    return {
        "label_vi": _("Tiếng Việt"),
        "label_en": _("Tiếng Anh"),
        "edit": _("Sửa"),
        "close": _("Thu gọn"),
        "up": _("Lên"),
        "down": _("Xuống"),
        "drag": _("Kéo để đổi thứ tự"),
        "duplicate": _("Nhân bản"),
        "remove": _("Xóa"),
        "confirm_remove": _("Xóa trường %(name)s khỏi bản nháp?"),
        "no_fields": _("Biểu mẫu chưa có trường nào. Hãy thêm trường hoặc tiêu đề mục."),
        "add_choice": _("Thêm lựa chọn"),
        "choice_value": _("Giá trị"),
        "add_criterion": _("Thêm tiêu chí"),
        "no_criterion": _("— Chọn tiêu chí —"),
        "no_criteria": _("Chưa có tiêu chí. Trường điểm phải thuộc một tiêu chí."),
        "items_sum": _("Các mục cộng lại %(sum)s/%(max)s điểm"),
        "items_match": _("khớp"),
        "items_differ": _("chưa khớp"),
        "criteria_total": _("Tổng điểm tối đa các tiêu chí: %(total)s"),
        "pass_above_total": _("Điểm đạt (%(pass)s) lớn hơn tổng điểm tối đa (%(total)s)."),
        "condition_always": _("— Không có điều kiện —"),
        "condition_in": _("có một trong các giá trị"),
        "no_conditional": _("Chưa có trường chọn một, chọn nhiều hoặc có/không để làm điều kiện."),
        "condition_advanced": _("Điều kiện nâng cao (giữ nguyên): %(json)s"),
        "condition_clear": _("Bỏ điều kiện"),
        "yes": _("Có"),
        "no": _("Không"),
        "json_invalid": _("Không phải JSON hợp lệ."),
        "list_hint": _("Nhiều giá trị cách nhau bằng dấu phẩy."),
        "saving": _("Đang lưu…"),
        "saved": _("Đã lưu bản nháp lúc %(at)s."),
        "saved_problems": _("Đã lưu bản nháp. Còn %(n)s lỗi phải sửa trước khi xuất bản."),
        "not_saved": _("Chưa lưu được: có %(n)s lỗi. Những gì đã nhập vẫn còn trên trang."),
        "publishing": _("Đang xuất bản…"),
        "published": _("Đã xuất bản phiên bản %(v)s."),
        "identical": _("Bản nháp giống hệt phiên bản %(v)s; không tạo phiên bản mới."),
        "confirm_publish": _(
            "Xuất bản bản nháp thành phiên bản mới? Phiên bản đã xuất bản không sửa được nữa; "
            "quy trình chỉ dùng phiên bản này khi một phiên bản quy trình mới chọn nó."
        ),
        "confirm_discard": _("Bỏ bản nháp? Mọi thay đổi chưa xuất bản sẽ mất."),
        "request_failed": _("Không gửi được yêu cầu. Vui lòng thử lại."),
        "unsaved": _("Có thay đổi chưa lưu"),
        "leave": _("Có thay đổi chưa lưu. Rời trang?"),
        "whole_form": _("Cả biểu mẫu"),
        "library": _("Thư viện biểu mẫu"),
    }


def _property_labels() -> dict[str, str]:
    """Captions of the definition keys the builder draws inputs for; a key without one shows itself."""
    return {
        "key": _("Mã"),
        "title": _("Tên biểu mẫu"),
        "description": _("Mô tả"),
        "legal_basis": _("Căn cứ pháp lý"),
        "name": _("Tên trường (mã)"),
        "label": _("Nhãn"),
        "help": _("Hướng dẫn"),
        "required": _("Bắt buộc"),
        "required_if": _("Bắt buộc khi"),
        "visible_if": _("Chỉ hiện khi"),
        "prefill": _("Lấy sẵn từ (đường dẫn dữ liệu)"),
        "default": _("Giá trị mặc định"),
        "min": _("Nhỏ nhất"),
        "max": _("Lớn nhất"),
        "min_length": _("Số ký tự tối thiểu"),
        "max_length": _("Số ký tự tối đa"),
        "pattern": _("Mẫu kiểm tra (biểu thức chính quy)"),
        "pattern_message": _("Thông báo khi sai mẫu"),
        "choices": _("Các lựa chọn"),
        "min_items": _("Chọn ít nhất"),
        "max_items": _("Chọn nhiều nhất"),
        "max_files": _("Số tệp tối đa"),
        "criterion": _("Tiêu chí"),
        "max_points": _("Điểm tối đa"),
        "floor": _("Điểm sàn (tối thiểu)"),
        "evidence_required": _("Bắt buộc có minh chứng"),
        "reconstructed": _("Tiêu chí tái dựng [R]"),
        "pass_total": _("Điểm đạt (tổng tối thiểu)"),
        "criterion_floor_ratio": _("Tỷ lệ điểm sàn của mỗi tiêu chí (0–1)"),
        "rule": _("Quy tắc đánh giá"),
        "knockouts": _("Điều kiện không đạt ngay"),
        "outputs": _("Biến kết quả cho quy trình"),
        "expression": _("Công thức (JsonLogic)"),
        "text": _("Nội dung"),
        "fields": _("Các trường của mỗi dòng (JSON)"),
        "min_rows": _("Số dòng tối thiểu"),
        "max_rows": _("Số dòng tối đa"),
        "indicator": _("Chỉ số (households_recognised, clan_families_recognised, staff_citizens_recognised)"),
        "params": _('Tham số của chỉ số (JSON), ví dụ {"title": "gia_dinh_hoc_tap"}'),
        "points": _('Ngưỡng điểm (JSON), ví dụ [{"min": 70, "points": 20}]'),
    }


@bp.route("/forms/<key>/edit")
@admin_required
def form_edit(key: str):
    row = _form_row(key)
    if row.has_draft:
        definition = library.get_draft(key).draft
    elif row.versions:
        # Editing starts from the newest version; nothing is stored until "save draft".
        definition = row.versions[-1].version.definition
    else:
        definition = {"key": key, "title": {"vi": key}, "fields": []}
    data = {
        "key": key,
        "definition": definition,
        "schema": definition_schema(),
        "types": _type_choices(),
        "urls": {
            "save": url_for("admin.form_draft_save", key=key),
            "publish": url_for("admin.form_publish", key=key),
            "discard": url_for("admin.form_draft_discard", key=key),
            "preview": url_for("admin.form_preview"),
            "library": url_for("admin.forms_library", q=key),
        },
        "messages": _builder_messages(),
        "property_labels": _property_labels(),
        "csrf": generate_csrf(),
    }
    # Not the tojson filter: it sorts keys, and the builder shows them (and saves the draft) in the
    # order of the definition and of the schema, where name and label come first.
    data_json = htmlsafe_json_dumps(data, dumps=partial(json.dumps, ensure_ascii=False))
    return render_template("admin/forms/builder.html", row=row, data_json=data_json)


def _json_definition():
    body = request.get_json(silent=True)
    return body.get("definition") if isinstance(body, dict) else None


def _saved(form) -> dict:
    return {
        "saved_at": form.draft_saved_at.isoformat(),
        "problems": library.definition_problems(form.draft),
    }


@bp.route("/forms/<key>/draft", methods=["POST"])
@admin_required
def form_draft_save(key: str):
    try:
        form = library.save_draft(key, _json_definition(), actor=current_user, now=utcnow())
    except library.DefinitionInvalid as exc:
        db.session.rollback()
        return jsonify(problems=exc.problems), 422
    return jsonify(_saved(form))


@bp.route("/forms/<key>/publish", methods=["POST"])
@admin_required
def form_publish(key: str):
    """Saves what the builder holds, then publishes it: what is published is what the admin sees."""
    try:
        library.save_draft(key, _json_definition(), actor=current_user, now=utcnow())
        version, created = library.publish(key, actor=current_user, now=utcnow())
    except library.DefinitionInvalid as exc:
        db.session.rollback()
        return jsonify(problems=exc.problems), 422
    except Conflict as exc:
        db.session.rollback()
        return jsonify(problems=[{"path": "", "message": exc.message}]), 409
    return jsonify(
        key=key,
        version=version.version,
        created=created,
        library_url=url_for("admin.forms_library", q=key),
    ), (201 if created else 200)


@bp.route("/forms/<key>/draft/discard", methods=["POST"])
@admin_required
def form_draft_discard(key: str):
    library.discard_draft(key, actor=current_user, now=utcnow())
    flash(_("Đã bỏ bản nháp của biểu mẫu %(key)s.", key=key), "success")
    return jsonify(redirect=url_for("admin.forms_library", q=key))


def _preview_inputs(body: dict) -> MultiDict:
    """The preview form's inputs as ``[[name, value], ...]`` (a name may repeat, as checkboxes do)."""
    pairs = body.get("inputs")
    if not isinstance(pairs, list):
        return MultiDict()
    return MultiDict(
        [
            (pair[0], pair[1])
            for pair in pairs
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ]
    )


@bp.route("/forms/preview", methods=["POST"])
@admin_required
def form_preview():
    """The draft as a household would see it, drawn by the task page's macros; with ``score``, the
    inputs are validated like a submission and scored by the engine a submitted step uses."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    locale = _locale()
    try:
        form = load_form_definition(body.get("definition"))
    except FormDefinitionError as exc:
        return render_template("admin/forms/_preview.html", problems=library.located(exc.errors))
    values = _preview_inputs(body)
    errors, score, checked = {}, None, False
    if body.get("score"):
        checked = True
        result = validate_submission(form, values, locale=locale)
        errors = result.errors
        if result.valid and form.scoring is not None:
            score = score_submission(form, result.data, locale=locale)
    return render_template(
        "admin/forms/_preview.html",
        problems=[],
        form=form,
        values=values,
        errors=errors,
        locale=locale,
        checked=checked,
        score=score,
    )
