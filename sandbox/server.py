"""``sigap sandbox``: the emulator, the real bot and a Telegram-like web page in one process.

The bot is the production ``Application`` from ``build_application``, polling the project's Bot
API emulator; the Scheduler runs on a :class:`~sandbox.clock.SandboxClock` the page can move
forward. This module wires the pieces and starts and stops them: ``people`` (the demo people
and their actions), ``chats`` (chats as the page shows them, kept across restarts),
``clock_panel`` and ``page`` (the JSON API and WebSocket the page talks to).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.app import ALLOWED_UPDATES, SigapApplication, app_data, build_application
from bot.polling import start_bot, stop_bot
from emulator import BotApiEmulator, EmulatedGroup, EmulatedUser
from models.db import Database
from sandbox.chats import Chats
from sandbox.clock import SandboxClock
from sandbox.clock_panel import ClockPanel, load_clock
from sandbox.page import Page
from sandbox.people import People
from sandbox.personas import Persona
from sandbox.seed import CLOCK, HISTORY, MARKER, link_personas, prepare_data_dir, seed_database
from services.settings import Settings

log = logging.getLogger("sigap.sandbox")

TOKEN = "700000001:SANDBOX-token-for-the-emulator-xyz"
BOT_USERNAME = "sigap_sandbox_bot"


class Sandbox:
    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 8080,
        host: str = "127.0.0.1",
        start: datetime | None = None,
        reset: bool = False,
        scheduler_interval: float = 15.0,
        settings_overrides: dict[str, object] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.reset = reset
        self.clock = SandboxClock(start)
        self._start_given = start is not None
        self.scheduler_interval = scheduler_interval
        self._overrides = settings_overrides or {}
        self.emulator = BotApiEmulator(TOKEN, BOT_USERNAME, "Sigap")
        self.people = People(self.emulator)
        self.chats = Chats(self.people, self.clock, lambda: self.zone)
        self.page = Page(
            self.people,
            self.chats,
            ClockPanel(self.clock, lambda: self.zone, self._run_jobs),
            self.emulator.files,
            bot_username=BOT_USERNAME,
            on_shown=self._save_later,
        )
        self.application: SigapApplication | None = None
        self.settings: Settings | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._db: Database | None = None
        self._save: asyncio.TimerHandle | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone if self.settings else "Asia/Jakarta")

    @property
    def users(self) -> dict[str, EmulatedUser]:
        return self.people.users

    @property
    def group(self) -> EmulatedGroup | None:
        return self.people.group

    def chat_json(self, p: Persona) -> dict[str, Any]:
        return self.chats.chat_json(p)

    async def clock_action(self, action: str) -> dict[str, Any]:
        return await self.page.clock_action(action)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        # The page's port first: a port already taken fails before anything is touched.
        app = self.page.web_app()
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        try:
            await self._start_bot()
        except BaseException:
            await self.stop()
            raise
        self.url = f"http://{self.host}:{self.port}"
        self.page.open()

    async def _start_bot(self) -> None:
        prepare_data_dir(self.data_dir, reset=self.reset)
        db_url = f"sqlite+aiosqlite:///{(self.data_dir / 'sigap.db').as_posix()}"
        db = self._db = Database(db_url)
        seeded = (self.data_dir / MARKER).read_text().strip() == "seeded"
        saved = load_clock(self.data_dir / CLOCK) if seeded else None
        if saved is not None and not self._start_given and saved > self.clock.now():
            # The clock never goes back, not even across restarts: the data (scheduled jobs
            # that ran, queued notifications) is from the moment it had reached.
            self.clock.jump_to(saved)
        await seed_database(db, now=self.clock.now(), fresh=not seeded)

        await self.emulator.start("127.0.0.1", 0)
        self.emulator.listeners.append(self.page.changed)
        self.people.create()
        # By the names of the environment variables (pydantic's aliases), as an operator sets them.
        values: dict[str, Any] = {
            "SIGAP_SCHEDULER_INTERVAL": self.scheduler_interval,
            **self._overrides,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.emulator.base_url,
            "DATABASE_URL": db_url,
            "SIGAP_DATA_DIR": str(self.data_dir),
            "SIGAP_BOT_USERNAME": BOT_USERNAME,
        }
        self.settings = Settings(**values)
        application = build_application(self.settings, db=db, clock=self.clock)
        await start_bot(application, ALLOWED_UPDATES, poll_seconds=10)
        self.application = application

        if seeded:
            self.chats.load_archive(self.data_dir / HISTORY, self.page.panel.json()["display"])
            for user in self.users.values():
                user.open_private_chat()
        else:
            assert self.group is not None
            await link_personas(db, self.users, self.group, now=self.clock.now())
            (self.data_dir / MARKER).write_text("seeded\n")

    async def _run_jobs(self, now: datetime) -> dict[str, int]:
        assert self.application is not None
        return await app_data(self.application).require_scheduler().tick(now)

    async def stop(self) -> None:
        if self._save is not None:
            self._save.cancel()
            self._save = None
        if self.application is not None:
            self.save_history()
        await self.page.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        application = self.application
        self.url = ""
        if application is not None:
            await stop_bot(application)
            self.application = None
        elif self._db is not None:  # stopped while seeding: the bot never took the database
            await self._db.dispose()
        self._db = None
        await self.emulator.stop()

    # -- what the next run shows -----------------------------------------------------------

    def _save_later(self) -> None:
        if self._save is None:
            self._save = asyncio.get_running_loop().call_later(2.0, self._save_now)

    def _save_now(self) -> None:
        self._save = None
        self.save_history()

    def save_history(self) -> None:
        """The chats as the page shows them, and the clock, for the next run."""
        try:
            _write(self.data_dir / HISTORY, self.chats.history_json())
            _write(self.data_dir / CLOCK, self.clock.now().isoformat() + "\n")
        except OSError as exc:
            log.warning("could not save the chat history: %s", exc)


def _write(target: Path, text: str) -> None:
    """Whole or not at all: a crash mid-write leaves the previous file."""
    temporary = target.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(target)


async def serve(sandbox: Sandbox, ready: Callable[[Sandbox], None] | None = None) -> None:
    """Start the sandbox and run until cancelled (Ctrl+C)."""
    await sandbox.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Ctrl+C too, not only through Python's KeyboardInterrupt: a process started in the
    # background of a script (`make sandbox &`, a CI job) inherits SIGINT ignored, and Python
    # then never turns it into KeyboardInterrupt; a handler of the loop's own still stops it.
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
            loop.add_signal_handler(signum, stopping.set)
    try:
        if ready is not None:
            ready(sandbox)
        await stopping.wait()
    finally:
        await sandbox.stop()


__all__ = ["BOT_USERNAME", "TOKEN", "Sandbox", "serve"]
