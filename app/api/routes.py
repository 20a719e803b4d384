from functools import wraps

from flask import current_app, g, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.admin.audit_queries import MAX_PAGE, MAX_PER_PAGE
from app.api import bp
from app.api.openapi import openapi_document
from app.api.params import CLAIMED, DOSSIERS_PER_PAGE, MAX_ID, OVERDUE, choice_arg, int_arg
from app.auth.routes import login_limit, note_failed_login
from app.extensions import db
from app.inbox.query import SORTS, BadCursor, InboxFilter, inbox_page
from app.labels import localized
from app.models import DOSSIER_STATUSES, AuditEvent, Dossier, HumanTask, Subject, utcnow
from app.services import accounts, indicators
from app.services.bulk import BulkRefused, claim_tasks, release_tasks
from app.services.dossiers import (
    MAX_YEAR,
    MIN_YEAR,
    claim_task,
    get_actionable_task,
    get_visible_dossier,
    open_dossier,
    prefill_context,
    release_task,
    submit_task,
)
from app.services.drafts import draft_for
from app.services.errors import InvalidInput, NotFound
from app.services.evidence import upload_evidence
from app.services.procedures import task_form
from forms import definition_schema, formdata_from_json, prefill_values


def _iso(value):
    return value.isoformat() if value is not None else None


def _locale() -> str:
    return str(get_locale() or "vi")


