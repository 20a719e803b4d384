from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier, HumanTask, Notification, utcnow
from app.notifications import bp
from app.services import mail, preferences
from app.services.errors import InvalidInput
from app.services.jurisdiction import can_act_on_task, can_see_dossier
from app.services.notifications import mark_read as mark_notifications_read
from app.web import redirect_back


@bp.route("/notifications")
@login_required
def index():
    """The reader's notifications. Opening the page reads them all: the header badge clears, and the
    ones that were new stand out on this visit."""
    page = db.paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=request.args.get("page", 1, type=int),
        per_page=30,
        error_out=False,
    )
    new = {notification.id for notification in page.items if notification.read_at is None}
    new_count = mark_notifications_read(current_user, now=utcnow())
    return render_template("notifications/index.html", page=page, new=new, new_count=new_count)


@bp.route("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Read one notification and go to what it is about: its task while that is open and the reader's
    to do, else its dossier."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    task_id, dossier_id = notification.human_task_id, notification.dossier_id
    mark_notifications_read(current_user, now=utcnow(), notification_id=notification_id)
    task = db.session.get(HumanTask, task_id) if task_id else None
    if task is not None and task.state == "open" and can_act_on_task(current_user, task):
        return redirect(url_for("dossiers.task", task_id=task.id))
    if task is not None and task.state != "open":
        flash(_("Công việc này đã được xử lý."), "info")
    dossier = db.session.get(Dossier, dossier_id) if dossier_id else None
    if dossier is not None and can_see_dossier(current_user, dossier):
        return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    mark_notifications_read(current_user, now=utcnow(), notification_id=request.form.get("id", type=int))
    return redirect_back(url_for("notifications.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"], endpoint="preferences")
@login_required
def preferences_page():
    """How the reader wants each kind of notice; the form sends every kind, so saving stores them all."""
    user = current_user._get_current_object()  # the audit records the row it changed, not the proxy
    errors, chosen = {}, preferences.get_preferences(user)
    if request.method == "POST":
        submitted = {kind: request.form.get(kind, "") for kind in preferences.KINDS if kind in request.form}
        try:
            preferences.set_preferences(user, submitted, actor=user, now=utcnow())
            flash(_("Đã lưu cách nhận thông báo."), "success")
            return redirect(url_for("notifications.preferences"))
        except InvalidInput as exc:
            errors = exc.errors
            chosen = {**chosen, **submitted}
    return render_template(
        "notifications/preferences.html",
        kinds=preferences.KINDS,
        channels=preferences.CHANNELS,
        kind_labels=preferences.KIND_LABELS,
        channel_labels=preferences.CHANNEL_LABELS,
        chosen=chosen,
        errors=errors,
        mail_enabled=mail.enabled(),
        digest_hour=current_app.config["DIGEST_HOUR"],
    ), (422 if errors else 200)
