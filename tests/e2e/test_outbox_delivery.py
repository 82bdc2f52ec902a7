"""The outbox sender against the emulator with Telegram's flood limits on, through a real PTB Bot.

What is proven: every row is delivered once (never twice) at Telegram's pace, 429s are waited
out and retried rather than lost, 5xx and timeouts are retried with backoff, 400s fail at once,
a blocked user or a kicked group stops the messages to that chat only, a group that became a
supergroup gets its messages at the new id, and a sender killed with SIGKILL mid-batch resends
nothing after a restart while the rest goes out.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Bot
from telegram.request import RequestData

from bot.http import AiohttpRequest
from domain.clock import SystemClock
from emulator import BotApiEmulator
from emulator.client import EmulatedUser
from models.db import Database
from models.outbox import (
    OutboxMessage,
    OutboxStatus,
    enqueue,
    ensure_outbox_table,
    photo_payload,
    text_payload,
)
from scheduler.outbox import OutboxSender

# PTB itself warns when it builds a RetryAfter (its retry_after is becoming a timedelta).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "123456789:TEST-token-for-the-emulator_xyz"
SENDER_SCRIPT = Path(__file__).with_name("outbox_sender_process.py")
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(token=TOKEN, flood_limits=True)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def odb(tmp_path: Path) -> AsyncIterator[Database]:
    """Delivery is the same on both databases (the data layer is tested on both); SQLite only
    here keeps the suite's time down."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}")
    await ensure_outbox_table(db)
    yield db
    await db.dispose()


