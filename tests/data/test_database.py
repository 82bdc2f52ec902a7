"""The data layer on both databases: migrations, concurrent writers, conversations."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, select, text
from sqlmodel import SQLModel, col

# Every table module, for the comparison with the migrations below.
import models.assessment
import models.ikm_follow_up
import models.inbox
import models.outbox
import models.schedule  # noqa: F401
from models import conversation
from models.db import Database
from models.migrate import (
    current_revision,
    head_revision,
    newest_revision,
    stored_revision,
    upgrade_database,
)
from models.tables import TelegramUser
from models.types import utcnow


async def test_migrations_match_the_models(db: Database) -> None:
    assert await current_revision(db) == head_revision()

    def diff(connection: Any) -> list[Any]:
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_a_database_at_the_newest_revision_is_left_alone(db: Database) -> None:
    # The start-up skips Alembic (and its import) when the files' newest revision is stored;
    # that needs revision ids to be the files' numbers, which Alembic's own head confirms.
    assert newest_revision() == head_revision()
    assert await stored_revision(db) == newest_revision()
    await upgrade_database(db)  # nothing to do, nothing imported
    empty = Database("sqlite+aiosqlite://")
    assert await stored_revision(empty) is None  # no table yet: migrate
    await empty.dispose()


async def test_telegram_ids_fit_64_bits(db: Database) -> None:
    supergroup_sized = 9_007_199_254_740_991
    async with db.write() as session:
        session.add(TelegramUser(id=supergroup_sized, first_name="Big"))
    async with db.read() as session:
        user = await session.get(TelegramUser, supergroup_sized)
    assert user is not None and user.first_name == "Big"


async def test_concurrent_read_modify_write_loses_no_update(db: Database) -> None:
    """50 writers each add one to a counter; with immediate transactions none is lost."""
    async with db.write() as session:
        session.add(TelegramUser(id=1, first_name="0"))

    async def bump() -> None:
        async with db.write() as session:
            user = (
                await session.execute(
                    select(TelegramUser).where(col(TelegramUser.id) == 1).with_for_update()
                )
            ).scalar_one()
            await asyncio.sleep(0)  # give the others every chance to interleave
            user.first_name = str(int(user.first_name) + 1)

    await asyncio.gather(*(bump() for _ in range(50)))
    async with db.read() as session:
        assert (await session.get(TelegramUser, 1)).first_name == "50"  # type: ignore[union-attr]


async def test_a_failed_write_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            session.add(TelegramUser(id=2, first_name="half"))
            await session.flush()
            raise RuntimeError("crash in the middle")
    async with db.read() as session:
        assert await session.get(TelegramUser, 2) is None


async def test_conversation_steps_are_versioned(db: Database) -> None:
    now = utcnow()
    first = await conversation.begin(db, 10, 10, "demo", "a", {"x": 1}, update_id=5, now=now)
    second = await conversation.advance(db, first, "b", {"x": 2}, update_id=6, now=now)
    assert (second.step, second.version) == ("b", first.version + 1)
    with pytest.raises(conversation.StaleStep):
        await conversation.advance(db, first, "c", {}, update_id=7, now=now)
    loaded = await conversation.load(db, 10, 10)
    assert loaded is not None and (loaded.step, loaded.data, loaded.last_update_id) == (
        "b",
        {"x": 2},
        6,
    )
    assert await conversation.finish(db, 10, 10)
    assert await conversation.load(db, 10, 10) is None


async def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    async with db.read() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"


class _Statements(list[str]):
    """The statements sent to the database between ``start`` and ``stop`` (the one-trip ones
    included: ``models.one_trip.run`` tells the same listeners)."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.engine = db.engine.sync_engine

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.append(statement)

    def start(self) -> None:
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


