"""feedback notes from supervisors

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 05:10:00

Decisions on entries use the review columns ``activity`` already has (status, reviewer_id,
review_note, reviewed_at) plus a "reviewed" row in ``activity_history`` and the audit log; the
supervisor's nudges are keyed outbox rows. Only the feedback notes need a table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["supervisor_id"], ["employee.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback_note", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_note_employee_created", ["employee_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_note", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_note_employee_created")
    op.drop_table("feedback_note")
