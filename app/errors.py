"""Error pages and JSON errors: clear, in the user's language, never a stack trace."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError

from app.extensions import db
from app.services.errors import InvalidInput, ServiceError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error(status: int, message: str):
    if _wants_json():
        return jsonify(error={"status": status, "message": message}), status
    return render_template("error.html", status=status, message=message), status


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
        if isinstance(exc, InvalidInput) and _wants_json():
            return jsonify(errors=exc.errors, message=exc.message or _("Dữ liệu không hợp lệ.")), 422
        return _error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
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
        mb = app.config["MAX_EVIDENCE_BYTES"] // (1024 * 1024)
        total = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return _error(
            413,
            _(
                "Dữ liệu gửi lên quá lớn (tối đa %(total)s MB mỗi lần, %(mb)s MB mỗi tệp).",
                total=total,
                mb=mb,
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
