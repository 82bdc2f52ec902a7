"""A bot process killed with SIGKILL mid-flow continues every conversation where it was.

The bot runs as a real ``sigap run`` process against the emulator in this test process, so the
kill is a real kill -9: nothing in memory survives, only what was committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.roster import read_roster
from emulator import BotApiEmulator
from models.db import Database
from models.identity import issue_invites
from models.roster import import_roster
from models.tables import Conversation
from models.types import utcnow
from tests.conftest import EXAMPLES
from tests.e2e.harness import BOT_USERNAME, TOKEN

pytestmark = pytest.mark.slow

CAMAT = "198105142003121002"
STAFF = "197508121999031007"


class BotProcess:
    # ``sigap`` arguments; the webhook tests run ``run --webhook``.
    command: tuple[str, ...] = ("run",)

    def __init__(self, emulator: BotApiEmulator, db_url: str, workdir: Path) -> None:
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.base_url,
            "DATABASE_URL": db_url,
            "SIGAP_LOG_LEVEL": "WARNING",
            # The process runs on the wall clock: from 14:00 WIB a working day's reminder
            # would land in the middle of the conversation under test. No reminders here.
            "SIGAP_REMINDER_QUIET_FROM": "00:00",
        }
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        # The child keeps its own copy of the file; ours is closed at once.
        with (self.workdir / f"bot-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", *self.command],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        # The test is over: no need to wait for a graceful stop (up to the long-poll timeout).
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextlib.asynccontextmanager
async def crash_setup(
    db_url: str, workdir: Path, process: type[BotProcess] = BotProcess, **emulator_options: Any
) -> AsyncIterator[tuple[BotApiEmulator, BotProcess, Database]]:
    """The sample roster, an emulator and a bot process that is not started yet."""
    db = Database(db_url)
    result = await import_roster(
        db, read_roster(EXAMPLES / "roster_belawan.csv"), dry_run=False, actor="test", now=utcnow()
    )
    assert not result.problems
    emulator = BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME, **emulator_options)
    await emulator.start()
    bot = process(emulator, db_url, workdir)
    try:
        yield emulator, bot, db
    finally:
        bot.stop()
        await emulator.stop()
        await db.dispose()


@pytest.fixture
async def crashable(
    db_url: str, tmp_path: Path
) -> AsyncIterator[tuple[BotApiEmulator, BotProcess, Database]]:
    async with crash_setup(db_url, tmp_path) as running:
        yield running


async def _link(db: Database, emulator: BotApiEmulator, nip: str):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    [invite] = await issue_invites(db, now=utcnow(), ttl=timedelta(days=1), actor="test", nip=nip)
    person = emulator.user(first_name="Rahmad")
    await person.send(f"/start {invite.token}")
    await person.wait_for(1, timeout=30)  # the first answer waits for the process to start
    return person


async def test_flow_survives_kill_9_at_every_step(crashable) -> None:  # type: ignore[no-untyped-def]
    emulator, bot, db = crashable
    bot.start()
    camat = await _link(db, emulator, CAMAT)

    await camat.send("/undang")
    [ask] = await camat.wait_for(1, timeout=10)
    assert "Ketik NIP" in ask.text

    # Killed while waiting for the NIP; the answer arrives while no bot runs.
    bot.kill()
    await camat.send("19750812 199903 1 007")
    await asyncio.sleep(0.3)
    assert camat.messages[-1].message_id == ask.message_id  # nobody answered yet
    bot.start()
    [confirm] = await camat.wait_for(1, timeout=30)
    assert "Agus Salim Daulay" in confirm.text

    # Killed again at the confirmation step; the button still works after the restart.
    bot.kill()
    async with db.read() as session:
        stored = (await session.execute(select(Conversation))).scalar_one()
    assert (stored.flow, stored.step, stored.data["nip"]) == ("invite", "confirm", STAFF)
    bot.start()
    await camat.press("Buat undangan")
    [created] = await camat.wait_for(1, timeout=30)
    assert "https://t.me/" in created.text and "Agus Salim Daulay" in created.text
    # Exactly one answer per step: a redelivered update after a restart is not replayed.
    await asyncio.sleep(0.5)
    texts = [m.text for m in camat.messages]
    assert sum("Ketik NIP" in t for t in texts) == 1
    assert sum("Buat tautan undangan untuk" in t for t in texts) == 1
