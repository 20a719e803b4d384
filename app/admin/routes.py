from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.admin import bp
from app.extensions import db
from app.models import ROLES, RoleAssignment, User, utcnow
from app.services import accounts, sessions
from app.services.bounds import search_text
from app.services.errors import Conflict, InvalidInput

SORTS = {"username": User.username.asc(), "-created": User.created_at.desc(), "name": User.full_name.asc()}


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/users")
@admin_required
def users():
    args = request.args
    query = select(User)
    if needle := search_text(args).lower():
        needle = f"%{needle}%"
        query = query.where(func.lower(User.username).like(needle) | func.lower(User.full_name).like(needle))
    if args.get("role") in ROLES:
        query = query.where(
            User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role == args["role"]))
        )
    if args.get("active") in ("1", "0"):
        query = query.where(User.active == (args["active"] == "1"))
    sort = args.get("sort") if args.get("sort") in SORTS else "username"
    page = db.paginate(
        query.order_by(SORTS[sort]), page=args.get("page", 1, type=int), per_page=25, error_out=False
    )
    return render_template("admin/users.html", page=page, roles=ROLES, sort=sort)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    errors, values = {}, request.form
    if request.method == "POST":
        try:
            user = accounts.create_user(
                values.get("username", ""),
                values.get("full_name", ""),
                values.get("password", ""),
                email=values.get("email") or None,
                actor=current_user,
                now=utcnow(),
            )
            flash(_("Đã tạo tài khoản %(u)s.", u=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
        except InvalidInput as exc:
            errors = exc.errors
        except Conflict as exc:
            errors = {"username": [exc.message]}
    return render_template("admin/user_new.html", errors=errors, values=values), (422 if errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    errors = {}
    if request.method == "POST":
        action, now = request.form.get("action"), utcnow()
        try:
            if action == "deactivate":
                accounts.set_active(user.id, False, actor=current_user, now=now)
                flash(_("Đã khóa tài khoản."), "success")
            elif action == "activate":
                accounts.set_active(user.id, True, actor=current_user, now=now)
                flash(_("Đã mở khóa tài khoản."), "success")
            elif action == "reset_password":
                accounts.reset_password(
                    user.id, request.form.get("password", ""), actor=current_user, now=now
                )
                flash(_("Đã đặt lại mật khẩu."), "success")
            elif action == "assign_role":
                accounts.assign_role(
                    user.id,
                    request.form.get("role", ""),
                    request.form.get("unit", ""),
                    actor=current_user,
                    now=now,
                )
                flash(_("Đã phân quyền."), "success")
            elif action == "revoke_role":
                accounts.revoke_role(
                    request.form.get("assignment_id", type=int) or 0,
                    actor=current_user,
                    now=now,
                    user_id=user.id,
                )
                flash(_("Đã thu hồi quyền."), "success")
            elif action == "end_session":
                sessions.end_one(user.id, request.form.get("session_id", ""), actor=current_user, now=now)
                flash(_("Đã kết thúc phiên đăng nhập."), "success")
            elif action == "end_sessions":
                ended = sessions.end_all(user.id, actor=current_user, now=now)
                flash(_("Đã kết thúc %(n)s phiên đăng nhập.", n=ended), "success")
            else:
                abort(400)
            return redirect(url_for("admin.user_edit", user_id=user.id))
        except InvalidInput as exc:
            errors = exc.errors
        except Conflict as exc:
            flash(exc.message, "danger")
    now = utcnow()
    user_sessions = [(row, sessions.state(row, now)) for row in sessions.for_user(user.id)]
    return render_template(
        "admin/user_edit.html",
        user=user,
        roles=ROLES,
        errors=errors,
        values=request.form,
        user_sessions=user_sessions,
    ), (422 if errors else 200)
