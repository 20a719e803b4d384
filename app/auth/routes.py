from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from app.auth import bp
from app.extensions import db, limiter, login_manager
from app.models import User, utcnow
from app.services.accounts import authenticate, user_for_token
from app.web import redirect_back


class LoginForm(FlaskForm):
    username = StringField(
        "Tên đăng nhập", validators=[InputRequired(message="Vui lòng nhập tên đăng nhập.")]
    )
    password = PasswordField("Mật khẩu", validators=[InputRequired(message="Vui lòng nhập mật khẩu.")])


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


@login_manager.request_loader
def load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return user_for_token(header[7:].strip(), now=utcnow())
    return None


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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."), "danger")
        else:
            login_user(user)
            return redirect_back(home_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
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
