"""SQLite's writers that queue for the write lock are written in one transaction
(``models.one_trip``'s group commit): each told what its own statements gave, one whose guard
changed nothing rolled back alone, one cancelled while it waited never written, and in the
order they came."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from models import conversation, one_trip
from models.activities import ActivityDraft, AlreadySaved, save_and_count
from models.db import Database
from models.tables import Activity
from models.types import utcnow


@pytest.fixture
def groups(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every group written together (SQLite only: PostgreSQL has no group)."""
    if not db.is_sqlite:
        pytest.skip("SQLite only: PostgreSQL takes its writers' transactions side by side")
    sizes: list[int] = []
    written = one_trip._group_trip

    def counted(connection: Any, group: list[Any]) -> Any:
        sizes.append(len(group))
        return written(connection, group)

    monkeypatch.setattr(one_trip, "_group_trip", counted)
    return sizes


async def _queued(db: Database, *writes: Any) -> list[Any]:
    """``writes`` (coroutines) started while the write lock is held, so that they queue."""
    async with db._write_lock:
        tasks = [asyncio.create_task(write) for write in writes]
        await asyncio.sleep(0)
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_queued_writers_share_one_transaction_and_fail_alone(
    db: Database, groups: list[int]
) -> None:
    now = utcnow()
    saved = await conversation.begin(db, 3, 3, "log", "summary", {}, 1, now)
    stale = conversation.FlowEnd(3, 3, saved.version + 1, 2, {}, "log", "f:x")
    draft = ActivityDraft(date(2026, 11, 24), "Rapat", 60)
    first, refused, last = await _queued(
        db,
        conversation.begin(db, 1, 1, "log", "summary", {"n": 1}, 10, now),
        save_and_count(db, 1, draft, source="quick", actor="t", now=now, conversation=stale),
        conversation.begin(db, 2, 2, "log", "summary", {"n": 2}, 11, now),
    )
    assert groups == [3]
    assert isinstance(refused, AlreadySaved)
    assert (first.data, last.data) == ({"n": 1}, {"n": 2})
    async with db.read() as session:
        entries = (await session.execute(select(func.count()).select_from(Activity))).scalar()
    assert entries == 0  # the refused save wrote nothing, not even its entry
    for person, data in ((1, {"n": 1}), (2, {"n": 2}), (3, {})):
        conversation._absent_of(db).open.clear()  # from the database, not from memory
        found = await conversation.load(db, person, person)
        assert found is not None and found.data == data


async def test_a_writer_cancelled_while_it_waits_is_not_written(
    db: Database, groups: list[int]
) -> None:
    now = utcnow()
    async with db._write_lock:
        gone = asyncio.create_task(conversation.begin(db, 1, 1, "log", "a", {}, 10, now))
        kept = asyncio.create_task(conversation.begin(db, 2, 2, "log", "a", {}, 11, now))
        await asyncio.sleep(0)
        gone.cancel()
    await kept
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert groups == []  # one writer left: a transaction of its own
    assert await conversation.load(db, 1, 1) is None
    assert await conversation.load(db, 2, 2) is not None


async def test_queued_writers_are_written_in_the_order_they_came(
    db: Database, groups: list[int]
) -> None:
    now = utcnow()
    await _queued(
        db,
        *(conversation.begin(db, 5, 5, "log", "a", {"n": n}, 10 + n, now) for n in range(4)),
    )
    assert groups == [4]
    conversation._absent_of(db).open.clear()
    found = await conversation.load(db, 5, 5)
    assert found is not None and found.data == {"n": 3} and found.last_update_id == 13
