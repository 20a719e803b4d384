from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from app.auth import bp
from app.extensions import db, limiter, login_manager
from app.models import User, utcnow
from app.services import sessions
from app.services.accounts import authenticate
from app.web import redirect_back


class LoginForm(FlaskForm):
    username = StringField(
        "Tên đăng nhập", validators=[InputRequired(message="Vui lòng nhập tên đăng nhập.")]
    )
    password = PasswordField("Mật khẩu", validators=[InputRequired(message="Vui lòng nhập mật khẩu.")])


@login_manager.user_loader
def load_user(session_id: str):
    return sessions.user_for(session_id, now=utcnow())


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        from flask import jsonify

        return jsonify(error={"status": 401, "message": _("Vui lòng đăng nhập.")}), 401
    flash(_("Vui lòng đăng nhập để tiếp tục."), "warning")
    return redirect(url_for("auth.login", next=request.full_path))


def home_for(user: User) -> str:
    if user.is_official:
        return url_for("inbox.index")
    if user.is_admin:
        return url_for("admin.users")
    return url_for("dossiers.index")


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_for(current_user))


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_attempt_key() -> str:
    """Failed attempts are counted per address and account, so one office behind a proxy is not
    locked out by a colleague, and guessing one account's password is slowed wherever it comes from."""
    body = request.get_json(silent=True) if request.is_json else None
    username = (body or {}).get("username") if isinstance(body, dict) else request.form.get("username")
    return f"{get_remote_address()}|{str(username or '').strip().lower()[:64]}"


def failed_login(response) -> bool:
    # A wrong password gets the form again (200); a right one is redirected.
    return response.status_code == 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"], key_func=login_attempt_key, deduct_when=failed_login)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."), "danger")
        else:
            now = utcnow()
            if current_user.is_authenticated:
                # Signing in over a session ends it, so its cookie, if copied, stops working too.
                sessions.end_current(current_user.get_id(), reason="replaced", actor=current_user, now=now)
            sessions.start(user, now=now, user_agent=request.user_agent.string, address=request.remote_addr)
            login_user(user)
            return redirect_back(home_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end_current(current_user.get_id(), reason="logout", actor=current_user, now=utcnow())
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect_back(url_for("auth.index"))
