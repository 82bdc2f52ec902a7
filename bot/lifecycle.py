"""Starting and stopping the Application the same way in every mode (polling, webhook, the
sandbox, the tests), running until systemd or Ctrl-C says stop, and one ``sigap run`` per
database."""

from __future__ import annotations

import asyncio
import fcntl
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from telegram.ext import Application

from models.db import Database
from services.settings import ConfigError

# pg_advisory_lock key of a running bot (advisory locks are per database): "SIGAP" in ASCII.
_PG_LOCK_KEY = 0x5349474150
# How long a new process waits for the lock: a process killed a moment ago releases it at once
# (the kernel closes its file and its PostgreSQL connection), a running one never does.
LOCK_WAIT_SECONDS = 5.0


async def start_application(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What PTB's run_polling does before it polls: initialise, post_init (the scheduler and
    the outbox sender start there), start the update processor."""
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


@asynccontextmanager
async def only_instance(db: Database, wait: float = LOCK_WAIT_SECONDS) -> AsyncIterator[None]:
    """Hold the database's bot lock while the block runs; ``ConfigError`` if another process
    holds it. Two bots on one database would both poll (Telegram answers each with 409 in
    turn), and each, starting, would take the other's updates in progress from the inbox."""
    refused = ConfigError(
        "another `sigap run` is already using this database (DATABASE_URL); stop it first "
        "(for example `systemctl stop sigap`)"
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    if db.is_sqlite:
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
        return
    # AUTOCOMMIT: the connection holds the session lock without an open transaction.
    async with db.engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        query = text("SELECT pg_try_advisory_lock(:key)")
        while not (await connection.execute(query, {"key": _PG_LOCK_KEY})).scalar():
            if loop.time() > deadline:
                raise refused
            await asyncio.sleep(0.1)
        try:
            yield
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