def token_required(view):
    """API calls authenticate with a bearer token only: a session cookie here would open CSRF."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        user = (
            accounts.user_for_token(header[7:].strip(), now=utcnow())
            if header.startswith("Bearer ")
            else None
        )
        if user is None:
            return jsonify(error={"status": 401, "message": _("Thiếu hoặc sai mã truy cập (token).")}), 401
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            {"body": [_("Nội dung gửi lên không phải JSON hợp lệ.")]},
            _("Nội dung gửi lên không phải JSON hợp lệ."),
        )
    return body


def task_json(task: HumanTask) -> dict:
    return {
        "id": task.id,
        "dossier_id": task.dossier_id,
        "dossier_code": task.dossier.code,
        "subject": task.dossier.subject.name,
        "name": task.name,
        "label": localized(task.label, _locale()),
        "title": task.title,
        "unit": task.unit.name,
        "village": task.dossier.unit.name,
        "self_score": task.dossier.self_score,
        "state": task.state,
        "due_at": _iso(task.due_at),
        "claimed_by": task.claimed_by.username if task.claimed_by else None,
    }


def dossier_json(dossier: Dossier) -> dict:
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return {
        "id": dossier.id,
        "code": dossier.code,
        "title": dossier.title,
        "year": dossier.year,
        "subject": {"id": dossier.subject_id, "name": dossier.subject.name},
        "unit": dossier.unit.name,
        "status": dossier.status,
        "status_reason": dossier.status_reason,
        "current_tasks": [
            {"id": t.id, "name": t.name, "label": localized(t.label, _locale())}
            for t in dossier.tasks
            if t.state == "open"
        ],
        "self_score": dossier.self_score,
        "score": dossier.score,
        "rating": dossier.rating,
        "procedure_version": dossier.process_definition.version,
        "history": [
            {
                "at": _iso(e.at),
                "actor": e.actor.username if e.actor else None,
                "action": e.action,
                "details": e.details,
            }
            for e in history
        ],
    }


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document(current_app.config))


@bp.route("/forms/schema.json")
def form_definition_schema():
    """The JSON Schema of form definitions (structure; meaning is checked in code), like docs/."""
    return jsonify(definition_schema())


@bp.route("/auth/token", methods=["POST"])
@login_limit
def token():
    body = _json_body()
    user = accounts.authenticate(str(body.get("username", "")), str(body.get("password", "")))
    if user is None:
        note_failed_login()
        return jsonify(error={"status": 401, "message": _("Tên đăng nhập hoặc mật khẩu không đúng.")}), 401
    return jsonify(token=accounts.issue_token(user, now=utcnow()))


@bp.route("/tasks")
@token_required
def tasks():
    errors = {}
    int_arg("unit", None, 1, MAX_ID, errors)
    int_arg("village", None, 1, MAX_ID, errors)
    int_arg("score_min", None, 0, MAX_ID, errors)
    int_arg("score_max", None, 0, MAX_ID, errors)
    choice_arg("overdue", OVERDUE, errors)
    choice_arg("claimed", CLAIMED, errors)
    choice_arg("sort", tuple(SORTS), errors)
    page_number = int_arg("page", 1, 1, MAX_PAGE, errors)
    per_page = int_arg("per_page", 50, 1, MAX_PER_PAGE, errors)
    # The next page's cursor, as given in "next_cursor"; "cursor" is accepted as another name for it.
    after = request.args.get("after") or request.args.get("cursor") or None
    filters = InboxFilter.from_args(request.args)
    page = None
    if not errors:
        try:
            page = inbox_page(
                g.api_user, filters, now=utcnow(), page=page_number, per_page=per_page, after=after
            )
        except BadCursor:
            errors["after" if request.args.get("after") else "cursor"] = [
                _("Con trỏ trang không hợp lệ; hãy dùng next_cursor của trang trước.")
            ]
    if errors:
        raise InvalidInput(errors, _("Bộ lọc chưa hợp lệ."))
    return jsonify(
        items=[task_json(t) for t in page.items],
        # Counted up to COUNT_CAP rows: with total_capped the view holds more than total.
        total=page.total,
        total_capped=page.total_capped,
        page=page.page,
        per_page=per_page,
        next_cursor=page.next_cursor,
    )


@bp.route("/tasks/<int:task_id>")
@token_required
def task_detail(task_id: int):
    task = get_actionable_task(task_id, g.api_user)
    body = task_json(task)
    if task.form_version is not None:
        form = task_form(task)
        body["form"] = {**form.to_api(_locale()), "version": task.form_version.version}
        body["data"] = (
            prefill_values(form, prefill_context(task.dossier, form)) if task.state == "open" else {}
        )
        # Derived indicators: the server's value (frozen, or computed now) and the list behind it.
        derived = indicators.views_for(task.dossier, form) if task.state == "open" else {}
        body["data"].update({name: view.value for name, view in derived.items()})
        body["derived"] = {name: view.as_dict() for name, view in derived.items()}
    # The caller's own draft only: a draft is private to whoever saved it.
    draft = draft_for(task, g.api_user)
    body["draft"] = {"data": draft["data"], "saved_at": _iso(draft["saved_at"])} if draft else None
    return jsonify(body)


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@token_required
def task_claim(task_id: int):
    return jsonify(task_json(claim_task(task_id, actor=g.api_user, now=utcnow())))


@bp.route("/tasks/<int:task_id>/release", methods=["POST"])
@token_required
def task_release(task_id: int):
    return jsonify(task_json(release_task(task_id, actor=g.api_user, now=utcnow())))


def _task_ids(body: dict) -> list[int]:
    ids = body.get("task_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        message = _('"task_ids" phải là danh sách mã số công việc (số nguyên).')
        raise InvalidInput({"task_ids": [message]}, message)
    return ids


def _bulk_refused(exc: BulkRefused):
    """409 with the reason of each task that could not be done; none was."""
    reasons = [
        {"task_id": refusal.task_id, "dossier_code": refusal.dossier_code, "message": refusal.message}
        for refusal in exc.refusals
    ]
    return jsonify(error={"status": 409, "message": exc.message}, reasons=reasons), 409


@bp.route("/tasks/claim", methods=["POST"])
@token_required
def tasks_claim():
    try:
        claimed = claim_tasks(_task_ids(_json_body()), actor=g.api_user, now=utcnow())
    except BulkRefused as exc:
        return _bulk_refused(exc)
    return jsonify(claimed=claimed)


@bp.route("/tasks/release", methods=["POST"])
@token_required
def tasks_release():
    try:
        released = release_tasks(_task_ids(_json_body()), actor=g.api_user, now=utcnow())
    except BulkRefused as exc:
        return _bulk_refused(exc)
    return jsonify(released=released)


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@token_required
def task_complete(task_id: int):
    body = _json_body()
    task = get_actionable_task(task_id, g.api_user)
    data = body.get("data")
    if not isinstance(data, dict):
        raise InvalidInput({"data": [_('Thiếu đối tượng "data" chứa giá trị các trường.')]})
    formdata, errors = formdata_from_json(task_form(task), data) if task.form_version_id else ({}, {})
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ."))
    dossier = submit_task(task.id, formdata, actor=g.api_user, now=utcnow(), locale=_locale())
    return jsonify(dossier_json(dossier))


@bp.route("/dossiers", methods=["POST"])
@token_required
def dossier_create():
    body = _json_body()
    user = g.api_user
    subjects = db.session.scalars(
        select(Subject).where(Subject.account_id == user.id).order_by(Subject.id)
    ).all()
    subject_id = body.get("subject_id")
    if subject_id is not None:
        # JSON true is not subject 1.
        if not isinstance(subject_id, int) or isinstance(subject_id, bool):
            message = _("Mã đối tượng phải là số nguyên.")
            raise InvalidInput({"subject_id": [message]}, message)
        # Not the caller's own: a subject without an account, registered for it by the desk or its
        # village head (open_dossier checks who); a subject with an account registers itself.
        subjects = [s for s in subjects if s.id == subject_id] or [
            s for s in [db.session.get(Subject, subject_id)] if s is not None and s.account_id is None
        ]
    if not subjects:
        raise NotFound(_("Tài khoản không gắn với hộ gia đình hay đối tượng nào."))
    title, year = body.get("title"), body.get("year")
    errors = {}
    if not isinstance(title, str) or not title:
        errors["title"] = [_("Vui lòng chọn danh hiệu.")]
    if not isinstance(year, int) or isinstance(year, bool):
        errors["year"] = [_("Năm đánh giá không hợp lệ.")]
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ."))
    dossier = open_dossier(subjects[0], title, year, actor=user, now=utcnow())
    return jsonify({"id": dossier.id, "code": dossier.code}), 201


@bp.route("/dossiers")
@token_required
def dossier_list():
    from app.services.jurisdiction import dossier_scope

    errors = {}
    status = choice_arg("status", DOSSIER_STATUSES, errors)
    year = int_arg("year", None, MIN_YEAR, MAX_YEAR, errors)
    page_number = int_arg("page", 1, 1, MAX_PAGE, errors)
    if errors:
        raise InvalidInput(errors, _("Bộ lọc chưa hợp lệ."))
    query = select(Dossier).where(dossier_scope(g.api_user))
    if status is not None:
        query = query.where(Dossier.status == status)
    if year is not None:
        query = query.where(Dossier.year == year)
    page = db.paginate(
        query.order_by(Dossier.id.desc()), page=page_number, per_page=DOSSIERS_PER_PAGE, error_out=False
    )
    return jsonify(
        items=[
            {
                "id": d.id,
                "code": d.code,
                "title": d.title,
                "year": d.year,
                "status": d.status,
                "subject": d.subject.name,
                "score": d.score,
            }
            for d in page.items
        ],
        total=page.total,
    )


@bp.route("/dossiers/<int:dossier_id>")
@token_required
def dossier_detail(dossier_id: int):
    return jsonify(dossier_json(get_visible_dossier(dossier_id, g.api_user)))


@bp.route("/dossiers/<int:dossier_id>/evidence", methods=["POST"])
@token_required
def dossier_evidence(dossier_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        get_visible_dossier(dossier_id, g.api_user)
        raise InvalidInput({"file": [_("Vui lòng chọn tệp minh chứng.")]}, _("Thiếu tệp."))
    evidence = upload_evidence(
        dossier_id,
        upload.filename,
        upload.stream,
        request.form.get("criterion") or None,
        actor=g.api_user,
        now=utcnow(),
    )
    return jsonify(
        id=evidence.id,
        sha256=evidence.sha256,
        mime_type=evidence.mime_type,
        size=evidence.size,
        criterion=evidence.criterion,
    ), 201
