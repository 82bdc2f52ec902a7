"""The outbox's wake-up: after the commit that wrote rows, never before, never for a rollback;
and from another connection (a stand-in for another process) through LISTEN/NOTIFY or the poll."""

from __future__ import annotations

import asyncio

import pytest

from models import outbox_wake
from models.db import Database
from models.outbox import enqueue, text_payload


async def test_woken_after_the_commit_only(db: Database) -> None:
    calls: list[str] = []
    unsubscribe = outbox_wake.subscribe(db, lambda: calls.append("woken"))
    try:
        async with db.write() as session:
            assert await enqueue(session, "k:1", 1, "test", text_payload("one"))
            assert await enqueue(session, "k:2", 2, "test", text_payload("two"))
            await session.flush()
            assert calls == []  # written, not committed: the sender would read nothing
        assert calls == ["woken"]  # once per transaction

        with pytest.raises(RuntimeError):
            async with db.write() as session:
                await enqueue(session, "k:3", 3, "test", text_payload("three"))
                raise RuntimeError("the cause failed")
        async with db.write() as session:  # nothing new: the key exists
            assert not await enqueue(session, "k:1", 1, "test", text_payload("one"))
        assert calls == ["woken"]
    finally:
        unsubscribe()
    async with db.write() as session:
        await enqueue(session, "k:4", 4, "test", text_payload("four"))
    assert calls == ["woken"]


async def test_woken_by_another_writer(db: Database) -> None:
    woken = asyncio.Event()
    watcher = asyncio.create_task(outbox_wake.watch_other_writers(db, woken.set, poll_seconds=0.05))
    other = Database(str(db.url.render_as_string(hide_password=False)))
    try:
        await asyncio.sleep(0.3)  # listening (or polled once)
        woken.clear()
        async with other.write() as session:
            await enqueue(session, "other:1", 1, "test", text_payload("from elsewhere"))
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await other.dispose()
