"""Inbox indexes in the order each sort reads open tasks, for keyset pages

Revision ID: 5d984c8a59b3
Revises: 1fcf6e5cabea
Create Date: 2026-11-30 16:06:57.594898

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d984c8a59b3'
down_revision = '1fcf6e5cabea'
branch_labels = None
depends_on = None


def upgrade():
    # Autogenerate cannot read expression indexes back on SQLite, so the two due-date ones are written here.
    op.create_index("ix_human_task_open_due", "human_task", ["state", sa.text("(due_at IS NULL)"), "due_at", "id"])
    op.create_index(
        "ix_human_task_open_due_desc",
        "human_task",
        ["state", sa.text("(due_at IS NULL)"), sa.text("due_at DESC"), sa.text("id DESC")],
    )
    op.create_index("ix_human_task_open_created", "human_task", ["state", "created_at", "id"])


def downgrade():
    op.drop_index("ix_human_task_open_created", table_name="human_task")
    op.drop_index("ix_human_task_open_due_desc", table_name="human_task")
    op.drop_index("ix_human_task_open_due", table_name="human_task")
