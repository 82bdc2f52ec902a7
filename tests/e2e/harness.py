"""End-to-end harness: the emulator plus the real Application from ``build_application``.

Only the API base URL and the database differ from production. Tests drive users through the
emulator's client side and read what each chat received and what the database holds.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import ALLOWED_UPDATES, SigapApplication, app_data, build_application
from bot.polling import start_bot, stop_bot
from domain.clock import ManualClock
from domain.roster import read_roster
from emulator import BotApiEmulator, EmulatedUser
from models.db import Database
from models.identity import issue_invites
from models.inbox import InboxUpdate
from models.roster import import_roster
from scheduler.outbox import OutboxSender
from scheduler.service import Scheduler
from services.settings import Settings

TOKEN = "123456789:TEST-token-for-the-emulator_xyz"
BOT_USERNAME = "sigap_test_bot"
# A Tuesday morning in Belawan (09:00 WIB).
START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
OPERATOR_ID = 999_000_001


@dataclass
class Harness:
    emulator: BotApiEmulator
    application: SigapApplication
    db: Database
    clock: ManualClock
    settings: Settings
    scheduler: Scheduler
    _linked: dict[str, object] = field(default_factory=dict)

    @property
    def sender(self) -> OutboxSender:
        """The outbox sender (build_application always gives the scheduler one)."""
        assert self.scheduler.sender is not None
        return self.scheduler.sender

    def user(self, **kwargs: Any) -> EmulatedUser:
        return self.emulator.user(**kwargs)

    async def import_roster(self, path: Path) -> None:
        result = await import_roster(
            self.db, read_roster(path), dry_run=False, actor="test", now=self.clock.now()
        )
        assert not result.problems, result.problems

    async def invite_token(self, nip: str, ttl: timedelta = timedelta(days=14)) -> str:
        issued = await issue_invites(
            self.db, now=self.clock.now(), ttl=ttl, actor="test", nip=nip, include_linked=True
        )
        assert len(issued) == 1, f"no employee {nip}"
        return issued[0].token

    async def employee(self, nip: str, **user_kwargs: Any) -> EmulatedUser:
        """A Telegram user who linked to the employee with this NIP, the way people do."""
        person = self.user(**user_kwargs)
        token = await self.invite_token(nip)
        await person.send(f"/start {token}")
        await person.wait_for(1)
        last = person.last
        assert last is not None and "NIP" in last.text, last
        return person


def harness_settings(emulator: BotApiEmulator, db_url: str, **overrides: Any) -> Settings:
    overrides.setdefault("SIGAP_METRICS_LISTEN", "")  # no health server unless a test asks
    return Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=emulator.base_url,
        DATABASE_URL=db_url,
        SIGAP_ADMIN_IDS=str(OPERATOR_ID),
        # Tests tick the scheduler themselves, at the times they set on the clock.
        SIGAP_SCHEDULER_INTERVAL=3600,
        **overrides,
    )


async def start_harness(
    db_url: str, *, db: Database | None = None, **settings_overrides: Any
) -> Harness:
    """``db``: the bot's database object, when a test needs one of its own (a short SQLite
    busy timeout); by default one for ``db_url``."""
    emulator = BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME)
    await emulator.start()
    settings = harness_settings(emulator, db_url, **settings_overrides)
    db = db or Database(db_url)
    clock = ManualClock(START)
    application = build_application(settings, db=db, clock=clock)
    await start_bot(application, ALLOWED_UPDATES, poll_seconds=1)
    return Harness(
        emulator, application, db, clock, settings, app_data(application).require_scheduler()
    )


async def stop_harness(harness: Harness) -> None:
    await stop_bot(harness.application)
    await harness.emulator.stop()


async def restart(harness: Harness) -> None:
    """Stop the bot and start a new Application on the same database and emulator: what a
    restart leaves behind is only the database."""
    await stop_bot(harness.application)
    await start_again(harness)


async def start_again(harness: Harness) -> None:
    """A new Application (a new process) on the harness's database and emulator."""
    application = build_application(harness.settings, db=harness.db, clock=harness.clock)
    await start_bot(application, ALLOWED_UPDATES, poll_seconds=1)
    harness.application, harness.scheduler = application, app_data(application).require_scheduler()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(condition: Callable[[], object], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait until ``condition()`` holds (for effects with no message to wait for)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def count(db: Database, model: Any) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def idle(db: Database) -> None:
    """Wait until the bot has finished every update it fetched (its inbox is empty). A kill
    before that, just after a reply went out, brings the update round again after the restart,
    as Telegram does in webhook mode before the 200: its question is then asked twice."""
    for _ in range(200):
        if await count(db, InboxUpdate) == 0:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("updates still unhandled in the inbox")
