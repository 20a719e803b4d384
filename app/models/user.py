import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.unit import AdminUnit

# Applicants act only on their own subjects' dossiers, whatever unit the role is held at; officials act
# on their unit's subtree. Which steps a role does is the procedures' business (lanes), not the code's.
APPLICANT_ROLES = ("household", "applicant")
OFFICIAL_ROLES = (
    "village_head",
    "commune_officer",
    "commune_chairman",
    "district_officer",
    "emulation_committee",
    # Sở GD&ĐT: verifies what the province recognises or checks (commune learning communities after 2025).
    "province_officer",
    # Hội Khuyến học at a level: sees its area's dossiers and reports; no procedure gives it a lane, so it
    # decides nothing.
    "association",
)
# An inspector reads the audit log of its unit's subtree and nothing else: it is not an official role, so
# it opens no dossier and takes no task.
ROLES = (*APPLICANT_ROLES, *OFFICIAL_ROLES, "inspector", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(db.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(db.String(200))
    email: Mapped[str | None] = mapped_column(db.String(255))
    password_hash: Mapped[str] = mapped_column(db.String(255))
    active: Mapped[bool] = mapped_column(db.Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(db.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleAssignment.id"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    # The raw id of the browser session this object was loaded for, set by app.services.sessions (not a
    # column: the table keeps only its hash). Flask-Login stores get_id() in the cookie, so the cookie
    # names one session, which the server can end, rather than the account.
    session_token = None

    def get_id(self) -> str:
        if self.session_token is None:
            raise RuntimeError("sign in through app.services.sessions.start, which opens a session")
        return self.session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role("admin")

    @property
    def reads_audit(self) -> bool:
        return self.is_admin or self.has_role("inspector")

    @property
    def is_official(self) -> bool:
        return any(r.role in OFFICIAL_ROLES for r in self.roles)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(db.Model):
    """A role held at an administrative unit; jurisdiction is that unit's subtree."""

    __tablename__ = "role_assignment"
    __table_args__ = (db.UniqueConstraint("user_id", "role", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(db.String(32), index=True)
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("admin_unit.id"), index=True)

    user: Mapped[User] = relationship(back_populates="roles")
    # Every jurisdiction check reads the path of each role's unit: loaded with the roles, not one by one.
    unit: Mapped[AdminUnit] = relationship(lazy="joined", innerjoin=True)


class UserSession(db.Model):
    """A signed-in browser, kept on the server so logout, deactivation, role changes and an admin can
    end exactly the sessions they should, at once; the cookie only carries ``id``."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(db.String(32))
    user_agent: Mapped[str | None] = mapped_column(db.String(255))
    address: Mapped[str | None] = mapped_column(db.String(64))

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """Bearer token for the API; only its sha256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(db.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
