from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.unit import AdminUnit
from app.models.user import User

IMPORT_STATUSES = ("queued", "validating", "writing", "done", "rejected", "failed")


class RegistryImport(db.Model):
    """One uploaded registry file (households, clans, organisations...) and how its import went: rows
    checked so far (the progress bar), then either every row written or none, with the per-row report."""

    __tablename__ = "registry_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(db.String(32))
    filename: Mapped[str] = mapped_column(db.String(255))
    # The uploaded file, kept in the content-addressed blob store (app/services/blobs.py).
    sha256: Mapped[str] = mapped_column(db.String(64))
    # The unit the importer acted at: every row must fall in its subtree.
    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("admin_unit.id"))
    status: Mapped[str] = mapped_column(db.String(16), default="queued", index=True)
    total_rows: Mapped[int | None] = mapped_column(db.Integer)
    processed_rows: Mapped[int] = mapped_column(db.Integer, default=0)
    created_count: Mapped[int] = mapped_column(db.Integer, default=0)
    updated_count: Mapped[int] = mapped_column(db.Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(db.Integer, default=0)
    # [{"row": n, "errors": ["..."]}] for a rejected file; the error text of a failed run.
    report: Mapped[list] = mapped_column(db.JSON, default=list)
    error: Mapped[str | None] = mapped_column(db.Text)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[AdminUnit | None] = relationship()
    created_by: Mapped[User | None] = relationship()
