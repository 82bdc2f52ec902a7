"""The outbox's data layer on both databases, and the sender's pacing rules (pure, no waiting).

Delivery through Telegram (the emulator) is in tests/e2e/test_outbox_delivery.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.clock import ManualClock
from models.db import Database
from models.outbox import (
    OutboxMessage,
    OutboxStatus,
    block_chat,
    claim_for_sending,
    document_payload,
    due_messages,
    enqueue,
    enqueue_many,
    mark_in_flight_unknown,
    release,
    status_counts,
    text_payload,
)
from models.tables import TelegramUser
from scheduler.outbox import OutboxSender, Pacing
from scheduler.outbox.writes import WriteQueue

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


async def _rows(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(col(OutboxMessage.id)))).scalars()
        )


async def _enqueue(db: Database, key: str, chat_id: int, **kwargs: Any) -> bool:
    async with db.write() as session:
        return await enqueue(session, key, chat_id, "reminder", text_payload(key), **kwargs)


async def test_enqueue_is_idempotent_by_key(db: Database) -> None:
    assert await _enqueue(db, "reminder:7:2026-11-24:1", 700_000_001)
    async with db.write() as session:
        again = await enqueue(
            session, "reminder:7:2026-11-24:1", 700_000_001, "reminder", text_payload("other")
        )
    assert again is False
    [row] = await _rows(db)
    assert (row.key, row.status, row.payload["text"]) == (
        "reminder:7:2026-11-24:1",
        OutboxStatus.PENDING,
        "reminder:7:2026-11-24:1",
    )
    # Also once the first one is sent: the key means "this notification", whatever its state.
    async with db.write() as session:
        await claim_for_sending(session, row.id or 0, NOW)
    assert not await _enqueue(db, "reminder:7:2026-11-24:1", 700_000_001)
    assert len(await _rows(db)) == 1


async def test_enqueue_many_writes_a_wave_once_in_a_few_statements(db: Database) -> None:
    # More rows than one INSERT carries, one of them queued before by someone else.
    wave = [
        (f"digest:{n}:2026-W48:text", 700_000_000 + n, text_payload(f"d{n}")) for n in range(450)
    ]
    assert await _enqueue(db, "digest:7:2026-W48:text", 1)
    async with db.write() as session:
        assert await enqueue_many(session, wave, "digest", now=NOW) == 449
    async with db.write() as session:  # the job run again: nothing new
        assert await enqueue_many(session, wave, "digest", now=NOW) == 0
    rows = await _rows(db)
    assert len(rows) == 450 and len({row.key for row in rows}) == 450
    assert {row.kind for row in rows[1:]} == {"digest"}
    assert {row.chat_id for row in rows if row.key == "digest:7:2026-W48:text"} == {1}
    with pytest.raises(ValueError):  # checked before anything is written, as enqueue checks
        async with db.write() as session:
            bad = [("x", 1, text_payload("ok")), ("y", 1, {"method": "sendVoice"})]
            await enqueue_many(session, bad, "digest", now=NOW)
    assert len(await _rows(db)) == 450


async def test_a_bad_row_in_a_later_statement_of_a_wave_leaves_nothing_queued(db: Database) -> None:
    """Rows are checked a statement's worth at a time (the event loop gets a turn between):
    the rows before the bad one roll back with the caller's transaction."""
    wave = [
        (f"digest:{n}:2026-W48:text", 700_000_000 + n, text_payload(f"d{n}")) for n in range(450)
    ]
    wave[300] = ("digest:300:2026-W48:text", 1, {"method": "sendVoice"})
    with pytest.raises(ValueError):
        async with db.write() as session:
            await enqueue_many(session, wave, "digest", now=NOW)
    assert await _rows(db) == []


async def test_enqueue_twice_in_one_transaction(db: Database) -> None:
    async with db.write() as session:
        first = await enqueue(session, "digest:3:2026-W48", 42, "digest", text_payload("a"))
        second = await enqueue(session, "digest:3:2026-W48", 42, "digest", text_payload("b"))
    assert (first, second) == (True, False)
    assert len(await _rows(db)) == 1