class FaultyRequest(AiohttpRequest):
    """The real transport, with a hook that may answer a call instead of the server: the
    emulator has no fault injection, and a 5xx must come through PTB's own error mapping."""

    def __init__(self, fault: Callable[[str, dict[str, Any]], tuple[int, bytes] | None]) -> None:
        super().__init__()
        self.fault = fault

    async def do_request(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        params = request_data.parameters if request_data is not None else {}
        answer = self.fault(url.rsplit("/", 1)[-1], params)
        if answer is not None:
            return answer
        return await super().do_request(url, method, request_data, **kwargs)


@pytest.fixture
async def make_bot(emu: BotApiEmulator) -> AsyncIterator[Callable[..., Bot]]:
    bots: list[Bot] = []

    def make(request: AiohttpRequest | None = None) -> Bot:
        bot = Bot(TOKEN, base_url=f"{emu.base_url}/bot", request=request or AiohttpRequest())
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        await bot.shutdown()


def arrivals(emu: BotApiEmulator) -> list[tuple[int, float, str]]:
    """(chat id, time, text or caption) of every message the emulator stores, as it stores it."""
    seen: list[tuple[int, float, str]] = []
    store = emu._store_bot_message

    def recording(state: Any, content: dict[str, Any], *args: Any) -> Any:
        message = store(state, content, *args)
        seen.append((state.id, time.monotonic(), content.get("text") or content.get("caption")))  # type: ignore[arg-type]
        return message

    emu._store_bot_message = recording  # type: ignore[assignment, method-assign]
    return seen


def known_users(emu: BotApiEmulator, count: int) -> list[EmulatedUser]:
    """Users who wrote to the bot once, so that it may write to them."""
    users = [emu.user(first_name=f"Pegawai{i}") for i in range(count)]
    for user in users:
        emu.inject_text(user, "/start")
    return users


async def enqueue_all(db: Database, plan: list[tuple[str, int]]) -> None:
    """One transaction, as a scheduled job writes its wave."""
    async with db.write() as session:
        for key, chat_id in plan:
            assert await enqueue(session, key, chat_id, "reminder", text_payload(f"<b>{key}</b>"))


async def rows_by_key(db: Database) -> dict[str, OutboxMessage]:
    async with db.read() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars()
        return {row.key: row for row in rows}


def assert_exactly_once(seen: list[tuple[int, float, str]], plan: list[tuple[str, int]]) -> None:
    delivered = Counter((chat_id, text) for chat_id, _, text in seen)
    expected = Counter((chat_id, key) for key, chat_id in plan)
    assert delivered == expected


def record_waits(sender: OutboxSender, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds the sender chose to wait each time it waited with a message that only
    waits for its turn (its choice, not the clock: the same on a loaded machine). Behind a
    call in flight (its chat's previous message, or every slot taken) it may wait for its
    poll: the call's completion wakes it."""
    waits: list[float] = []
    sleep = sender._sleep

    async def recording(seconds: float | None) -> None:
        room = len(sender._in_flight) < sender._max_in_flight
        if sender._waiting or (sender._ready and room):
            waits.append(float("inf") if seconds is None else seconds)
            # A stall is recorded and cut short, so that it fails the assertion rather than
            # hanging the test for an hour.
            seconds = 1.0 if seconds is None else min(seconds, 1.0)
        await sleep(seconds)

    monkeypatch.setattr(sender, "_sleep", recording)
    return waits


async def test_200_messages_to_50_users_and_a_group_paced_and_exactly_once(
    emu: BotApiEmulator,
    odb: Database,
    make_bot: Callable[..., Bot],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = known_users(emu, 50)
    group = emu.group("Meja Pengaduan")
    # Each person's messages are consecutive ids, the hardest order for per-chat pacing:
    # 42 people get 4, 8 get 3, and the group 8 (= 200).
    plan: list[tuple[str, int]] = []
    for i, user in enumerate(users):
        for n in range(4 if i < 42 else 3):
            plan.append((f"reminder:{i}:2026-11-24:{n}", user.chat_id))
    plan += [(f"escalation:{n}", group.chat_id) for n in range(8)]
    assert len(plan) == 200
    await enqueue_all(odb, plan)
    seen = arrivals(emu)

    bot = make_bot()
    async with bot:
        # A poll far away: a sender that waited for it with messages queued (the stall this
        # guards against) would show it in the waits recorded below.
        sender = OutboxSender(odb, bot, SystemClock(), poll_interval=3600)
        waits = record_waits(sender, monkeypatch)
        stats = await sender.run_until_idle()

    assert_exactly_once(seen, plan)
    assert emu.count_429 == 0  # paced under the limits: Telegram never had to refuse
    assert (stats.sent, stats.failed, stats.retried_429) == (200, 0, 0)
    assert {row.status for row in (await rows_by_key(odb)).values()} == {OutboxStatus.SENT}
    by_chat: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for chat_id, at, text in seen:
        by_chat[chat_id].append((at, text))
    for chat_id, messages in by_chat.items():
        times = [at for at, _ in messages]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= 0.999 for gap in gaps), (chat_id, gaps)  # ≥ 1 s per chat
        # And in the order they were queued.
        assert [text for _, text in messages] == [k for k, c in plan if c == chat_id]
    # No stall: whenever messages were queued, the sender waited at most for the next one's
    # turn (1 s per chat, 1/28 s overall), never for its poll. (Throughput is measured by
    # bench/reminders.py, not here.)
    assert waits and max(waits) <= 1.0, sorted(waits)[-5:]


async def test_429_storm_loses_nothing_and_duplicates_nothing(
    emu: BotApiEmulator, odb: Database, make_bot: Callable[..., Bot]
) -> None:
    # Telegram far stricter than the sender believes: 8/s overall and no burst per chat.
    emu.flood_chat_burst = 1
    emu._flood.global_per_second = 8
    emu._flood.reset()
    users = known_users(emu, 20)
    plan = [(f"k{n}:{i}", user.chat_id) for n in range(2) for i, user in enumerate(users)]
    await enqueue_all(odb, plan)
    seen = arrivals(emu)

    bot = make_bot()
    async with bot:
        stats = await OutboxSender(odb, bot, SystemClock()).run_until_idle()

    assert emu.count_429 > 0
    assert_exactly_once(seen, plan)
    assert (stats.sent, stats.failed, stats.retried_429) == (40, 0, emu.count_429)
    rows = await rows_by_key(odb)
    assert {row.status for row in rows.values()} == {OutboxStatus.SENT}
    assert {row.attempts for row in rows.values()} == {1}  # a refused call is not an attempt


async def test_blocked_user_and_kicked_group_stop_only_their_messages(
    emu: BotApiEmulator, odb: Database, make_bot: Callable[..., Bot]
) -> None:
    users = known_users(emu, 4)
    group = emu.group("Seksi Umum")
    blocked, kicked = users[1], group
    blocked.block()
    emu.kick_bot(kicked)
    plan = [(f"r{n}:{i}", user.chat_id) for n in range(3) for i, user in enumerate(users)]
    plan += [(f"g{n}", group.chat_id) for n in range(3)]
    await enqueue_all(odb, plan)
    seen = arrivals(emu)
    told: list[int] = []

    async def on_blocked(chat_id: int) -> None:
        told.append(chat_id)

    bot = make_bot()
    async with bot:
        sender = OutboxSender(odb, bot, SystemClock(), on_blocked=on_blocked)
        stats = await sender.run_until_idle()

    assert sorted(told) == sorted([blocked.chat_id, kicked.chat_id])
    others = [(k, c) for k, c in plan if c not in (blocked.chat_id, kicked.chat_id)]
    assert_exactly_once(seen, others)
    # One call each found out; the chat's later messages were not attempted.
    attempted = Counter(params["chat_id"] for params in emu.calls_by_method("sendMessage"))
    assert attempted[blocked.chat_id] == 1 and attempted[kicked.chat_id] == 1
    rows = await rows_by_key(odb)
    for key, chat_id in plan:
        expected = OutboxStatus.SENT if (key, chat_id) in others else OutboxStatus.BLOCKED
        assert rows[key].status == expected, key
    assert rows["r0:1"].last_error == "Forbidden: bot was blocked by the user"
    assert (stats.sent, stats.blocked, stats.failed) == (9, 6, 0)


async def test_5xx_and_timeouts_are_retried_400_fails_at_once(
    emu: BotApiEmulator, odb: Database, make_bot: Callable[..., Bot]
) -> None:
    users = known_users(emu, 4)
    flaky, down, fine, wrong = users
    calls: Counter[int] = Counter()

    def fault(method: str, params: dict[str, Any]) -> tuple[int, bytes] | None:
        chat_id = int(params.get("chat_id", 0))
        calls[chat_id] += 1
        if chat_id == flaky.chat_id and calls[chat_id] <= 2:
            return 502, b"<html>Bad Gateway</html>"  # not JSON, as nginx answers
        if chat_id == flaky.chat_id and calls[chat_id] == 3:
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            return 500, json.dumps(body).encode()
        if chat_id == down.chat_id:
            from telegram.error import TimedOut

            raise TimedOut()
        return None

    async with odb.write() as session:
        await enqueue(session, "flaky", flaky.chat_id, "t", text_payload("flaky"))
        await enqueue(session, "down", down.chat_id, "t", text_payload("down"))
        await enqueue(session, "fine", fine.chat_id, "t", text_payload("fine"))
        await enqueue(session, "wrong", wrong.chat_id, "t", text_payload("<b>unclosed"))
        # The same chat's next message waits behind the retries, in order.
        await enqueue(session, "flaky-2", flaky.chat_id, "t", text_payload("flaky-2"))
    seen = arrivals(emu)

    bot = make_bot(FaultyRequest(fault))
    async with bot:
        sender = OutboxSender(
            odb, bot, SystemClock(), max_attempts=5, backoff_base=0.05, per_chat_interval=0.1
        )
        stats = await sender.run_until_idle()

    rows = await rows_by_key(odb)
    assert [(c, t) for c, _, t in seen if c == flaky.chat_id] == [
        (flaky.chat_id, "flaky"),
        (flaky.chat_id, "flaky-2"),
    ]
    assert (rows["flaky"].status, rows["flaky"].attempts) == (OutboxStatus.SENT, 4)
    assert rows["fine"].status == OutboxStatus.SENT
    assert (rows["down"].status, rows["down"].attempts) == (OutboxStatus.FAILED, 5)
    assert rows["down"].last_error and rows["down"].last_error.startswith("TimedOut")
    assert rows["wrong"].status == OutboxStatus.FAILED
    assert rows["wrong"].last_error is not None
    assert "can't parse entities" in rows["wrong"].last_error.lower()
    assert calls[wrong.chat_id] == 1  # a 400 is not retried
    assert calls[down.chat_id] == 5
    assert (stats.sent, stats.failed, stats.retried_errors) == (3, 2, 3 + 4)


async def test_group_upgraded_to_supergroup_gets_its_messages_at_the_new_id(
    emu: BotApiEmulator, odb: Database, make_bot: Callable[..., Bot]
) -> None:
    old = emu.group("Kelurahan Belawan I", supergroup=False)
    new = emu.group("Kelurahan Belawan I", supergroup=True)

    def fault(method: str, params: dict[str, Any]) -> tuple[int, bytes] | None:
        if int(params.get("chat_id", 0)) != old.chat_id:
            return None
        body = {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": new.chat_id},
        }
        return 400, json.dumps(body).encode()

    plan = [(f"escalation:{n}", old.chat_id) for n in range(3)]
    await enqueue_all(odb, plan)
    seen = arrivals(emu)
    bot = make_bot(FaultyRequest(fault))
    async with bot:
        await OutboxSender(odb, bot, SystemClock()).run_until_idle()

    assert [text for _, _, text in seen] == [key for key, _ in plan]
    assert {chat_id for chat_id, _, _ in seen} == {new.chat_id}
    rows = await rows_by_key(odb)
    assert {(row.status, row.chat_id) for row in rows.values()} == {("sent", new.chat_id)}


async def test_photo_and_document_from_the_data_folder(
    emu: BotApiEmulator, odb: Database, make_bot: Callable[..., Bot], tmp_path: Path
) -> None:
    [supervisor] = known_users(emu, 1)
    folder = tmp_path / "data"
    (folder / "digests").mkdir(parents=True)
    (folder / "digests" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    (folder / "digests" / "rekap.xlsx").write_bytes(b"PK\x03\x04" + b"0" * 64)
    markup = {"inline_keyboard": [[{"text": "Lihat", "callback_data": "digest:open"}]]}
    async with odb.write() as session:
        await enqueue(
            session,
            "digest:1:2026-W48:text",
            supervisor.chat_id,
            "digest",
            text_payload("<b>Rekap</b> minggu ini", reply_markup=markup),
        )
        await enqueue(
            session,
            "digest:1:2026-W48:chart",
            supervisor.chat_id,
            "digest",
            photo_payload("digests/chart.png", caption="Jam per orang"),
        )
        await enqueue(
            session,
            "digest:1:2026-W48:xlsx",
            supervisor.chat_id,
            "digest",
            {"method": "sendDocument", "file": "digests/rekap.xlsx", "filename": "rekap.xlsx"},
        )
        await enqueue(
            session,
            "digest:1:2026-W48:missing",
            supervisor.chat_id,
            "digest",
            photo_payload("digests/nothing.png"),
        )
    bot = make_bot()
    async with bot:
        sender = OutboxSender(odb, bot, SystemClock(), data_dir=folder, per_chat_interval=0.1)
        await sender.run_until_idle()

    text, photo, document = supervisor.messages
    assert text.text == "Rekap minggu ini" and text.button_texts == ["Lihat"]
    assert photo.photo and photo.caption == "Jam per orang"
    assert document.document and document.document["file_name"] == "rekap.xlsx"
    missing = (await rows_by_key(odb))["digest:1:2026-W48:missing"]
    assert missing.status == OutboxStatus.FAILED and "cannot read" in (missing.last_error or "")


async def test_long_running_sender_wakes_on_notify(
    emu: BotApiEmulator, odb: Database, make_bot: Callable[..., Bot]
) -> None:
    [person] = known_users(emu, 1)
    bot = make_bot()
    async with bot:
        sender = OutboxSender(odb, bot, SystemClock(), poll_interval=3600)
        sender.start()
        await asyncio.sleep(0.1)
        await enqueue_all(odb, [("nudge:1:2026-11-24", person.chat_id)])
        sender.notify()
        [message] = await person.wait_for(1, timeout=2)
        assert message.text == "nudge:1:2026-11-24"
        await sender.stop()
    assert (await rows_by_key(odb))["nudge:1:2026-11-24"].status == OutboxStatus.SENT


async def test_a_notice_between_two_people_goes_before_a_wave_queued_earlier(
    emu: BotApiEmulator, odb: Database, make_bot: Callable[..., Bot]
) -> None:
    users = known_users(emu, 31)
    wave = [(f"digest:{i}:2026-W48:text", user.chat_id) for i, user in enumerate(users[:30])]
    notice = ("approval:1:1", users[30].chat_id)
    async with odb.write() as session:
        for key, chat_id in wave:  # a Monday's digests, queued first
            assert await enqueue(session, key, chat_id, "digest", text_payload(key))
    async with odb.write() as session:  # then a supervisor approves an entry
        assert await enqueue(session, *notice, "approval", text_payload(notice[0]))
    seen = arrivals(emu)

    bot = make_bot()
    async with bot:
        stats = await OutboxSender(odb, bot, SystemClock(), overall_rate=10).run_until_idle()

    assert_exactly_once(seen, [*wave, notice])
    assert stats.sent == 31
    # Started first of all (two calls may be in the air together: the first two arrivals).
    assert notice[0] in [text for _, _, text in seen[:2]]


async def test_a_wave_held_back_by_busy_replies_waits_without_spinning(
    emu: BotApiEmulator, odb: Database, make_bot: Callable[..., Bot]
) -> None:
    users = known_users(emu, 8)
    wave = [(f"digest:{i}:2026-W48:text", user.chat_id) for i, user in enumerate(users)]
    async with odb.write() as session:
        for key, chat_id in wave:
            assert await enqueue(session, key, chat_id, "digest", text_payload(key))
    seen = arrivals(emu)
    bot = make_bot()
    async with bot:
        # The bot answering people beyond the whole rate: the wave goes at its floor, 3/s.
        sender = OutboxSender(odb, bot, SystemClock(), others_rate=lambda: 100.0)
        waits: list[float | None] = []
        sleep = sender._sleep

        async def counted(seconds: float | None) -> None:
            waits.append(seconds)
            await sleep(seconds)

        sender._sleep = counted  # type: ignore[method-assign]
        await sender.run_until_idle()
    assert_exactly_once(seen, wave)
    # It slept until each row's turn: a few waits per row, not a loop spinning through
    # thousands of zero-second waits while the wave is held back.
    assert len(waits) < 10 * len(wave), len(waits)


async def _run_sender_process(
    emu: BotApiEmulator, db_url: str, log: Path
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SENDER_SCRIPT),
        emu.base_url,
        TOKEN,
        db_url,
        "1",  # one call in flight: the kill can catch at most one message in the air
        "100",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=log.open("wb"),
    )


@pytest.mark.slow
async def test_kill_9_mid_batch_then_restart_sends_the_rest_exactly_once(
    emu: BotApiEmulator, odb: Database, tmp_path: Path
) -> None:
    # The overall limit is raised for this test so 500 messages take seconds, not 18 s: what
    # is under test is the crash, and the pace is proven above. Per-chat limits stay.
    emu._flood.global_per_second = 120
    emu._flood.reset()
    emu.record_calls = False
    users = known_users(emu, 250)
    plan = [
        (f"reminder:{i}:2026-11-24:{n}", u.chat_id) for n in range(2) for i, u in enumerate(users)
    ]
    await enqueue_all(odb, plan)
    seen = arrivals(emu)
    db_url = str(odb.url.render_as_string(hide_password=False))

    first = await _run_sender_process(emu, db_url, tmp_path / "sender-1.log")
    deadline = time.monotonic() + 30
    while emu.sent_count < 100:
        assert first.returncode is None, (tmp_path / "sender-1.log").read_text()
        assert time.monotonic() < deadline, "the sender process did not get going"
        await asyncio.sleep(0.005)
    os.kill(first.pid, signal.SIGKILL)
    await first.wait()
    at_kill = emu.sent_count
    assert 100 <= at_kill < 500

    second = await _run_sender_process(emu, db_url, tmp_path / "sender-2.log")
    out, _ = await asyncio.wait_for(second.communicate(), 60)
    assert second.returncode == 0, (tmp_path / "sender-2.log").read_text()
    restart_stats = json.loads(out)

    delivered = Counter(text for _, _, text in seen)
    assert max(delivered.values()) == 1  # nothing twice
    rows = await rows_by_key(odb)
    statuses = Counter(row.status for row in rows.values())
    assert statuses[OutboxStatus.UNKNOWN] <= 1
    assert statuses[OutboxStatus.SENT] + statuses[OutboxStatus.UNKNOWN] == 500
    sent_keys = {key for key, row in rows.items() if row.status == OutboxStatus.SENT}
    assert sent_keys <= set(delivered)  # every row marked sent did arrive
    assert set(delivered) - sent_keys <= {k for k, r in rows.items() if r.status == "unknown"}
    assert restart_stats["unknown"] == statuses[OutboxStatus.UNKNOWN]
    assert len(delivered) >= 499 and restart_stats["sent"] >= 500 - at_kill - 1
