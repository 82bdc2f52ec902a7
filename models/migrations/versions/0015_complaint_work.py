"""complaint work as logged work: offers of a ready activity after desk work, and the SKP
target marked for complaint handling

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("skp_target", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("complaint_work", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "complaint_work_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("output_unit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("saved_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["target_id"], ["skp_target.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "employee_id", "complaint_id", "work_date", "action", name="uq_complaint_work_offer"
        ),
    )


def downgrade() -> None:
    op.drop_table("complaint_work_offer")
    with op.batch_alter_table("skp_target", schema=None) as batch_op:
        batch_op.drop_column("complaint_work")