async def test_rollback_of_the_callers_transaction_drops_the_row(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            session.add(TelegramUser(id=5, first_name="Fakta"))
            await enqueue(session, "reminder:5:2026-11-24:1", 5, "reminder", text_payload("x"))
            raise RuntimeError("the job failed after deciding to notify")
    assert await _rows(db) == []
    async with db.read() as session:
        assert await session.get(TelegramUser, 5) is None

    # Committed together with its cause, both are there.
    async with db.write() as session:
        session.add(TelegramUser(id=5, first_name="Fakta"))
        await enqueue(session, "reminder:5:2026-11-24:1", 5, "reminder", text_payload("x"))
    assert [r.key for r in await _rows(db)] == ["reminder:5:2026-11-24:1"]


async def test_enqueue_refuses_payloads_the_sender_could_not_send(db: Database) -> None:
    async with db.write() as session:
        with pytest.raises(ValueError, match="method"):
            await enqueue(session, "k1", 1, "x", {"method": "sendSticker"})
        with pytest.raises(ValueError, match="relative"):
            await enqueue(session, "k2", 1, "x", {"method": "sendPhoto", "file": "/etc/passwd"})
        with pytest.raises(ValueError, match="relative"):
            await enqueue(session, "k3", 1, "x", {"method": "sendDocument", "file": "../x.xlsx"})
        with pytest.raises(ValueError, match="timezone"):
            await enqueue(session, "k4", 1, "x", text_payload("a"), datetime(2026, 1, 1))
        with pytest.raises(ValueError, match="JSON"):
            await enqueue(session, "k5", 1, "x", {**text_payload("a"), "when": NOW})
    assert document_payload("digests/2026-W48/12.xlsx", filename="rekap.xlsx")["file"] == (
        "digests/2026-W48/12.xlsx"
    )


async def test_chat_ids_keep_64_bits(db: Database) -> None:
    supergroup = -1_001_234_567_890
    assert await _enqueue(db, "escalation:9:verify", supergroup)
    [row] = await due_messages(db, NOW, limit=10, per_chat=10)
    assert row.chat_id == supergroup


async def test_claiming_order_due_rows_per_chat_cap(db: Database) -> None:
    # chat 1 has a backlog; chat 2 and 3 come after it; one row is for later; one was sent.
    for n in range(5):
        await _enqueue(db, f"a{n}", 1)
    await _enqueue(db, "b0", 2)
    await _enqueue(db, "later", 3, not_before=NOW + timedelta(hours=1))
    await _enqueue(db, "c0", 3, not_before=NOW - timedelta(minutes=1))
    await _enqueue(db, "done", 4)
    rows = {r.key: r for r in await _rows(db)}
    async with db.write() as session:
        assert await claim_for_sending(session, rows["done"].id or 0, NOW)

    due = await due_messages(db, NOW, limit=100, per_chat=2)
    # Oldest first; at most two of chat 1, so chat 2 and 3 are not held behind its backlog.
    assert [m.key for m in due] == ["a0", "a1", "b0", "c0"]
    assert [m.key for m in await due_messages(db, NOW, limit=3, per_chat=10)] == ["a0", "a1", "a2"]
    assert "later" in [
        m.key for m in await due_messages(db, NOW + timedelta(hours=2), limit=100, per_chat=10)
    ]

    # A claim succeeds once: a second sender (or a stale copy) cannot send the row again.
    async with db.write() as session:
        assert await claim_for_sending(session, rows["a0"].id or 0, NOW)
    async with db.write() as session:
        assert not await claim_for_sending(session, rows["a0"].id or 0, NOW)
    assert "a0" not in [m.key for m in await due_messages(db, NOW, limit=100, per_chat=10)]


async def test_claims_queued_while_waiting_for_the_writer_share_its_transaction(
    db: Database,
) -> None:
    """A claim must be committed before its call, and on SQLite every writer waits in one
    line: claims queued while the sender's transaction waits for its turn go in that
    transaction, not in one more turn behind every handler's write."""
    for n in range(3):
        await _enqueue(db, f"w{n}", n + 1)
    ids = [row.id or 0 for row in await _rows(db)]
    writes = WriteQueue(db)
    transactions: list[int] = []

    async def claim(session: Any, message_id: int) -> bool:
        transactions.append(id(session))
        return await claim_for_sending(session, message_id, NOW)

    handler_holds_writer = asyncio.Event()
    handler_may_commit = asyncio.Event()

    async def handler() -> None:  # a handler's write, holding the writer's turn
        async with db.write() as session:
            await session.execute(select(col(OutboxMessage.id)))
            handler_holds_writer.set()
            await handler_may_commit.wait()

    busy = asyncio.create_task(handler())
    await handler_holds_writer.wait()
    first = writes.submit(partial(claim, message_id=ids[0]))
    await asyncio.sleep(0.05)  # the flusher is waiting for its turn (SQLite) or has begun (PG)
    rest = [writes.submit(partial(claim, message_id=i)) for i in ids[1:]]
    handler_may_commit.set()
    assert await asyncio.gather(first, *rest) == [True, True, True]
    await busy
    if db.is_sqlite:
        assert len(set(transactions)) == 1, transactions
    statuses = {r.key: r.status for r in await _rows(db)}
    assert statuses == dict.fromkeys(["w0", "w1", "w2"], OutboxStatus.SENDING)


async def test_release_after_429_gives_the_attempt_back(db: Database) -> None:
    await _enqueue(db, "r", 1)
    [row] = await _rows(db)
    async with db.write() as session:
        await claim_for_sending(session, row.id or 0, NOW)
    async with db.write() as session:
        await release(session, row.id or 0, NOW, error=None, refund_attempt=True)
    [row] = await _rows(db)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    async with db.write() as session:
        await claim_for_sending(session, row.id or 0, NOW)
        await release(
            session, row.id or 0, NOW, error="NetworkError: Bad Gateway", refund_attempt=False
        )
    [row] = await _rows(db)
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.PENDING,
        1,
        "NetworkError: Bad Gateway",
    )


