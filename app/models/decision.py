from datetime import date, datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.dossier import Dossier
from app.models.types import UTCDateTime, utcnow
from app.models.unit import AdminUnit, Subject
from app.models.user import User

DECISION_KINDS = ("recognition", "commendation")
DECISION_STATUSES = ("draft", "issued", "revoked")


class Decision(db.Model):
    """A recognition decision (Quyết định công nhận) or a commendation (khen thưởng) with its annexed list.

    Drafted, reviewed and issued by the deciding official; issuing a recognition completes the decision
    step of every listed dossier in one transaction. Revoked with a reason, never deleted once issued.
    """

    __tablename__ = "decision"
    __table_args__ = (db.UniqueConstraint("issuing_unit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(db.String(16), index=True)
    title: Mapped[str] = mapped_column(db.String(64), index=True)
    year: Mapped[int] = mapped_column(db.Integer, index=True)
    number: Mapped[str] = mapped_column(db.String(64))
    signed_on: Mapped[date | None] = mapped_column(db.Date)
    signer: Mapped[str | None] = mapped_column(db.String(200))
    position: Mapped[str | None] = mapped_column(db.String(200))
    legal_basis: Mapped[str | None] = mapped_column(db.Text)
    issuing_unit_id: Mapped[int] = mapped_column(db.ForeignKey("admin_unit.id"), index=True)
    status: Mapped[str] = mapped_column(db.String(16), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(db.Text)
    # The generated PDF (stored by sha256 under DATA_DIR/documents), once the job has made it.
    document_sha256: Mapped[str | None] = mapped_column(db.String(64))

    issuing_unit: Mapped[AdminUnit] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    entries: Mapped[list["DecisionEntry"]] = relationship(
        back_populates="decision", order_by="DecisionEntry.position", cascade="all, delete-orphan"
    )


class DecisionEntry(db.Model):
    """One line of a decision's annex: a dossier, its subject's name as printed, and the code that its
    certificate's QR code verifies."""

    __tablename__ = "decision_entry"
    __table_args__ = (db.UniqueConstraint("decision_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(db.ForeignKey("decision.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(db.ForeignKey("dossier.id"), index=True)
    subject_id: Mapped[int] = mapped_column(db.ForeignKey("subject.id"), index=True)
    position: Mapped[int] = mapped_column(db.Integer)
    name_as_printed: Mapped[str] = mapped_column(db.String(200))
    # Random and unguessable: the public verification page is reached only from the certificate.
    verify_code: Mapped[str] = mapped_column(db.String(32), unique=True)
    certificate_sha256: Mapped[str | None] = mapped_column(db.String(64))

    decision: Mapped[Decision] = relationship(back_populates="entries")
    dossier: Mapped[Dossier] = relationship()
    subject: Mapped[Subject] = relationship()


class Target(db.Model):
    """The share of subjects a plan wants recognised for a title by a year: a national default
    (``unit_id`` empty, e.g. QĐ 387/QĐ-TTg) or a province's own, set by an admin."""

    __tablename__ = "target"
    __table_args__ = (db.UniqueConstraint("title", "year", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(db.String(64), index=True)
    year: Mapped[int] = mapped_column(db.Integer)
    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("admin_unit.id"), index=True)
    # Percent of the base (subjects in the registry), 0–100.
    rate: Mapped[float] = mapped_column(db.Float)
    source: Mapped[str] = mapped_column(db.String(255))
    set_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[AdminUnit | None] = relationship()
