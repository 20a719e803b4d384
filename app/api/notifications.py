"""The caller's notifications and how they want each kind of notice, over the API."""

from flask import g, jsonify
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.admin.audit_queries import MAX_PAGE, MAX_PER_PAGE
from app.api import bp
from app.api.params import int_arg
from app.api.routes import _iso, _json_body, token_required
from app.extensions import db
from app.models import Notification, utcnow
from app.notifications.text import notification_path, notification_text
from app.services import preferences
from app.services.errors import InvalidInput, NotFound
from app.services.notifications import mark_read


def notification_json(notification: Notification) -> dict:
    return {
        "id": notification.id,
        "kind": notification.kind,
        # In the caller's language (Accept-Language), the same sentence as the page and the e-mail.
        "text": notification_text(notification),
        "url": notification_path(notification),
        "created_at": _iso(notification.created_at),
        "read": notification.read_at is not None,
    }


@bp.route("/notifications")
@token_required
def notifications_list():
    errors = {}
    page_number = int_arg("page", 1, 1, MAX_PAGE, errors)
    per_page = int_arg("per_page", 50, 1, MAX_PER_PAGE, errors)
    if errors:
        raise InvalidInput(errors, _("Bộ lọc chưa hợp lệ."))
    user = g.api_user
    page = db.paginate(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page_number,
        per_page=per_page,
        error_out=False,
    )
    unread = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return jsonify(
        items=[notification_json(n) for n in page.items],
        unread=unread,
        total=page.total,
        page=page_number,
        per_page=per_page,
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@token_required
def notification_read(notification_id: int):
    user = g.api_user
    notification = db.session.get(Notification, notification_id)
    # Someone else's answers as an unknown one: whether it exists is not the caller's to learn.
    if notification is None or notification.user_id != user.id:
        raise NotFound(_("Không tìm thấy thông báo."))
    mark_read(user, now=utcnow(), notification_id=notification_id)
    return jsonify(notification_json(db.session.get(Notification, notification_id)))


@bp.route("/me/notification-preferences")
@token_required
def notification_preferences():
    return jsonify(preferences=preferences.get_preferences(g.api_user))


@bp.route("/me/notification-preferences", methods=["PUT"])
@token_required
def notification_preferences_save():
    chosen = _json_body().get("preferences")
    if not isinstance(chosen, dict):
        message = _('Thiếu đối tượng "preferences" (loại thông báo → app, email hoặc digest).')
        raise InvalidInput({"preferences": [message]}, message)
    user = g.api_user
    preferences.set_preferences(user, chosen, actor=user, now=utcnow())
    return jsonify(preferences=preferences.get_preferences(user))
