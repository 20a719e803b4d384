from datetime import datetime

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.extensions import db
from app.models.campaign import Campaign
from app.models.procedure import FormVersion, ProcessDefinition
from app.models.types import UTCDateTime, utcnow
from app.models.unit import PATH, AdminUnit, Subject
from app.models.user import User

DOSSIER_STATUSES = ("in_progress", "returned", "recognized", "not_recognized", "rejected")
FINAL_STATUSES = ("recognized", "not_recognized", "rejected")


class Dossier(db.Model):
    __tablename__ = "dossier"
    __table_args__ = (
        db.UniqueConstraint("subject_id", "title", "year"),
        # The progress report counts a title's dossiers of one year by village and status under a
        # unit's path, from the index alone.
        db.Index("ix_dossier_report", "title", "year", "unit_path", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(db.String(32), unique=True)
    title: Mapped[str] = mapped_column(db.String(64), index=True)
    year: Mapped[int] = mapped_column(db.Integer, index=True)
    subject_id: Mapped[int] = mapped_column(db.ForeignKey("subject.id"), index=True)
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("admin_unit.id"), index=True)
    # Copy of the subject unit's path so jurisdiction filters are a prefix match on this table alone.
    unit_path: Mapped[str] = mapped_column(PATH, index=True)
    process_definition_id: Mapped[int] = mapped_column(db.ForeignKey("process_definition.id"))
    # The year's campaign it runs under, when the province has one: its deadlines set the due dates.
    campaign_id: Mapped[int | None] = mapped_column(db.ForeignKey("campaign.id"), index=True)
    # Deferred: lists and the inbox never need the workflow state, only a step does.
    state: Mapped[str] = mapped_column(db.Text, deferred=True)
    # The format the state was written in, so stored states can be upgraded when the engine changes.
    serializer_version: Mapped[str | None] = mapped_column(db.String(16))
    status: Mapped[str] = mapped_column(db.String(20), index=True, default="in_progress")
    status_reason: Mapped[str | None] = mapped_column(db.Text)
    current_step: Mapped[str | None] = mapped_column(db.String(255))
    self_score: Mapped[int | None] = mapped_column(db.Integer)
    score: Mapped[int | None] = mapped_column(db.Integer)
    rating: Mapped[str | None] = mapped_column(db.String(32))
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    row_version: Mapped[int] = mapped_column(db.Integer, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Optimistic lock: a concurrent step that read the same version fails instead of overwriting.
    __mapper_args__ = {"version_id_col": row_version}

    subject: Mapped[Subject] = relationship()
    unit: Mapped[AdminUnit] = relationship()
    process_definition: Mapped[ProcessDefinition] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    tasks: Mapped[list["HumanTask"]] = relationship(back_populates="dossier", order_by="HumanTask.id")

    @property
    def is_final(self) -> bool:
        # A procedure may end in outcomes of its own; reaching any end is what makes a dossier final.
        return self.completed_at is not None


# The partial indexes' conditions, written as literals: a planner uses such an index only for a query
# that says the same (app/inbox/query.py's OPEN).
OFFICIALS_OPEN = db.text("state = 'open' AND subject_id IS NULL")
AT_DESK_OPEN = db.text("state = 'open' AND at_desk")


class HumanTask(db.Model):
    """The inbox projection of a READY user task: the inbox reads only this table."""

    __tablename__ = "human_task"
    __table_args__ = (
        db.UniqueConstraint("dossier_id", "task_id"),
        db.Index("ix_human_task_inbox", "state", "role", "unit_path"),
        # The inbox's sorts, read in order from an index of officials' open tasks (a page stops after
        # per_page + 1 rows, and a cursor page starts in the middle): an official's tasks are those of its
        # role, so the role leads; the path at the end lets the jurisdiction be checked in the index. The
        # expression is the sort's "no due date last" key, written as app/inbox/query.py orders by it.
        # "created" and "-created" share one index (read backwards). Closed tasks are never listed.
        db.Index(
            "ix_human_task_open_due",
            "role",
            db.text("(due_at IS NULL)"),
            "due_at",
            "id",
            "unit_path",
            sqlite_where=OFFICIALS_OPEN,
            postgresql_where=OFFICIALS_OPEN,
        ),
        db.Index(
            "ix_human_task_open_due_desc",
            "role",
            db.text("(due_at IS NULL)"),
            db.text("due_at DESC"),
            db.text("id DESC"),
            "unit_path",
            sqlite_where=OFFICIALS_OPEN,
            postgresql_where=OFFICIALS_OPEN,
        ),
        db.Index(
            "ix_human_task_open_created",
            "role",
            "created_at",
            "id",
            "unit_path",
            sqlite_where=OFFICIALS_OPEN,
            postgresql_where=OFFICIALS_OPEN,
        ),
        # The desk's open tasks by place, with what a page sorts by: read without the table.
        db.Index(
            "ix_human_task_open_desk",
            "unit_path",
            "due_at",
            "created_at",
            "id",
            sqlite_where=AT_DESK_OPEN,
            postgresql_where=AT_DESK_OPEN,
        ),
        # Most tasks are officials' (no subject): left out, so that "subject_id IS NULL" is never looked up
        # here (SQLite would take it for a rare value and read a third of the table).
        db.Index(
            "ix_human_task_subject_id",
            "subject_id",
            sqlite_where=db.text("subject_id IS NOT NULL"),
            postgresql_where=db.text("subject_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(db.ForeignKey("dossier.id"), index=True)
    task_id: Mapped[str] = mapped_column(db.String(36))
    name: Mapped[str] = mapped_column(db.String(64), index=True)
    label: Mapped[dict] = mapped_column(db.JSON)
    title: Mapped[str] = mapped_column(db.String(64), index=True)
    lane: Mapped[str | None] = mapped_column(db.String(64))
    role: Mapped[str] = mapped_column(db.String(32))
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("admin_unit.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PATH)
    subject_id: Mapped[int | None] = mapped_column(db.ForeignKey("subject.id"))
    # Held by a subject without an account, so served at the desk: a copy of "the holder's account is
    # empty" for the desk's inbox, which would otherwise look up every household of a commune on each page.
    # Kept in step with the account below; whether one may act on a task reads the subject itself.
    at_desk: Mapped[bool] = mapped_column(db.Boolean, default=False, server_default=db.false())
    state: Mapped[str] = mapped_column(db.String(16), default="open")
    form_key: Mapped[str | None] = mapped_column(db.String(64))
    form_version_id: Mapped[int | None] = mapped_column(db.ForeignKey("form_version.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set once when the task passes its due date and the unit above has been told.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"))

    dossier: Mapped[Dossier] = relationship(back_populates="tasks")
    unit: Mapped[AdminUnit] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    form_version: Mapped[FormVersion | None] = relationship()

    def is_overdue(self, now: datetime) -> bool:
        return self.state == "open" and self.due_at is not None and self.due_at < now


class TaskDraft(db.Model):
    """Answers saved without validation by whoever holds a task, to come back to; theirs alone, and
    gone once the task is completed."""

    __tablename__ = "task_draft"
    __table_args__ = (db.UniqueConstraint("human_task_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(db.ForeignKey("human_task.id"), index=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"))
    data: Mapped[dict] = mapped_column(db.JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Submission(db.Model):
    """What was submitted at a step, with the form version used and the computed score."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(db.ForeignKey("dossier.id"), index=True)
    human_task_id: Mapped[int] = mapped_column(db.ForeignKey("human_task.id"), unique=True)
    form_version_id: Mapped[int] = mapped_column(db.ForeignKey("form_version.id"))
    task_name: Mapped[str] = mapped_column(db.String(64))
    data: Mapped[dict] = mapped_column(db.JSON)
    score: Mapped[dict | None] = mapped_column(db.JSON)
    actor_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    form_version: Mapped[FormVersion] = relationship()
    actor: Mapped[User] = relationship()
    human_task: Mapped[HumanTask] = relationship()


class EvidenceFile(db.Model):
    """Metadata of an uploaded file; the content lives on disk under its sha256."""

    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(db.ForeignKey("dossier.id"), index=True)
    criterion: Mapped[str | None] = mapped_column(db.String(32))
    sha256: Mapped[str] = mapped_column(db.String(64), index=True)
    size: Mapped[int] = mapped_column(db.Integer)
    mime_type: Mapped[str] = mapped_column(db.String(64))
    original_name: Mapped[str] = mapped_column(db.String(255))
    uploaded_by_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship()


class Comment(db.Model):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(db.ForeignKey("dossier.id"), index=True)
    author_id: Mapped[int] = mapped_column(db.ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(db.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


@event.listens_for(Session, "before_flush")
def _desk_follows_the_account(session, flush_context, instances):
    """A subject given an account (or losing it) takes its tasks to (or from) the desk in the same flush."""
    for subject in session.dirty:
        if isinstance(subject, Subject) and inspect(subject).attrs.account_id.history.has_changes():
            session.connection().execute(
                update(HumanTask)
                .where(HumanTask.subject_id == subject.id)
                .values(at_desk=subject.account_id is None)
            )
