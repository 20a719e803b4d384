"""Error pages and JSON errors: clear, in the user's language, never a stack trace.

Every 4xx and 5xx is a page in the user's language with a way back (the page the user came from, and
home), or JSON for the API and for a page's own scripts (``Accept: application/json``). A task form
posted with an expired session, a stale CSRF token or a body over the request cap cannot be read (or
must not be: an unverified body is not the user's), so these pages say where the answers are: kept in
this browser by static/js/task_answers.js, and filled in again when the form is opened again.
"""

from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services.errors import InvalidInput, ServiceError
from app.web import format_number, is_local_path


def wants_json() -> bool:
    """The API, and a page's own fetches (autosave, previews), get JSON; a browser's navigation, a page."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def local_referrer() -> str | None:
    """The page on this site the request came from (path and query), if the browser said so."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return None
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return target if is_local_path(target) else None


def _task_form_posted() -> bool:
    return request.method == "POST" and request.endpoint == "dossiers.task"


def _task_form_url() -> str:
    return url_for("dossiers.task", task_id=request.view_args["task_id"], inbox=request.args.get("inbox"))


def form_page_to_return_to() -> str | None:
    """Where a form posted after its session ended should send the user after signing in: the task form
    itself (a GET of it fills the kept answers in again), else the page the form was on."""
    return _task_form_url() if _task_form_posted() else local_referrer()


def _size(size: int) -> str:
    # Whole megabytes as configured ("10 MB"); a smaller limit (a test's, a tight deployment's) in kB.
    if size >= 1024 * 1024:
        return f"{format_number(size / (1024 * 1024), 0 if size % (1024 * 1024) == 0 else 1)} MB"
    return f"{format_number(size / 1024, 0)} kB"


def _error(status: int, message: str):
    if wants_json():
        return jsonify(error={"status": status, "message": message}), status
    hint = None
    if _task_form_posted():
        back, back_label = _task_form_url(), _("Quay lại biểu mẫu")
        hint = _(
            "Các câu trả lời bạn đã nhập vẫn được giữ trong trình duyệt này và sẽ được điền lại khi bạn "
            "quay lại biểu mẫu. Tệp đính kèm cần được chọn lại."
        )
    else:
        back = local_referrer()
        # A page that failed on its own load is no way back.
        back = back if back != request.full_path.rstrip("?") else None
        back_label = _("Quay lại trang trước")
    return render_template(
        "error.html", status=status, message=message, hint=hint, back=back, back_label=back_label
    ), status


def register_error_handlers(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes():
        # PostgreSQL cannot store NUL in text; refusing it here keeps it from ever reaching a query.
        if any("\x00" in value for value in request.args.values()) or any(
            "\x00" in value for value in request.form.values()
        ):
            return _error(400, _("Yêu cầu chứa ký tự không hợp lệ."))
        if request.is_json and b"\\u0000" in request.get_data():
            return _error(400, _("Yêu cầu chứa ký tự không hợp lệ."))
        return None

    @app.errorhandler(OverflowError)
    def number_too_large(exc):
        db.session.rollback()
        return _error(404, _("Không tìm thấy trang hoặc dữ liệu yêu cầu."))

    @app.errorhandler(DataError)
    def value_out_of_range(exc):
        db.session.rollback()
        return _error(400, _("Yêu cầu không hợp lệ."))

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if isinstance(exc, InvalidInput) and wants_json():
            return jsonify(errors=exc.errors, message=exc.message or _("Dữ liệu không hợp lệ.")), 422
        return _error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        if _task_form_posted() and not current_user.is_authenticated:
            # The browser lost its session (closed, cleared, or the server's key changed) while a task
            # form was open: nothing was done, so signing in again and going back to it is the way on.
            flash(session_expired_message(), "warning")
            return redirect(url_for("auth.login", next=_task_form_url()))
        return _error(400, _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang."))

    @app.errorhandler(400)
    def bad_request(exc):
        return _error(400, _("Yêu cầu không hợp lệ."))

    @app.errorhandler(401)
    def unauthorized(exc):
        return _error(401, _("Vui lòng đăng nhập."))

    @app.errorhandler(403)
    def forbidden(exc):
        return _error(403, _("Bạn không có quyền thực hiện thao tác này."))

    @app.errorhandler(404)
    def not_found(exc):
        return _error(404, _("Không tìm thấy trang hoặc dữ liệu yêu cầu."))

    @app.errorhandler(405)
    def method_not_allowed(exc):
        body, status = _error(405, _("Phương thức không được hỗ trợ."))
        # RFC 9110: a 405 names the methods the resource does support.
        methods = getattr(exc, "valid_methods", None)
        return body, status, {"Allow": ", ".join(methods)} if methods else {}

    @app.errorhandler(413)
    def too_large(exc):
        return _error(
            413,
            _(
                "Dữ liệu gửi lên quá lớn (tối đa %(total)s mỗi lần, %(each)s mỗi tệp).",
                total=_size(app.config["MAX_CONTENT_LENGTH"]),
                each=_size(app.config["MAX_EVIDENCE_BYTES"]),
            ),
        )

    @app.errorhandler(429)
    def too_many_requests(exc):
        return _error(429, _("Bạn đã thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại."))

    @app.errorhandler(500)
    def server_error(exc):
        # The failed transaction must go before the error page queries anything (the header counter).
        db.session.rollback()
        return _error(500, _("Hệ thống gặp lỗi. Vui lòng thử lại sau."))

    @app.errorhandler(HTTPException)
    def other_http_error(exc: HTTPException):
        # Every status without a handler of its own above (409, 415, 503, …) still gets a page in the
        # user's language, never werkzeug's English one.
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code >= 500:
            db.session.rollback()
            return _error(
                exc.code, _("Hệ thống tạm thời không thực hiện được yêu cầu. Vui lòng thử lại sau.")
            )
        if exc.code == 409:
            return _error(409, _("Dữ liệu đã thay đổi trong lúc bạn thao tác. Vui lòng tải lại trang."))
        return _error(exc.code, _("Không thực hiện được yêu cầu (mã lỗi %(status)s).", status=exc.code))


def session_expired_message() -> str:
    """Said on the login page when a form was posted after its session ended."""
    if _task_form_posted():
        return _(
            "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại; các câu trả lời bạn đã nhập vẫn được giữ "
            "trong trình duyệt này và sẽ được điền lại."
        )
    return _("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.")
