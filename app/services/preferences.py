"""How each user wants each kind of notice: in the app only, by e-mail at once, or in the daily digest.

A user without a stored choice for a kind gets the default for their roles, so a new kind or a new
account needs no rows; a saved choice is kept as it was saved, whatever the defaults become later.
"""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import APPLICANT_ROLES, NotificationPreference, User
from app.services import audit
from app.services.errors import InvalidInput
from app.services.uow import commit

KINDS = ("task_opened", "task_reminder", "task_overdue", "dossier_returned", "dossier_outcome")
CHANNELS = ("app", "email", "digest")

KIND_LABELS = {
    "task_opened": _l("Có công việc mới"),
    "task_reminder": _l("Nhắc việc đến hạn xử lý"),
    "task_overdue": _l("Công việc quá hạn xử lý"),
    "dossier_returned": _l("Hồ sơ được trả lại để bổ sung"),
    "dossier_outcome": _l("Kết quả xét hồ sơ"),
}
CHANNEL_LABELS = {
    "app": _l("Chỉ xem trong hệ thống"),
    "email": _l("Gửi thư điện tử ngay"),
    "digest": _l("Gộp vào thư tổng hợp hằng ngày"),
}


def _is_household(user: User) -> bool:
    return any(r.role in APPLICANT_ROLES for r in user.roles)


def default_channel(user: User, kind: str) -> str:
    """An officer handles many dossiers: new tasks come once a day, lateness at once. A household has one
    dossier and must hear at once when it is returned or decided."""
    if user.is_official:
        if kind == "task_opened":
            return "digest"
        if kind == "task_overdue":
            return "email"
    if _is_household(user) and kind in ("dossier_returned", "dossier_outcome"):
        return "email"
    return "app"


def _stored(user_id: int) -> dict[str, NotificationPreference]:
    return {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }


def _merge(user: User, stored: dict[str, str]) -> dict[str, str]:
    # A stored value that is no longer a channel (a removed one) falls back to the default, not to an error.
    return {
        kind: stored[kind] if stored.get(kind) in CHANNELS else default_channel(user, kind) for kind in KINDS
    }


def channel_for(user: User, kind: str) -> str:
    row = db.session.scalar(
        select(NotificationPreference.channel).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return row if row in CHANNELS else default_channel(user, kind)


def get_preferences(user: User) -> dict[str, str]:
    """Every kind with the user's channel for it, stored or default."""
    return _merge(user, {kind: row.channel for kind, row in _stored(user.id).items()})


def wants_digest(user: User) -> bool:
    return "digest" in get_preferences(user).values()


def users_wanting_digest() -> list[User]:
    """Active users with an address and at least one kind in the digest, in two queries whatever their
    number (a province has thousands of accounts)."""
    stored: dict[int, dict[str, str]] = {}
    for user_id, kind, channel in db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.channel)
    ):
        stored.setdefault(user_id, {})[kind] = channel
    users = db.session.scalars(
        select(User)
        .where(User.active, User.email.is_not(None), User.email != "")
        .options(selectinload(User.roles))
        .order_by(User.id)
    )
    return [user for user in users if "digest" in _merge(user, stored.get(user.id, {})).values()]


def set_preferences(user: User, preferences: dict, *, actor: User | None, now: datetime) -> dict[str, str]:
    """Store the channels given (kinds left out keep theirs); all or nothing: one unknown kind or channel
    refuses the whole change."""
    if not isinstance(preferences, dict):
        raise InvalidInput({"preferences": [_("Danh sách lựa chọn không hợp lệ.")]})
    errors = {}
    for kind, channel in preferences.items():
        if kind not in KINDS:
            errors[f"preferences.{kind}"] = [_("Không có loại thông báo này.")]
        elif channel not in CHANNELS:
            errors[f"preferences.{kind}"] = [
                _("Chọn một trong các cách nhận: %(choices)s.", choices=", ".join(CHANNELS))
            ]
    if errors:
        raise InvalidInput(errors)
    before = get_preferences(user)
    stored = _stored(user.id)
    for kind, channel in preferences.items():
        row = stored.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, channel=channel))
        else:
            row.channel = channel
    changed = {
        kind: [before[kind], channel] for kind, channel in preferences.items() if before[kind] != channel
    }
    if changed:
        audit.record(
            "notification_preferences.changed", actor=actor, at=now, obj=user, details={"changed": changed}
        )
    commit()
    return get_preferences(user)
