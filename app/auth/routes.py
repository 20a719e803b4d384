from flask import current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from app.auth import bp
from app.errors import form_page_to_return_to, session_expired_message, wants_json
from app.extensions import db, limiter, login_manager
from app.models import User, utcnow
from app.services import sessions
from app.services.accounts import authenticate
from app.services.bounds import PASSWORD, TOO_LONG, limit
from app.services.jurisdiction import works_on_tasks
from app.web import redirect_back


class LoginForm(FlaskForm):
    # A name or password longer than any account's is refused as such (422), not checked against one.
    username = StringField(
        "Tên đăng nhập",
        validators=[
            InputRequired(message="Vui lòng nhập tên đăng nhập."),
            Length(max=limit(User.username), message=TOO_LONG),
        ],
    )
    password = PasswordField(
        "Mật khẩu",
        validators=[
            InputRequired(message="Vui lòng nhập mật khẩu."),
            Length(max=PASSWORD, message=TOO_LONG),
        ],
    )


@login_manager.user_loader
def load_user(session_id: str):
    return sessions.user_for(session_id, now=utcnow())


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        # The API, and a page's autosave finding its session over (it keeps the answers in the browser).
        return jsonify(error={"status": 401, "message": _("Vui lòng đăng nhập.")}), 401
    if request.method == "POST":
        # A form posted after the session ended: its answers are kept in the browser (task_answers.js),
        # and after signing in the user goes back to the form, not to the URL it was posted to.
        flash(session_expired_message(), "warning")
        back = form_page_to_return_to()
        return redirect(url_for("auth.login", next=back) if back else url_for("auth.login"))
    flash(_("Vui lòng đăng nhập để tiếp tục."), "warning")
    return redirect(url_for("auth.login", next=request.full_path))


def home_for(user: User) -> str:
    if works_on_tasks(user):
        return url_for("inbox.index")
    if user.is_official:
        # Those who see without acting (Hội Khuyến học) start at their area's report.
        return url_for("reports.index")
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


def note_failed_login() -> None:
    """Count this request's attempt: a password was checked and was wrong."""
    g.login_failed = True


def failed_login(response) -> bool:
    # Only checked-and-wrong passwords count; a refused form or a success costs no attempt.
    return g.get("login_failed", False)


# One counter for the sign-in form and the API's token route ("login" scope), so guesses made on both
# share the LOGIN_RATE_LIMIT of one address and account instead of getting it twice.
login_limit = limiter.shared_limit(
    login_rate_limit, scope="login", methods=["POST"], key_func=login_attempt_key, deduct_when=failed_login
)


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            note_failed_login()
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."), "danger")
        else:
            now = utcnow()
            if current_user.is_authenticated:
                # Signing in over a session ends it, so its cookie, if copied, stops working too.
                sessions.end_current(current_user.get_id(), reason="replaced", actor=current_user, now=now)
            sessions.start(user, now=now, user_agent=request.user_agent.string, address=request.remote_addr)
            login_user(user)
            return redirect_back(home_for(user))
    return render_template("auth/login.html", form=form), (422 if form.errors else 200)


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
