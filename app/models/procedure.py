from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class ProcessDefinition(db.Model):
    """One deployed version of a procedure; the parsed spec is stored once here, never per dossier."""

    __tablename__ = "process_definition"
    __table_args__ = (db.UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(db.String(64), index=True)
    version: Mapped[int] = mapped_column(db.Integer)
    sha256: Mapped[str] = mapped_column(db.String(64), unique=True)
    manifest: Mapped[dict] = mapped_column(db.JSON)
    # Deferred: a step needs only the compiled spec, which is cached by sha256 after the first load.
    sources: Mapped[dict] = mapped_column(db.JSON, deferred=True)
    serialized_spec: Mapped[str] = mapped_column(db.Text, deferred=True)
    status: Mapped[str] = mapped_column(db.String(16), default="active")
    deployed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forms: Mapped[list["ProcessForm"]] = relationship(back_populates="process_definition")

    @property
    def serves(self) -> dict:
        """The title this version serves (key, labels, code prefix), as its manifest declares it."""
        return self.manifest["serves"]

    @property
    def title_key(self) -> str:
        return self.manifest["serves"]["title"]


class ProcedureActivation(db.Model):
    """Which procedure version new dossiers of a title use: in one province, or everywhere (no province).

    A province's own row wins over the everywhere row; ``scope`` makes "one row per title and scope"
    a plain unique constraint (NULLs would not collide).
    """

    __tablename__ = "procedure_activation"
    __table_args__ = (db.UniqueConstraint("title", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(db.String(64), index=True)
    scope: Mapped[str] = mapped_column(db.String(40))
    province_id: Mapped[int | None] = mapped_column(db.ForeignKey("admin_unit.id"))
    process_definition_id: Mapped[int] = mapped_column(db.ForeignKey("process_definition.id"), index=True)
    activated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    process_definition: Mapped[ProcessDefinition] = relationship()
    province = relationship("AdminUnit")

    @staticmethod
    def scope_of(province_id: int | None) -> str:
        return "*" if province_id is None else f"unit:{province_id}"


class FormDefinition(db.Model):
    """A form (criteria set) by key: its immutable published versions and, while being edited, a draft."""

    __tablename__ = "form_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(db.String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The definition being edited in the builder; publishing turns it into the next version.
    draft: Mapped[dict | None] = mapped_column(db.JSON, deferred=True)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    draft_saved_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))

    versions: Mapped[list["FormVersion"]] = relationship(
        back_populates="form_definition", order_by="FormVersion.version"
    )


class FormVersion(db.Model):
    """Immutable once published: every submission keeps the version it was made with."""

    __tablename__ = "form_version"
    __table_args__ = (db.UniqueConstraint("form_definition_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_definition_id: Mapped[int] = mapped_column(db.ForeignKey("form_definition.id"), index=True)
    version: Mapped[int] = mapped_column(db.Integer)
    sha256: Mapped[str] = mapped_column(db.String(64), index=True)
    # Read only when an app first parses this version (services.procedures.form_for keeps the parsed form):
    # whoever loads a version row for its number or hash does not load and parse the whole form with it.
    definition: Mapped[dict] = mapped_column(db.JSON, deferred=True)
    published_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    form_definition: Mapped[FormDefinition] = relationship(back_populates="versions")


class ProcessForm(db.Model):
    """Which form version each formKey of a deployed procedure version uses."""

    __tablename__ = "process_form"
    __table_args__ = (db.UniqueConstraint("process_definition_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_definition_id: Mapped[int] = mapped_column(db.ForeignKey("process_definition.id"), index=True)
    form_key: Mapped[str] = mapped_column(db.String(64))
    form_version_id: Mapped[int] = mapped_column(db.ForeignKey("form_version.id"))

    process_definition: Mapped[ProcessDefinition] = relationship(back_populates="forms")
    form_version: Mapped[FormVersion] = relationship()
