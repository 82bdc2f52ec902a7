"""PostgreSQL's pool (``models.db``): a connection is handed out without a round trip to check
it, yet one the server closed is never handed out; readers run outside a transaction and leave
nothing of that to the writer that takes their connection next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from models.db import Database
from models.tables import TelegramUser

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Database]:
    db = Database(postgres_url)
    yield db
    await db.dispose()


async def _backend(session: Any) -> int:
    return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    """What a server restart (or an operator's pg_terminate_backend) does to a connection."""
    admin = Database(url)
    try:
        async with admin.read() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            name = make_url(url).database
            for _ in range(200):  # until the backend has exited
                gone = await session.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid AND datname = :n"),
                    {"pid": pid, "n": name},
                )
                if gone.scalar_one() == 0:
                    return
                await asyncio.sleep(0.01)
    finally:
        await admin.dispose()


async def test_a_connection_the_server_closed_is_replaced_before_it_is_used(
    pg: Database, postgres_url: str
) -> None:
    async with pg.read() as session:
        before = await _backend(session)
    await _terminate(postgres_url, before)
    await asyncio.sleep(0.05)  # the end of the stream read by the event loop
    # The same pooled connection (the pool hands out the last returned) is replaced, and
    # neither the read nor the write meets the closed one.
    async with pg.read() as session:
        after = await _backend(session)
    assert after != before
    async with pg.write() as session:
        session.add(TelegramUser(id=7, first_name="Ani"))
    async with pg.read() as session:
        assert (await session.get(TelegramUser, 7)) is not None


async def test_readers_run_outside_a_transaction_and_writers_inside_one(pg: Database) -> None:
    began = text("SELECT transaction_timestamp()")
    async with pg.read() as session:
        reader = await _backend(session)
        first = (await session.execute(began)).scalar_one()
        await asyncio.sleep(0.01)
        # Outside a transaction each statement is one of its own: no BEGIN, no ROLLBACK.
        assert (await session.execute(began)).scalar_one() > first
    # The writer after it gets the same connection, in a transaction: a failure leaves
    # nothing behind.
    with pytest.raises(RuntimeError):
        async with pg.write() as session:
            assert await _backend(session) == reader
            first = (await session.execute(began)).scalar_one()
            session.add(TelegramUser(id=8, first_name="half"))
            await session.flush()
            await asyncio.sleep(0.01)
            assert (await session.execute(began)).scalar_one() == first
            raise RuntimeError("crash in the middle")
    async with pg.read() as session:
        assert (await session.execute(select(TelegramUser))).scalars().all() == []
