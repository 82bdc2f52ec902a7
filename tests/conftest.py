"""Shared fixtures.

Databases: every test that asks for ``db`` runs once on SQLite and once on PostgreSQL. PostgreSQL
is the server named by SIGAP_TEST_POSTGRES_URL (default: the local trust-auth server); where it
cannot be reached the PostgreSQL half is skipped with the reason, except under CI=true, where an
unreachable server fails the run, so CI cannot pass without having tested PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from models.db import Database
from models.migrate import upgrade_database

if TYPE_CHECKING:
    from tests.e2e.harness import Harness

T = TypeVar("T")

POSTGRES_URL = os.environ.get(
    "SIGAP_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run set-up code on its own loop in a thread: session fixtures may be first requested
    from inside a test's running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy (migrating per test would dominate the run)."""
    path = tmp_path_factory.mktemp("template") / "sigap.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade_database(db)
        await db.dispose()

    _run(build())
    return path


async def _postgres_reachable(url: str) -> str | None:
    db = Database(url)
    try:
        async with db.read() as session:
            await session.execute(text("select 1"))
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throw-away database on the PostgreSQL server, migrated once for the session."""
    problem = _run(_postgres_reachable(POSTGRES_URL))
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL at {POSTGRES_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {problem}")
    name = f"sigap_test_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(POSTGRES_URL)
    url = admin_url.set(database=name).render_as_string(hide_password=False)

    async def admin(sql: str) -> None:
        db = Database(POSTGRES_URL)
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await db.dispose()

    async def migrate() -> None:
        db = Database(url)
        await upgrade_database(db)
        await db.dispose()

    _run(admin(f'CREATE DATABASE "{name}"'))
    _run(migrate())
    yield url
    _run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate_all(db: Database) -> None:
    from sqlmodel import SQLModel

    import models.assessment
    import models.inbox
    import models.outbox
    import models.schedule
    import models.survey
    import models.tables  # noqa: F401

    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with db.write() as session:
        await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "sigap.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_database")
    db = Database(url)
    await _truncate_all(db)
    await db.dispose()
    yield url


@pytest.fixture
async def postgres_url(postgres_database: str) -> AsyncIterator[str]:
    """For what only PostgreSQL does (a hot standby, several webhook receivers): the session's
    database, emptied. Mark such tests ``postgres``."""
    db = Database(postgres_database)
    await _truncate_all(db)
    await db.dispose()
    yield postgres_database


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
async def harness(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    from tests.e2e.harness import start_harness, stop_harness

    running = await start_harness(db_url, SIGAP_DATA_DIR=str(tmp_path / "data"))
    try:
        yield running
    finally:
        await stop_harness(running)


@pytest.fixture
async def office(harness: Harness) -> Harness:
    """The harness with the sample Belawan roster imported."""
    await harness.import_roster(EXAMPLES / "roster_belawan.csv")
    return harness


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long forms of the reliability suite (marker ``chaos``) run only under ``make chaos``
    (``SIGAP_CHAOS=1``); ``make test`` runs their quick forms."""
    if os.environ.get("SIGAP_CHAOS"):
        return
    skip = pytest.mark.skip(reason="long form: make chaos (SIGAP_CHAOS=1)")
    for item in items:
        if item.get_closest_marker("chaos"):
            item.add_marker(skip)
