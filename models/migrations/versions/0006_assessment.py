"""quarterly assessments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 05:10:00

Exports need no table (they are recorded in the audit log); quarterly assessments do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("hasil_kerja", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("perilaku_kerja", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("predikat", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["supervisor_id"], ["employee.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "employee_id", "year", "quarter", name="uq_assessment_employee_quarter"
        ),
    )


def downgrade() -> None:
    op.drop_table("assessment")