async def test_block_chat_marks_its_unsent_rows_only(db: Database) -> None:
    for key, chat in (("x1", 9), ("x2", 9), ("x3", 9), ("y1", 8)):
        await _enqueue(db, key, chat)
    rows = {r.key: r for r in await _rows(db)}
    async with db.write() as session:
        await claim_for_sending(session, rows["x1"].id or 0, NOW)
    async with db.write() as session:
        assert await block_chat(session, 9, "Forbidden: bot was blocked by the user", NOW) == 3
    statuses = {r.key: r.status for r in await _rows(db)}
    assert statuses == {"x1": "blocked", "x2": "blocked", "x3": "blocked", "y1": "pending"}


async def test_sending_rows_become_unknown_at_start_up(db: Database) -> None:
    """A row left ``sending`` may have reached Telegram: never resent. The rest goes out."""
    for n in range(4):
        await _enqueue(db, f"m{n}", 100 + n)
    rows = {r.key: r for r in await _rows(db)}
    async with db.write() as session:
        await claim_for_sending(session, rows["m1"].id or 0, NOW)

    sent_to: list[int] = []

    class StubBot:
        async def send_message(self, chat_id: int, **_: Any) -> SimpleNamespace:
            sent_to.append(chat_id)
            return SimpleNamespace(message_id=len(sent_to))

    sender = OutboxSender(db, StubBot(), ManualClock(NOW), per_chat_interval=0)  # type: ignore[arg-type]
    stats = await sender.run_until_idle()
    assert sorted(sent_to) == [100, 102, 103]
    assert (stats.sent, stats.unknown) == (3, 1)
    final = {r.key: r for r in await _rows(db)}
    assert final["m1"].status == OutboxStatus.UNKNOWN
    assert final["m1"].last_error and "not resent" in final["m1"].last_error
    assert {final[k].status for k in ("m0", "m2", "m3")} == {OutboxStatus.SENT}
    assert final["m0"].telegram_message_id is not None and final["m0"].sent_at is not None
    assert await status_counts(db) == {"sent": 3, "unknown": 1}
    # Once marked, a second start-up has nothing more to say.
    assert await mark_in_flight_unknown(db, NOW) == []


# --- pacing rules, with time passed in -------------------------------------------------------


def _pacing(**overrides: Any) -> Pacing:
    options: dict[str, Any] = {
        "overall_rate": 28.0,
        "overall_burst": 3.0,
        "per_chat_interval": 1.0,
        "group_per_minute": 20,
        "now": 0.0,
    }
    options.update(overrides)
    return Pacing(**options)


def test_pacing_overall_rate_is_a_token_bucket() -> None:
    pacing = _pacing()
    sent = 0
    t = 0.0
    while t < 10.0:  # ask every millisecond for ten seconds
        if pacing.overall_wait(t) == 0:
            pacing.take()
            sent += 1
        t += 0.001
    assert 3 + 28 * 10 - 2 <= sent <= 3 + 28 * 10


def test_pacing_a_burst_for_notices_a_small_one_for_waves() -> None:
    """Heads acting together get their notices out at once (the burst); a scheduled wave is
    the bulk sending Telegram limits, and keeps a burst of its own."""
    pacing = _pacing(overall_rate=25.0, overall_burst=25.0, background_burst=2.0, now=100.0)
    notices = 0
    while pacing.overall_wait(100.0) == 0:
        pacing.take()
        notices += 1
    assert notices == 25
    assert pacing.overall_wait(100.0) == pytest.approx(1 / 25)

    pacing = _pacing(overall_rate=25.0, overall_burst=25.0, background_burst=2.0, now=100.0)
    wave = 0
    while pacing.overall_wait(100.0) == 0 and pacing.background_wait(100.0, 0.0, 3.0) == 0:
        pacing.take(background=True)
        wave += 1
    assert wave == 2


def test_pacing_one_message_per_second_per_chat_from_the_answer() -> None:
    pacing = _pacing()
    pacing.record(700, answered_at=5.2)
    assert pacing.chat_ready_at(700) == pytest.approx(6.2)
    assert pacing.chat_ready_at(701) == 0.0  # other chats are not held


def test_pacing_groups_twenty_per_sliding_minute() -> None:
    pacing = _pacing()
    group = -1_001_000_000_001
    t = 0.0
    times: list[float] = []
    while len(times) < 45:
        t = max(t, pacing.chat_ready_at(group))
        times.append(t)
        pacing.record(group, answered_at=t)
        t += 0.01
    for i in range(len(times) - 20):
        assert times[i + 20] - times[i] >= 60.0  # never 21 within a minute
    assert times[19] < 20.0  # the first twenty go at the per-chat pace


def test_pacing_slows_down_after_overall_429_and_recovers() -> None:
    pacing = _pacing()
    pacing.hold_all(10.0, slow_down=True)
    assert pacing.overall_wait(5.0) == pytest.approx(5.0)
    assert pacing.overall_rate == pytest.approx(28 * 0.8)
    for t in range(10, 60, 5):
        pacing.overall_wait(float(t))
    assert pacing.overall_rate == pytest.approx(28.0)
