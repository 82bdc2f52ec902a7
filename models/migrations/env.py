"""Alembic environment. Always invoked through ``models.migrate``, which hands over an open
connection, so that migrations run inside whatever event loop the caller has."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models.assessment
import models.inbox
import models.open311
import models.outbox
import models.schedule
import models.survey
import models.tables  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
