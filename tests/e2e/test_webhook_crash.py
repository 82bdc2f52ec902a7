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
from models.tables import Activity
from tests.e2e.harness import eventually
from tests.e2e.test_crash_recovery import (
    BotProcess,
    _link,
    assert_saved_once,
    count,
    crash_setup,
    kill_while_waiting_on,
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


async def test_kill_9_mid_update_redelivers_and_answers_once(crashable_webhook) -> None:  # type: ignore[no-untyped-def]
    emulator, bot, db = crashable_webhook
    bot.start()
    person = await _link(db, emulator, STAFF)

    async def killed_while_waiting_on(method: str, act) -> int:  # type: ignore[no-untyped-def]
        """Kill the bot while it handles ``act``'s update; return that update's id."""
        await kill_while_waiting_on(emulator, bot, person, method, act)
        closed = [d for d in emulator.webhook_deliveries if d.error == "Webhook connection closed"]
        assert closed, emulator.webhook_deliveries
        return closed[-1].update_id

    # 1. A quick log: the draft is committed, then the bot dies sending the summary.
    text_update = await killed_while_waiting_on(
        "sendMessage", lambda: person.send("Sosialisasi posyandu Bagan Deli 2 jam")
    )
    assert not any("Bagan Deli" in m.text for m in person.messages)  # nothing reached them
    bot.start()
    [summary] = await person.wait_for(1, timeout=20)
    assert "Bagan Deli" in summary.text and "✅ Simpan" in summary.button_texts

    # 2. Save: the bot dies before committing, while retiring the summary's buttons.
    press_update = await killed_while_waiting_on(
        "editMessageReplyMarkup", lambda: person.press("✅ Simpan")
    )
    assert await count(db, Activity) == 0
    bot.start()
    [saved] = await person.wait_for(1, timeout=20)
    assert "Tersimpan" in saved.text

    # Exactly once: one summary, one confirmation, no apology; one entry in the database.
    assert_saved_once(person)
    assert await count(db, Activity) == 1
    # Each of the two updates was delivered twice: once to the killed process, once after.
    delivered = [d.update_id for d in emulator.webhook_deliveries if d.error is None]
    assert delivered.count(text_update) == 1 and delivered.count(press_update) == 1
    await eventually(lambda: emulator.pending_update_count == 0, timeout=10)

    # A clean stop (SIGTERM, as systemd does) exits 0 and leaves the webhook set, so Telegram
    # keeps queueing while the bot restarts.
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(15) == 0
    assert not emulator.calls_by_method("deleteWebhook")
    await person.send("/bantuan")
    await eventually(lambda: emulator.pending_update_count == 1, timeout=5)
