"""Where a SQLite statement runs (``models.sqlite_driver``): a writer's on the event loop's
thread once its transaction holds SQLite's write lock, its COMMIT and everything else on
aiosqlite's, and nothing on the loop's thread while aiosqlite's may be using the connection."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import models.sqlite_driver as driver_module
from models.db import Database
from models.sqlite_driver import _trips

BUSY_TIMEOUT_S = 2


class _Threads(list[str]):
    """Where each statement ran: "loop" or "thread"."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__()
        loop_thread = threading.get_ident()
        run = driver_module._run

        def recorded(*args: Any) -> Any:
            self.append("loop" if threading.get_ident() == loop_thread else "thread")
            return run(*args)

        monkeypatch.setattr(driver_module, "_run", recorded)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", busy_timeout=BUSY_TIMEOUT_S)
    await _write(database, "CREATE TABLE t (a INTEGER)")
    yield database
    await database.dispose()


async def _count(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(text("SELECT count(*) FROM t"))).scalar_one())


async def _write(db: Database, *statements: str | tuple[str, Any]) -> None:
    """``statements`` (each SQL, or SQL and its parameters) in one writer's transaction."""
    async with db.write() as session:
        for statement in statements:
            sql, parameters = (statement, None) if isinstance(statement, str) else statement
            await session.execute(text(sql), parameters)


async def _aiosqlite_connection(session: Any) -> Any:
    raw = await (await session.connection()).get_raw_connection()
    return raw.dbapi_connection._connection


async def test_a_writer_runs_its_statements_here_and_commits_on_the_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _Threads(monkeypatch)
    async with db.write() as session:
        trips = _trips(await _aiosqlite_connection(session))
        sent = trips.sent
        for a in range(5):
            await session.execute(text("INSERT INTO t VALUES (:a)"), {"a": a})
        timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
    assert threads == ["loop"] * 6
    assert timeout == BUSY_TIMEOUT_S * 1000  # set back after the BEGIN tried without it
    assert trips.sent == trips.done == sent + 1  # the COMMIT, and nothing else
    assert await _count(db) == 5


async def test_readers_and_executemany_stay_on_the_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _Threads(monkeypatch)
    async with db.read() as session:
        await session.execute(text("SELECT count(*) FROM t"))
    await _write(
        db, ("INSERT INTO t VALUES (:a)", [{"a": 1}, {"a": 2}]), "INSERT INTO t VALUES (3)"
    )
    # The executemany carried the BEGIN; once it was back, the next statement ran here.
    assert threads == ["thread", "thread", "loop"]
    assert await _count(db) == 3


async def test_a_statement_with_many_values_runs_on_the_thread_in_a_writer_too(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A multi-row write (a digest wave's outbox rows) would hold the loop for its whole work;
    on the thread it leaves the loop a turn. A writer's first statement carries its BEGIN there,
    and the statements after it run here again."""
    threads = _Threads(monkeypatch)
    most = driver_module.MOST_VALUES_HERE
    wide = " UNION ALL ".join(f"SELECT :a{n}" for n in range(most + 1))
    many = (f"INSERT INTO t {wide}", {f"a{n}": n for n in range(most + 1)})
    widest_here = " UNION ALL ".join(f"SELECT :a{n}" for n in range(most))
    await _write(
        db,
        many,
        "INSERT INTO t VALUES (-1)",
        (f"INSERT INTO t {widest_here}", {f"a{n}": n for n in range(most)}),
        many,
        "INSERT INTO t VALUES (-2)",
    )
    assert threads == ["thread", "loop", "loop", "thread", "loop"]
    assert await _count(db) == 2 * (most + 1) + most + 2


async def test_a_writer_waits_on_the_thread_for_another_process_holding_the_lock(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    threads = _Threads(monkeypatch)
    other = sqlite3.connect(tmp_path / "x.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (100)")
    loop = asyncio.get_running_loop()
    # The other process commits a while later; the loop must stay free meanwhile.
    loop.call_later(0.3, other.commit)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    async with db.write() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
        await session.execute(text("INSERT INTO t VALUES (2)"))
        timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
    waited = time.monotonic() - started
    ticker.cancel()
    other.close()
    assert waited >= 0.25  # it did wait for the other writer, and did not fail at once
    assert ticks >= 10  # while the loop went on
    assert threads == ["thread", "loop", "loop"]
    assert timeout == BUSY_TIMEOUT_S * 1000
    assert await _count(db) == 3


async def test_nothing_runs_here_while_the_thread_may_use_the_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job still on the connection's thread (a wait for it cancelled) keeps the next
    statement on the thread, behind it."""
    threads = _Threads(monkeypatch)
    release = threading.Event()
    async with db.write() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
        aiosqlite_connection = await _aiosqlite_connection(session)
        slow = asyncio.ensure_future(aiosqlite_connection._execute(release.wait, 5))
        await asyncio.sleep(0)
        slow.cancel()
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, release.set)
        await session.execute(text("INSERT INTO t VALUES (2)"))
        await session.execute(text("INSERT INTO t VALUES (3)"))
    assert threads == ["loop", "thread", "loop"]
    assert await _count(db) == 3


async def test_a_transaction_sqlite_ended_sends_its_next_statement_to_the_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the transaction, the write lock is no longer held: the statement might wait."""
    threads = _Threads(monkeypatch)
    # The ROLLBACK: as SQLite does itself on a full disk.
    await _write(db, "INSERT INTO t VALUES (1)", "ROLLBACK", "INSERT INTO t VALUES (2)")
    assert threads == ["loop", "loop", "thread"]
    assert await _count(db) == 1


async def test_a_failed_statement_run_here_rolls_the_writer_back(db: Database) -> None:
    with pytest.raises(Exception, match="no such table"):
        await _write(db, "INSERT INTO t VALUES (1)", "INSERT INTO missing VALUES (1)")
    assert await _count(db) == 0
    await _write(db, "INSERT INTO t VALUES (2)")  # the connection is usable again, and writes
    assert await _count(db) == 1
