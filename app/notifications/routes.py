from flask import render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification, utcnow
from app.notifications import bp
from app.web import redirect_back


@bp.route("/notifications")
@login_required
def index():
    query = select(Notification).where(Notification.user_id == current_user.id)
    if request.args.get("unread") == "1":
        query = query.where(Notification.read_at.is_(None))
    page = db.paginate(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=request.args.get("page", 1, type=int),
        per_page=30,
        error_out=False,
    )
    return render_template("notifications/index.html", page=page)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    query = update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None)
    )
    if request.form.get("id", type=int):
        query = query.where(Notification.id == request.form.get("id", type=int))
    db.session.execute(query.values(read_at=utcnow()))
    db.session.commit()
    return redirect_back(url_for("notifications.index"))
