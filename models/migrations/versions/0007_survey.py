"""SKM survey: services, anonymous responses, receipts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 05:10:00

Services people rate (``survey_service``; the Belawan defaults are added by
``sigap skm services seed``), anonymous answers (``survey_response``) and the keyed receipts
that allow one answer per person, unit, service and quarter (``survey_receipt``, unlinked to
the answers: see ``models.survey``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ELEMENTS = (
    "persyaratan",
    "prosedur",
    "waktu",
    "biaya",
    "produk",
    "kompetensi",
    "perilaku",
    "sarana",
    "pengaduan",
)


def upgrade() -> None:
    op.create_table(
        "survey_receipt",
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("survey_receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_receipt_period"), ["period"], unique=False)

    op.create_table(
        "survey_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("survey_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_service_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("service_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        *[sa.Column(element, sa.SmallInteger(), nullable=False) for element in ELEMENTS],
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("age", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("education", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("occupation", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.ForeignKeyConstraint(["service_id"], ["survey_service.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index("ix_survey_response_unit_period", ["unit_id", "period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_response_unit_period")
    op.drop_table("survey_response")
    with op.batch_alter_table("survey_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_service_unit_id"))
    op.drop_table("survey_service")
    with op.batch_alter_table("survey_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_receipt_period"))
    op.drop_table("survey_receipt")
