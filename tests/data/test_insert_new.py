"""``models.db.insert_new`` on both databases: only new keys written (their ids returned), one
statement compiled once whatever the number of rows, and on PostgreSQL the outbox's NOTIFY sent
by its INSERT (``notified``): at commit, only when a row was written, never for a rollback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Integer, event, literal, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlmodel import col

from models import outbox_wake
from models.db import Database, insert_new, notified
from models.one_trip import Earlier, Prepared, run
from models.outbox import OutboxMessage, enqueue, enqueue_many, text_payload
from models.outbox_steps import enqueue_steps

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
# A first step of a trip that gives an id, as a decision's history row does.
_AN_ID = Prepared(select(literal(7, Integer)))


def _row(key: str) -> dict[str, Any]:
    return {
        "key": key,
        "chat_id": 1,
        "kind": "test",
        "payload": text_payload(key),
        "status": "pending",
        "attempts": 0,
        "not_before": None,
        "created_at": NOW,
        "updated_at": NOW,
    }


async def test_only_new_rows_written_by_a_statement_compiled_once(db: Database) -> None:
    seen: list[tuple[str, Any]] = []

    def executed(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        context = _[-2]
        if sql.startswith("INSERT INTO outbox_message"):
            seen.append((sql, context.cache_hit))

    event.listen(db.engine.sync_engine, "after_cursor_execute", executed)
    async with db.write() as session:
        one = await insert_new(session, OutboxMessage, [_row("a")], key=["key"])
        again = await insert_new(session, OutboxMessage, [_row("a")], key=["key"])
        several = await insert_new(
            session, OutboxMessage, [_row("a"), _row("b"), _row("c")], key=["key"]
        )
        more = await insert_new(session, OutboxMessage, [_row("d"), _row("e")], key=["key"])
    async with db.read() as session:
        rows = await session.execute(select(col(OutboxMessage.key), col(OutboxMessage.id)))
        ids: dict[str, int | None] = {key: id_ for key, id_ in rows.all()}

    assert one == {ids["a"]} and again == set()
    assert several == {ids["b"], ids["c"]}
    assert more == {ids["d"], ids["e"]}
    assert len(seen) == 4  # one statement each, several rows included
    # Compiled at its first use (once for one row, once for several), then taken from
    # SQLAlchemy's cache: never compiled per call (a multi-row VALUES was: it has no cache key).
    assert seen[1][1] == CacheStats.CACHE_HIT
    assert seen[3][1] == CacheStats.CACHE_HIT
    assert CacheStats.NO_CACHE_KEY not in {hit for _, hit in seen}


async def test_notified_refuses_what_is_not_a_channel_name() -> None:
    with pytest.raises(ValueError):
        notified("x'); DROP TABLE outbox_message; --")


@asynccontextmanager
async def _listening(db: Database) -> AsyncIterator[list[str]]:
    """The notifications another connection receives on the outbox's channel."""
    received: list[str] = []
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection

        def heard(*args: Any) -> None:
            received.append(args[2])

        await driver.add_listener(outbox_wake.CHANNEL, heard)
        try:
            yield received
        finally:
            await driver.remove_listener(outbox_wake.CHANNEL, heard)


async def _settle() -> None:
    await asyncio.sleep(0.2)  # a notification crosses the server to the listening connection


async def test_enqueue_notifies_other_processes_at_commit_only(postgres_url: str) -> None:
    db = Database(postgres_url)
    listener = Database(postgres_url)
    try:
        async with _listening(listener) as received:
            async with db.write() as session:
                assert await enqueue(session, "n:1", 1, "test", text_payload("one"))
                assert await enqueue_many(
                    session, [("n:2", 2, text_payload("two")), ("n:3", 3, text_payload("3"))], "t"
                )
                await session.flush()
                await _settle()
                assert received == []  # written, not committed
            await _settle()
            assert received == [outbox_wake.CHANNEL]  # once for the transaction

            received.clear()
            async with db.write() as session:  # the key exists: nothing written, nothing told
                assert not await enqueue(session, "n:1", 1, "test", text_payload("one"))
            with pytest.raises(RuntimeError):
                async with db.write() as session:
                    assert await enqueue(session, "n:4", 4, "test", text_payload("four"))
                    raise RuntimeError("the cause failed")
            await _settle()
            assert received == []

            # The same from a one-trip transaction (a supervisor's decision's notice).
            key = ("review:", Earlier(0))
            steps = [
                (_AN_ID, {}),
                *enqueue_steps("postgresql", key, 5, "t", text_payload("5"), now=NOW),
            ]
            outcomes = await run(db, steps, write=True)
            assert outcomes[1].rows and outcomes[1].rows[0][0]
            await _settle()
            assert received == [outbox_wake.CHANNEL]
    finally:
        await listener.dispose()
        await db.dispose()
