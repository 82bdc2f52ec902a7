"""Schema migrations (Alembic), run programmatically on a connection of the async engine.

Alembic (with Mako and Pygments behind it: about 6 MB and a fair part of the start-up) is imported
only when the database is not at the newest revision already, which it is at almost every start.
Revisions are numbered like their files (``0010_privacy_cleanup.py`` is revision ``"0010"``; a
unit test holds the two together), so the newest is known from the folder alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from models.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def newest_revision() -> str | None:
    """The newest revision as the files name it (no Alembic import)."""
    numbers = sorted(
        p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    )
    return numbers[-1] if numbers else None


async def stored_revision(db: Database) -> str | None:
    """The revision recorded in the database (None: none yet, or no table)."""
    try:
        async with db.engine.connect() as connection:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return result.scalar_one_or_none()
    except Exception:  # no such table: a new database
        return None


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Any, config: Config, revision: str) -> None:
    from alembic import command

    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade_database(db: Database, revision: str = "head") -> None:
    if revision == "head" and await stored_revision(db) == newest_revision():
        return
    config = alembic_config()
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade, config, revision)


def _current(connection: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def autogenerate(db: Database, message: str) -> None:
    """Developer helper: write a new revision from the difference between models and database."""
    from alembic import command

    config = alembic_config()

    def _revision(connection: Any) -> None:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)

    async with db.engine.begin() as connection:
        await connection.run_sync(_revision)
