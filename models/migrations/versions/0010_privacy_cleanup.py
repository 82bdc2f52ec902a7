"""forget anonymous reporters' names; file names that do not fit their column

Nobody may see an anonymous reporter's name, so it is no longer kept (only the chat id, to
answer them). File names longer than the 200-character column were accepted by SQLite only;
they are shortened the way new ones are, so that the data can move to PostgreSQL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.files import FILE_NAME_LENGTH, safe_file_name

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    complaint = sa.table(
        "complaint", sa.column("privacy", sa.String), sa.column("reporter_name", sa.String)
    )
    op.execute(complaint.update().where(complaint.c.privacy == "anonim").values(reporter_name=None))
    bind = op.get_bind()
    for name in ("complaint_attachment", "activity_evidence"):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("file_name", sa.String))
        long_names = bind.execute(
            sa.select(table.c.id, table.c.file_name).where(
                sa.func.length(table.c.file_name) > FILE_NAME_LENGTH
            )
        ).all()
        for row_id, file_name in long_names:
            bind.execute(
                table.update()
                .where(table.c.id == row_id)
                .values(file_name=safe_file_name(file_name))
            )


def downgrade() -> None:
    pass  # what was removed cannot come back
