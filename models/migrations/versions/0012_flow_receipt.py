"""flow receipts: a save committed before a kill is confirmed again, not called stale

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flow_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("flow", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("callback_data", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("finished_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "user_id", name="uq_flow_receipt_chat_user"),
    )


def downgrade() -> None:
    op.drop_table("flow_receipt")
