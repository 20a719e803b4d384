from datetime import date, datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.procedure import FormVersion, ProcessDefinition
from app.models.types import UTCDateTime, utcnow
from app.models.unit import AdminUnit, Subject
from app.models.user import User

CAMPAIGN_STATUSES = ("draft", "open", "closed")


class Campaign(db.Model):
    """A province's yearly round of one title (domain.md §4): which procedure version and criteria set,
    when subjects register, which period the evidence covers, when self-assessment runs, and a deadline
    per step that becomes the due date of that step's tasks."""

    __tablename__ = "campaign"
    __table_args__ = (db.UniqueConstraint("province_id", "title", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(db.ForeignKey("admin_unit.id"), index=True)
    title: Mapped[str] = mapped_column(db.String(64), index=True)
    year: Mapped[int] = mapped_column(db.Integer, index=True)
    name: Mapped[str | None] = mapped_column(db.String(200))
    # None: the version active for the province when a dossier opens.
    process_definition_id: Mapped[int | None] = mapped_column(db.ForeignKey("process_definition.id"))
    criteria_version_id: Mapped[int | None] = mapped_column(db.ForeignKey("form_version.id"))
    registration_from: Mapped[date] = mapped_column(db.Date)
    registration_to: Mapped[date] = mapped_column(db.Date)
    evidence_from: Mapped[date] = mapped_column(db.Date)
    evidence_to: Mapped[date] = mapped_column(db.Date)
    assessment_from: Mapped[date] = mapped_column(db.Date)
    assessment_to: Mapped[date] = mapped_column(db.Date)
    # task name (BPMN id) → last day ("YYYY-MM-DD"), local time; a task's due date is the end of that day.
    deadlines: Mapped[dict] = mapped_column(db.JSON, default=dict)
    status: Mapped[str] = mapped_column(db.String(16), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    province: Mapped[AdminUnit] = relationship()
    process_definition: Mapped[ProcessDefinition | None] = relationship()
    criteria_version: Mapped[FormVersion | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class Registration(db.Model):
    """A subject's đăng ký phấn đấu for a campaign; its dossier opens when self-assessment does."""

    __tablename__ = "registration"
    __table_args__ = (db.UniqueConstraint("campaign_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(db.ForeignKey("campaign.id"), index=True)
    subject_id: Mapped[int] = mapped_column(db.ForeignKey("subject.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dossier_id: Mapped[int | None] = mapped_column(db.ForeignKey("dossier.id"), unique=True)

    campaign: Mapped[Campaign] = relationship()
    subject: Mapped[Subject] = relationship()
    registered_by: Mapped[User | None] = relationship()
    dossier: Mapped["Dossier | None"] = relationship()  # noqa: F821  (app.models.dossier imports this module)
