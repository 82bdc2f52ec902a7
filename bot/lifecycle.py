"""Starting and stopping the Application the same way in every mode (polling, webhook, the
sandbox, the tests), running until systemd or Ctrl-C says stop, and who leads on a database.

SQLite: one ``sigap run`` per database (a second one refuses to start). PostgreSQL: the first
``sigap run`` leads (it holds the bot lock, ``bot.leadership``) and any other waits as a hot
standby until the leader's session ends, then takes over. A leader that loses its lock stops
at once, as a kill would stop it (``step_down``): a restart (systemd) makes it a standby, and a
kill is the one way of stopping that the crash tests prove safe.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, NoReturn

from telegram.ext import Application

from bot.leadership import BotLock
from models.db import Database
from services.metrics import Metrics, Role
from services.settings import ConfigError

log = logging.getLogger("sigap.lifecycle")

# How long a new process waits for the SQLite lock: a process killed a moment ago releases it
# at once (the kernel closes its file), a running one never does.
LOCK_WAIT_SECONDS = 5.0
# The exit status of a leader that lost its lock (EX_TEMPFAIL: start it again).
EXIT_LOST_LOCK = 75


async def start_application(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What PTB's run_polling does before it polls: initialise, post_init, start the update
    processor. The scheduler and the outbox sender are the leader's: started apart."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()


async def stop_application(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if application.running:
        await application.stop()
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


def run_until_signalled(serve: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``serve(stop)`` in a new event loop; SIGINT or SIGTERM sets ``stop``."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(stop)

    asyncio.run(main())


def step_down() -> NoReturn:
    """The leader lost its lock: another process may lead already. Stop now, without finishing
    anything (what is unfinished is in the database: the inbox, ``sending`` outbox rows), as a
    kill -9 would; systemd starts the process again, as a standby."""
    log.critical(
        "lost the database's bot lock: stopping at once (exit %d) so that no two processes "
        "lead; started again, this process waits as a standby",
        EXIT_LOST_LOCK,
    )
    logging.shutdown()
    os._exit(EXIT_LOST_LOCK)


@asynccontextmanager
async def leadership(
    db: Database,
    stop: asyncio.Event,
    metrics: Metrics,
    *,
    on_standby: Callable[[], None] = lambda: None,
    on_lost: Callable[[], object] = step_down,
    standby_note: str = "",
) -> AsyncIterator[bool]:
    """The block runs once this process leads (``True``), or at ``stop`` while it still waits
    (``False``). SQLite: ``ConfigError`` if another process runs on the database. PostgreSQL:
    waits as a hot standby (``on_standby`` is told), and while the block runs ``on_lost`` is
    called if the lock is lost."""
    if db.is_sqlite:
        async with only_instance(db):
            metrics.set_role(Role.LEADER)
            try:
                yield True
            finally:
                metrics.set_role(Role.STANDBY)
        return
    lock = BotLock(db)
    loop = asyncio.get_running_loop()
    try:
        taken, reachable = False, True
        try:
            taken = await lock.try_take()
        except Exception as exc:  # a database not there yet is waited for below
            reachable = False
            log.warning("cannot reach the database to ask for the bot lock (%s)", exc)
        if not taken:
            log.warning(
                "standby: %s; waiting to take over%s",
                "another `sigap run` leads on this database"
                if reachable
                else "the database does not answer yet",
                standby_note,
            )
            metrics.set_role(Role.STANDBY)
            on_standby()
            waiting_since = loop.time()
            if not await lock.take(stop):
                yield False
                return
            log.warning(
                "took the database's bot lock after %.1f s as a standby: now the leader",
                loop.time() - waiting_since,
            )
        metrics.set_role(Role.LEADER)
        watcher = asyncio.create_task(_watch(lock, on_lost), name="sigap-leadership")
        try:
            yield True
        finally:
            watcher.cancel()
            metrics.set_role(Role.STANDBY)
    finally:
        with suppress(Exception):  # a lost session has released the lock already
            await lock.release()


async def _watch(lock: BotLock, on_lost: Callable[[], object]) -> None:
    await lock.watch()
    on_lost()


@asynccontextmanager
async def only_instance(db: Database, wait: float = LOCK_WAIT_SECONDS) -> AsyncIterator[None]:
    """Hold the SQLite database's lock file while the block runs; ``ConfigError`` if another
    process holds it. Two bots on one database would both poll (Telegram answers each with 409
    in turn), and each, starting, would take the other's updates in progress from the inbox."""
    refused = ConfigError(
        "another `sigap run` is already using this database (DATABASE_URL); stop it first "
        "(for example `systemctl stop sigap`)"
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    database = db.url.database or ""
    if not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:  # noqa: ASYNC230 (once, at start-up)
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if loop.time() > deadline:
                    raise refused from None
                await asyncio.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
