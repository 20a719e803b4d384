"""Inbox pages read one role's open tasks in sort order, the desk's from a flag on the task; unit paths compare byte by byte on PostgreSQL

Revision ID: 9b1e4f7c2a60
Revises: 5d984c8a59b3
Create Date: 2026-11-30 18:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9b1e4f7c2a60"
down_revision = "5d984c8a59b3"
branch_labels = None
depends_on = None

OFFICIALS_OPEN = sa.text("state = 'open' AND subject_id IS NULL")
AT_DESK_OPEN = sa.text("state = 'open' AND at_desk")
HELD = sa.text("subject_id IS NOT NULL")
PATHS = (("admin_unit", "path"), ("dossier", "unit_path"), ("human_task", "unit_path"))


def _partial(name, columns, where):
    op.create_index(name, "human_task", columns, sqlite_where=where, postgresql_where=where)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # A subtree is a range of paths only when "/" sorts as a byte (app/models/unit.py's PATH).
        for table, column in PATHS:
            op.alter_column(table, column, type_=sa.String(255, collation="C"), existing_nullable=False)
    # Not a batch: SQLite adds a column in place, and a copied table would lose the expression indexes.
    op.add_column("human_task", sa.Column("at_desk", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE human_task SET at_desk = true WHERE subject_id IN (SELECT id FROM subject WHERE account_id IS NULL)"
    )
    # Written by hand: autogenerate cannot read expression or partial indexes back on SQLite.
    op.drop_index("ix_human_task_open_created", table_name="human_task")
    op.drop_index("ix_human_task_open_due_desc", table_name="human_task")
    op.drop_index("ix_human_task_open_due", table_name="human_task")
    op.drop_index("ix_human_task_subject_id", table_name="human_task")
    _partial(
        "ix_human_task_open_due",
        ["role", sa.text("(due_at IS NULL)"), "due_at", "id", "unit_path"],
        OFFICIALS_OPEN,
    )
    _partial(
        "ix_human_task_open_due_desc",
        ["role", sa.text("(due_at IS NULL)"), sa.text("due_at DESC"), sa.text("id DESC"), "unit_path"],
        OFFICIALS_OPEN,
    )
    _partial("ix_human_task_open_created", ["role", "created_at", "id", "unit_path"], OFFICIALS_OPEN)
    _partial("ix_human_task_open_desk", ["unit_path", "due_at", "created_at", "id"], AT_DESK_OPEN)
    _partial("ix_human_task_subject_id", ["subject_id"], HELD)


def downgrade():
    for name in (
        "ix_human_task_subject_id",
        "ix_human_task_open_desk",
        "ix_human_task_open_created",
        "ix_human_task_open_due_desc",
        "ix_human_task_open_due",
    ):
        op.drop_index(name, table_name="human_task")
    op.drop_column("human_task", "at_desk")
    op.create_index("ix_human_task_subject_id", "human_task", ["subject_id"])
    op.create_index(
        "ix_human_task_open_due", "human_task", ["state", sa.text("(due_at IS NULL)"), "due_at", "id"]
    )
    op.create_index(
        "ix_human_task_open_due_desc",
        "human_task",
        ["state", sa.text("(due_at IS NULL)"), sa.text("due_at DESC"), sa.text("id DESC")],
    )
    op.create_index("ix_human_task_open_created", "human_task", ["state", "created_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        for table, column in PATHS:
            op.alter_column(table, column, type_=sa.String(255), existing_nullable=False)
