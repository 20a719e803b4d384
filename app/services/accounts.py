"""Accounts, role assignments and API tokens."""

import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.models import ROLES, AdminUnit, ApiToken, HumanTask, RoleAssignment, User
from app.services import audit, sessions
from app.services.bounds import EMAIL, PASSWORD, check_lengths, length_errors, limit, too_long
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.units import unit_by_code_or_name
from app.services.uow import commit

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 8


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput({"password": [_("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_PASSWORD)]})
    check_lengths({"password": (password, PASSWORD)})


def _email_problem(email: str) -> str | None:
    """Why ``email`` is not an address one can write to, or None. The common rule, not RFC 5322's
    grammar: one @, something before it, a domain with a dot after it, no spaces."""
    message = too_long(email, EMAIL)
    if message is not None:
        return message
    local, at, domain = email.partition("@")
    labels = domain.split(".")
    if (
        not (local and at and len(labels) > 1 and all(labels))
        or "@" in domain
        or any(c.isspace() for c in email)
    ):
        return _("Thư điện tử không đúng dạng địa chỉ (ví dụ: ten@xa.gov.vn).")
    return None


def create_user(
    username: str,
    full_name: str,
    password: str,
    *,
    actor: User | None,
    now: datetime,
    email: str | None = None,
) -> User:
    username = (username or "").strip().lower()
    full_name = (full_name or "").strip()
    email = (email or "").strip() or None
    errors = length_errors({"full_name": (full_name, limit(User.full_name))})
    if not USERNAME_RE.match(username):
        errors["username"] = [_("Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch.")]
    if not full_name:
        errors["full_name"] = [_("Vui lòng nhập họ và tên.")]
    if email is not None and (problem := _email_problem(email)):
        errors["email"] = [problem]
    if errors:
        raise InvalidInput(errors)
    _check_password(password)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(_("Tên đăng nhập %(u)s đã tồn tại.", u=username))
    user = User(username=username, full_name=full_name, email=email, active=True, created_at=now)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor=actor, at=now, obj=user, details={"username": username})
    commit()
    return user


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không tìm thấy người dùng."))
    return user


def _revoke_tokens(user: User, now: datetime) -> None:
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now


def revoke_every_token(*, now: datetime) -> int:
    """Revoke every API token not yet revoked, in the caller's transaction; returns how many there were."""
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return revoked.rowcount


def _release_claims(
    user: User, *, actor: User | None, now: datetime, role: str | None = None, unit_path: str | None = None
) -> int:
    """Put the user's claimed open tasks back in the queue, so nobody's work is stuck behind them."""
    query = select(HumanTask).where(HumanTask.claimed_by_id == user.id, HumanTask.state == "open")
    if role is not None:
        query = query.where(
            HumanTask.role == role, HumanTask.unit_path.startswith(unit_path, autoescape=True)
        )
    released = 0
    for task in db.session.scalars(query):
        task.claimed_by_id = None
        task.claimed_at = None
        audit.record(
            "task.released",
            actor=actor,
            at=now,
            dossier_id=task.dossier_id,
            obj=task,
            details={"task": task.name, "task_label": task.label, "from": user.username},
        )
        released += 1
    return released


def set_active(user_id: int, active: bool, *, actor: User | None, now: datetime) -> User:
    """Activate or deactivate; a deactivated account loses its tokens, sessions and claimed tasks, and
    reactivating it brings none of them back."""
    user = _get_user(user_id)
    if actor is not None and user.id == actor.id and not active:
        raise Conflict(_("Không thể tự khóa tài khoản của chính mình."))
    user.active = active
    if not active:
        _revoke_tokens(user, now)
        sessions.end_open(user, reason="deactivated", actor=actor, now=now)
        _release_claims(user, actor=actor, now=now)
    audit.record("user.activated" if active else "user.deactivated", actor=actor, at=now, obj=user)
    commit()
    return user


def reset_password(user_id: int, password: str, *, actor: User | None, now: datetime) -> User:
    """Set a new password; the old sessions and API tokens stop working."""
    user = _get_user(user_id)
    _check_password(password)
    user.set_password(password)
    _revoke_tokens(user, now)
    sessions.end_open(user, reason="password_reset", actor=actor, now=now)
    audit.record("user.password_reset", actor=actor, at=now, obj=user)
    commit()
    return user


def assign_role(
    user_id: int, role: str, unit_code: str, *, actor: User | None, now: datetime
) -> RoleAssignment:
    user = _get_user(user_id)
    if role not in ROLES:
        raise InvalidInput({"role": [_("Vai trò không hợp lệ.")]})
    # The text is named in the "not found" message: one no code or name can be is refused before it.
    check_lengths({"unit": (unit_code, max(limit(AdminUnit.code), limit(AdminUnit.name)))})
    # A code, or a name borne by one unit only: "An Hòa" is what an admin knows of the commune.
    unit = unit_by_code_or_name(unit_code)
    existing = db.session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id, RoleAssignment.role == role, RoleAssignment.unit_id == unit.id
        )
    )
    if existing is not None:
        return existing
    assignment = RoleAssignment(user=user, role=role, unit=unit)
    db.session.add(assignment)
    db.session.flush()
    audit.record("role.assigned", actor=actor, at=now, obj=user, details={"role": role, "unit": unit.code})
    commit()
    return assignment


def revoke_role(assignment_id: int, *, actor: User | None, now: datetime, user_id: int | None = None) -> None:
    """Remove a role assignment; with ``user_id`` (the user page it was asked from), only that user's."""
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or (user_id is not None and assignment.user_id != user_id):
        raise NotFound(_("Không tìm thấy phân quyền."))
    audit.record(
        "role.revoked",
        actor=actor,
        at=now,
        obj=assignment.user,
        details={"role": assignment.role, "unit": assignment.unit.code},
    )
    _release_claims(
        assignment.user, actor=actor, now=now, role=assignment.role, unit_path=assignment.unit.path
    )
    # A page opened with the role (a claimed task's form, say) must not outlive it: sign in again.
    sessions.end_open(assignment.user, reason="role_revoked", actor=actor, now=now)
    db.session.delete(assignment)
    commit()


def authenticate(username: str, password: str) -> User | None:
    """The active account with these credentials, or None. ``InvalidInput`` for a name or password
    longer than any account's can be: that is no guess at one, and is not hashed."""
    username = (username or "").strip().lower()
    check_lengths({"username": (username, limit(User.username)), "password": (password, PASSWORD)})
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def issue_token(user: User, *, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=ApiToken.hash_token(token), created_at=now))
    audit.record("token.issued", actor=user, at=now, obj=user)
    commit()
    return token


def user_for_token(token: str, *, now: datetime) -> User | None:
    """The active account a bearer token belongs to, unless the token is revoked or expired."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash_token(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if row.created_at + timedelta(days=current_app.config["API_TOKEN_DAYS"]) < now:
        return None
    return row.user
