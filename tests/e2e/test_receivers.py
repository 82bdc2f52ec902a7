"""Several webhook receivers on one PostgreSQL database, behind a load balancer.

Two ``sigap run --webhook`` processes sit behind a round-robin balancer (here, a few lines of
aiohttp in the test), so one person's 50 messages are taken alternately by each: every one is
handled once, in the order sent, and only the leader runs the scheduler. Before this, the
second receiver refused to start. And the per-chat lock that keeps two receivers from handling
one chat at once is shown holding across two database sessions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import aiohttp
import pytest

from bot.leadership import ChatLocks
from emulator import BotApiEmulator
from emulator.balancer import RoundRobin
from models.db import Database
from tests.e2e.harness import eventually
from tests.e2e.test_crash_recovery import crash_setup
from tests.e2e.test_standby import bot_log, health, role_of
from tests.e2e.test_webhook import SECRET
from tests.e2e.test_webhook_crash import WebhookBotProcess

pytestmark = [pytest.mark.postgres]


class Receiver(WebhookBotProcess):
    def __init__(self, emulator: BotApiEmulator, db_url: str, workdir: Path) -> None:
        super().__init__(emulator, db_url, workdir)
        self.backend = f"http://127.0.0.1:{self.env['SIGAP_WEBHOOK_PORT']}/telegram"


async def figure(bot: Receiver, name: str) -> float:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{bot.env['SIGAP_METRICS_LISTEN']}/metrics") as response,
    ):
        body = await response.text()
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(name))


@pytest.fixture
async def two_receivers(
    postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[BotApiEmulator, Receiver, Receiver, RoundRobin]]:
    async with crash_setup(postgres_url, tmp_path, Receiver) as (emulator, started, _db):
        first = cast(Receiver, started)
        (tmp_path / "second").mkdir()
        second = Receiver(emulator, postgres_url, tmp_path / "second")
        balancer = RoundRobin([first.backend, second.backend])
        await balancer.start()
        for receiver in (first, second):
            receiver.env.update(
                SIGAP_WEBHOOK_URL=balancer.url,
                SIGAP_WEBHOOK_SECRET=SECRET,
            )
        try:
            yield emulator, first, second, balancer
        finally:
            second.stop()
            await balancer.stop()


@pytest.mark.slow
async def test_two_receivers_take_one_chats_updates_in_turn_in_order_once_each(
    two_receivers: tuple[BotApiEmulator, Receiver, Receiver, RoundRobin],
) -> None:
    emulator, first, second, balancer = two_receivers
    first.start()
    await role_of(first, "leader")
    second.start()
    await role_of(second, "standby")
    assert (await health(first) or {})["scheduler"] == "running"
    assert (await health(second) or {})["scheduler"] == "stopped"

    siti = emulator.user(first_name="Siti")
    sent = [f"/x{n:02d}" for n in range(50)]
    for text in sent:
        await siti.send(text)
    try:
        await siti.wait_for(50, timeout=120)
    except AssertionError as exc:  # say what each receiver logged
        raise AssertionError(f"{exc}\n{bot_log(first)}\n{bot_log(second)}") from None
    answered = [m.text.split()[1] for m in siti.messages]  # "Perintah /x07 tidak dikenal..."
    assert answered == sent  # in order, once each
    await eventually(lambda: emulator.pending_update_count == 0, timeout=10)
    # Alternately: each receiver took and handled half of them.
    assert balancer.taken[:50] == [first.backend, second.backend] * 25
    assert await figure(first, "sigap_updates_total") == 25
    assert await figure(second, "sigap_updates_total") == 25
    assert await figure(second, "sigap_errors_total") == 0


async def test_a_chat_is_handled_by_one_receiver_at_a_time(postgres_url: str) -> None:
    """The per-chat lock of two receivers (two database sessions): the second waits for the
    first to finish with the chat; another chat is not held up."""
    db = Database(postgres_url)
    here, there = ChatLocks(db), ChatLocks(db)
    order: list[str] = []
    try:
        async with here.hold(-1001234567890):
            waiting = asyncio.create_task(_hold(there, -1001234567890, order, "there"))
            async with there.hold(700000001):  # another chat: free
                order.append("other chat")
            await asyncio.sleep(0.3)
            assert not waiting.done()
            order.append("here done")
        await asyncio.wait_for(waiting, 5)
        assert order == ["other chat", "here done", "there"]
    finally:
        await here.close()
        await there.close()
        await db.dispose()


async def _hold(locks: ChatLocks, chat: int, order: list[str], name: str) -> None:
    async with locks.hold(chat):
        order.append(name)
