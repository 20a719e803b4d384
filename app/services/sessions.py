"""Signed-in browser sessions, kept on the server so they end when they should: at logout, when the
account is deactivated, loses a role or gets a new password, when an admin ends them, and after the idle
and absolute timeouts (``SESSION_IDLE_MINUTES``, ``SESSION_MAX_HOURS``). API bearer tokens are separate
(app.services.accounts).

The cookie carries a random id; the table keeps only its sha256, so a copy of the database, a backup or
the admin page (which names sessions by that hash) gives nobody a cookie that works.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.models import User, UserSession
from app.services import audit
from app.services.errors import NotFound
from app.services.uow import commit

# last_seen_at is written at most this often per session: writing it on every request would turn every
# page view into a write transaction (on SQLite, a turn at the single writer lock beside the workflow's
# own commits), and a minute is fine-grained enough for an idle timeout counted in minutes.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


def start(user: User, *, now: datetime, user_agent: str | None, address: str | None) -> None:
    """Open a session for a user who has just proved who they are; its id, for the cookie, is attached
    to ``user`` (User.get_id hands it to Flask-Login)."""
    raw_id = secrets.token_urlsafe(32)
    row = UserSession(
        id=_hash(raw_id),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:255] or None,
        address=(address or "")[:64] or None,
    )
    db.session.add(row)
    audit.record(
        "session.started",
        actor=user,
        at=now,
        obj=user,
        details={"session": row.id[:12], "address": row.address},
    )
    commit()
    user.session_token = raw_id


def _expiry(row: UserSession, now: datetime) -> str | None:
    config = current_app.config
    if now - row.created_at >= timedelta(hours=config["SESSION_MAX_HOURS"]):
        return "expired"
    if now - row.last_seen_at >= timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return "idle"
    return None


def state(row: UserSession, now: datetime) -> str:
    """``open``, the reason it ended, or the timeout it has run into but nobody has noticed yet."""
    return row.ended_reason or _expiry(row, now) or "open"


def _end(row: UserSession, reason: str, *, actor: User | None, now: datetime) -> None:
    row.ended_at = now
    row.ended_reason = reason
    audit.record(
        "session.ended", actor=actor, at=now, obj=row.user, details={"session": row.id[:12], "reason": reason}
    )


def user_for(raw_id: str, *, now: datetime) -> User | None:
    """The account behind a cookie's session id, or None when that session has ended or timed out."""
    row = db.session.get(UserSession, _hash(raw_id))
    if row is None or row.ended_at is not None:
        return None
    expiry = _expiry(row, now)
    if expiry is not None:
        _end(row, expiry, actor=None, now=now)
        commit()
        return None
    # Deactivation ends the sessions itself; this covers a sign-in that raced with it.
    if not row.user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        commit()
    row.user.session_token = raw_id
    return row.user


def end_current(raw_id: str, *, reason: str, actor: User | None, now: datetime) -> None:
    """End the session this browser holds (logout, or a new sign-in over it)."""
    row = db.session.get(UserSession, _hash(raw_id))
    if row is not None and row.ended_at is None:
        _end(row, reason, actor=actor, now=now)
        commit()


def end_open(user: User, *, reason: str, actor: User | None, now: datetime) -> int:
    """End every open session of ``user`` in the caller's transaction, so the change that caused it
    (deactivation, a revoked role, a new password) and the logouts are committed together."""
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).all()
    for row in rows:
        _end(row, reason, actor=actor, now=now)
    return len(rows)


def end_every_open(*, reason: str, now: datetime) -> int:
    """End every open session of every user in the caller's transaction (one statement, no audit row
    each: the caller's own audit event says why); returns how many there were."""
    ended = db.session.execute(
        update(UserSession)
        .where(UserSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return ended.rowcount


def end_one(user_id: int, session_id: str, *, actor: User | None, now: datetime) -> None:
    """An admin ends one of a user's sessions (named by its stored hash); ending an ended one is a no-op."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFound(_("Không tìm thấy phiên đăng nhập."))
    if row.ended_at is None:
        _end(row, "admin", actor=actor, now=now)
        commit()


def end_all(user_id: int, *, actor: User | None, now: datetime) -> int:
    """An admin ends every open session of a user; returns how many there were."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không tìm thấy người dùng."))
    ended = end_open(user, reason="admin", actor=actor, now=now)
    commit()
    return ended


def for_user(user_id: int, *, limit: int = 20) -> list[UserSession]:
    """A user's sessions for the admin page: open ones first, then the most recent."""
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id)
        .order_by(UserSession.ended_at.is_not(None), UserSession.created_at.desc())
        .limit(limit)
    ).all()