async def test_no_conversation_is_remembered_until_one_begins(db: Database) -> None:
    """Most updates come from people with no flow open: after one read, none is asked for, on
    SQLite (one process per database). On PostgreSQL several webhook receivers may take one
    person's updates in turn, so each asks the database."""
    statements = _Statements(db)
    statements.start()
    assert await conversation.load(db, 1, 2) is None
    asked = len(statements)
    assert asked >= 1
    assert await conversation.load(db, 1, 2) is None
    if db.is_sqlite:
        assert len(statements) == asked  # from memory
    else:
        assert len(statements) == 2 * asked  # another receiver may have begun one meanwhile
    await conversation.begin(db, 1, 2, "worklog", "confirm", {}, 10, utcnow())
    opened = await conversation.load(db, 1, 2)
    assert opened is not None and opened.step == "confirm"
    statements.stop()


async def test_a_person_read_with_no_conversation_has_their_last_receipt_read_with_it(
    db: Database,
) -> None:
    """A message with no flow open asks next whether it saved the last one: on SQLite the read
    of the conversation brings the person's receipt in the same hand-off, and the question is
    answered from memory."""
    begun = await conversation.begin(db, 5, 6, "log", "summary", {}, 30, utcnow())
    async with db.write() as session:
        assert await conversation.finish_in(session, 5, 6, begun.version, 31, {"a": 1}, "log")
    memory = conversation._absent_of(db)
    memory.forget_receipts()  # as a process that starts anew
    memory.keys.clear()
    statements = _Statements(db)
    statements.start()
    assert await conversation.load(db, 5, 6) is None
    read = len(statements)
    receipt = await conversation.receipt_for(db, 5, 6, 31)
    assert receipt is not None and (receipt.flow, receipt.data) == ("log", {"a": 1})
    assert await conversation.receipt_for(db, 5, 6, 32) is None
    statements.stop()
    if db.is_sqlite:
        assert read == 2 and len(statements) == read  # both in the load's trip
    else:
        assert read == 1 and len(statements) == 3  # each asks the database


async def test_the_conversation_just_written_is_not_read_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The press on a summary just sent finds the conversation begun for it without a read on
    SQLite (on PostgreSQL another receiver may have written it, so each load asks); what a
    handler does to the object it was given changes nothing remembered, and what is
    remembered is what the database holds."""
    from models.tables import Conversation

    statements = _Statements(db)
    now = utcnow()
    earlier = await conversation.begin(db, 3, 4, "log", "summary", {"n": [0]}, 19, now)
    begun = await conversation.begin(db, 3, 4, "log", "summary", {"n": [1]}, 20, now)
    assert begun.version != earlier.version  # the earlier summary's buttons are stale
    statements.start()
    first = await conversation.load(db, 3, 4)
    assert first is not None and (first.id, first.version, first.data) == (
        begun.id,
        begun.version,
        {"n": [1]},
    )
    assert (statements == []) == db.is_sqlite
    first.data["n"].append(2)  # a handler changing what it was given
    again = await conversation.load(db, 3, 4)
    assert again is not None and again.data == {"n": [1]}
    moved = await conversation.advance(db, again, "line", {"n": [3]}, 21, now)
    statements.clear()
    after = await conversation.load(db, 3, 4)
    assert after is not None
    assert (after.step, after.version, after.data, after.last_update_id) == (
        "line",
        moved.version,
        {"n": [3]},
        21,
    )
    assert (statements == []) == db.is_sqlite
    # Remembered for minutes, not for the days after which another process may remove it.
    monkeypatch.setattr(conversation._Memory, "OPEN_SECONDS", -1.0)
    assert await conversation.load(db, 3, 4) == after
    assert statements != []
    statements.stop()
    async with db.read() as session:
        [stored] = (await session.execute(select(Conversation))).scalars().all()
    assert (stored.id, stored.step, stored.version, stored.data, stored.last_update_id) == (
        after.id,
        after.step,
        after.version,
        after.data,
        after.last_update_id,
    )
    async with db.write() as session:
        assert not await conversation.finish_in(session, 3, 4, earlier.version)
    async with db.write() as session:
        assert await conversation.finish_in(session, 3, 4, after.version, 22, {"a": 1}, "log")
    assert await conversation.load(db, 3, 4) is None
    receipt = await conversation.receipt_for(db, 3, 4, 22)
    assert receipt is not None and (receipt.flow, receipt.data) == ("log", {"a": 1})
