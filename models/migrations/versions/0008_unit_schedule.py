"""unit schedules (reminder times, digest day); longer job periods

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_schedule",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("reminder_times", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("digest_mode", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id"),
    )
    # Periods now name the time zone too ("2026-W49:monday:Asia/Jayapura").
    with op.batch_alter_table("job_run") as batch:
        batch.alter_column(
            "period",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sqlmodel.sql.sqltypes.AutoString(length=80),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("job_run") as batch:
        batch.alter_column(
            "period",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=80),
            type_=sqlmodel.sql.sqltypes.AutoString(length=40),
            existing_nullable=False,
        )
    op.drop_table("unit_schedule")
