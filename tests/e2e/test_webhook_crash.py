"""The proof for webhook mode: a ``sigap run --webhook`` process killed with SIGKILL while it is
handling an update loses nothing. The update was never answered 200, so the emulator, like
Telegram, delivers it again to the restarted process, which handles it once: one answer, one
saved entry.

Long polling has the same promise through the inbox (``test_crash_recovery.py``).
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator import BotApiEmulator
from models.db import Database
from tests.e2e.harness import eventually
from tests.e2e.test_crash_recovery import (
    BotProcess,
    _link,
    crash_setup,
    log_and_save_across_two_kills,
)
from tests.e2e.test_webhook import SECRET, free_port

pytestmark = pytest.mark.slow

STAFF = "197508121999031007"


class WebhookBotProcess(BotProcess):
    command = ("run", "--webhook")

    def __init__(self, emulator: BotApiEmulator, db_url: str, workdir: Path) -> None:
        super().__init__(emulator, db_url, workdir)
        port = free_port()
        self.env.update(
            SIGAP_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            SIGAP_WEBHOOK_PORT=str(port),
            SIGAP_WEBHOOK_SECRET=SECRET,
        )


@pytest.fixture
async def crashable_webhook(
    db_url: str, tmp_path: Path
) -> AsyncIterator[tuple[BotApiEmulator, BotProcess, Database]]:
    # Telegram backs off up to a minute or two between attempts; a scaled-down back-off keeps
    # the test short without changing what happens.
    async with crash_setup(
        db_url, tmp_path, WebhookBotProcess, webhook_retry_max_delay=0.3
    ) as running:
        yield running


async def test_kill_9_mid_update_redelivers_and_answers_once(crashable_webhook) -> None:
    emulator, bot, db = crashable_webhook
    bot.start()
    person = await _link(db, emulator, STAFF)

    killed: list[int] = []

    async def not_answered_200() -> None:
        """Telegram still holds the update: its delivery to the killed process was cut."""
        closed = [d for d in emulator.webhook_deliveries if d.error == "Webhook connection closed"]
        assert closed, emulator.webhook_deliveries
        killed.append(closed[-1].update_id)

    await log_and_save_across_two_kills(emulator, bot, person, db, not_answered_200)

    # Each of the two updates was delivered twice: once to the killed process, once after. The
    # second delivery is answered 200 only after its handling, i.e. after the person already saw
    # the reply: wait for that answer, then count.
    def answered_once() -> list[int]:
        delivered = [d.update_id for d in emulator.webhook_deliveries if d.error is None]
        return [delivered.count(update_id) for update_id in killed]

    await eventually(lambda: answered_once() != [1, 0], timeout=10)
    assert answered_once() == [1, 1]
    await eventually(lambda: emulator.pending_update_count == 0, timeout=10)

    # A clean stop (SIGTERM, as systemd does) exits 0 and leaves the webhook set, so Telegram
    # keeps queueing while the bot restarts.
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(15) == 0
    assert not emulator.calls_by_method("deleteWebhook")
    await person.send("/bantuan")
    await eventually(lambda: emulator.pending_update_count == 1, timeout=5)
