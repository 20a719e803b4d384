from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class IndicatorSnapshot(db.Model):
    """A derived indicator's value as the reviewer scored it (the share of a village's households
    recognised that year...), with the list it was computed from: written when the scoring step is
    submitted, never recomputed, so a later change below never alters a decision already taken."""

    __tablename__ = "indicator_snapshot"
    __table_args__ = (db.UniqueConstraint("dossier_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(db.ForeignKey("dossier.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(db.ForeignKey("submission.id"))
    # The form field that shows it, and the indicator kind that computed it.
    field: Mapped[str] = mapped_column(db.String(64))
    indicator: Mapped[str] = mapped_column(db.String(64))
    value: Mapped[float | None] = mapped_column(db.Float)
    numerator: Mapped[int | None] = mapped_column(db.Integer)
    denominator: Mapped[int | None] = mapped_column(db.Integer)
    # [{"subject_id", "code", "name", "counted": bool}] — what was counted, as it stood.
    basis: Mapped[list] = mapped_column(db.JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
