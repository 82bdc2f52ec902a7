"""Who leads, on PostgreSQL: the database's bot lock, and the per-chat locks of several webhook
receivers. No cluster of our own: PostgreSQL's advisory locks are held by a session and freed
the moment that session ends (a killed process, a closed connection, a cut network once the
server's keepalives give up), which is exactly when another process must take over.

- ``BotLock``: the leader holds it on a connection of its own. A second ``sigap run`` waits for
  it as a hot standby; a leader that can no longer show it holds it steps down (``watch``).
- ``ChatLocks``: in webhook mode behind a load balancer, any receiver may get any update; one
  chat's updates must still be handled one at a time across all of them. Each receiver holds a
  chat's lock (on one of a few connections shared by all its chats) while it handles that
  chat's update.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.db import Database

log = logging.getLogger("sigap.leadership")

# pg_advisory_lock key of the running bot (advisory locks are per database): "SIGAP" in ASCII.
BOT_LOCK_KEY = 0x5349474150
# Chat locks: bit 62 set, so no chat's key is the bot's (chat ids are below 2^45 either way).
_CHAT_KEY_BIT = 1 << 62
_CHAT_KEY_MASK = (1 << 62) - 1

# A standby asks for the lock this often: the takeover takes at most this long once it is free.
TAKE_INTERVAL_SECONDS = 0.5
# The leader shows every CHECK_INTERVAL that its session still answers, within CHECK_TIMEOUT;
# otherwise it steps down. The server ends a silent session within about idle + interval x
# count seconds (the keepalives below), later than the leader gives up: never two leaders.
CHECK_INTERVAL_SECONDS = 1.0
CHECK_TIMEOUT_SECONDS = 3.0
_SESSION_SETTINGS = (
    "SET tcp_keepalives_idle = 2",
    "SET tcp_keepalives_interval = 1",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 5000",
)
# A chat held by another receiver is asked for again after this long (doubling up to the max).
_CHAT_RETRY_SECONDS, _CHAT_RETRY_MAX_SECONDS = 0.005, 0.1


def chat_lock_key(chat_id: int) -> int:
    return _CHAT_KEY_BIT | (chat_id & _CHAT_KEY_MASK)


async def _session(db: Database) -> AsyncConnection:
    """A connection that holds session locks without an open transaction, and whose session the
    server ends soon after the network to it is cut."""
    connection = await db.engine.connect()
    try:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for setting in _SESSION_SETTINGS:
            await connection.execute(text(setting))
    except BaseException:
        await connection.close()
        raise
    return connection


class BotLock:
    """The database's bot lock (PostgreSQL only)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._connection: AsyncConnection | None = None

    async def try_take(self) -> bool:
        if self._connection is None:
            self._connection = await _session(self._db)
        query = text("SELECT pg_try_advisory_lock(:key)")
        return bool((await self._connection.execute(query, {"key": BOT_LOCK_KEY})).scalar())

    async def take(self, stop: asyncio.Event) -> bool:
        """Wait until the lock is ours (True) or ``stop`` is set (False). A database that goes
        away meanwhile is waited for."""
        while not stop.is_set():
            try:
                if await self.try_take():
                    return True
            except Exception as exc:
                log.warning("standby: cannot ask the database for the bot lock (%s)", exc)
                await self._forget_connection()
            try:
                await asyncio.wait_for(stop.wait(), TAKE_INTERVAL_SECONDS)
            except TimeoutError:
                pass
        return False

    async def watch(self) -> None:
        """Return once the lock can no longer be shown to be held: its session ended, or the
        database did not answer within ``CHECK_TIMEOUT_SECONDS``."""
        connection = self._connection
        assert connection is not None, "watch() before take()"
        while True:
            await asyncio.sleep(CHECK_INTERVAL_SECONDS)
            try:
                async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                    await connection.execute(text("SELECT 1"))
            except Exception as exc:
                log.critical("the database session holding the bot lock is gone (%r)", exc)
                return

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": BOT_LOCK_KEY})
        finally:
            await connection.close()

    async def _forget_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken: closing it is all that was left to do
                pass


class _LockSession:
    """One connection holding chat locks, its queries one at a time."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._connection: AsyncConnection | None = None
        self._mutex = asyncio.Lock()

    async def query(self, sql: str, key: int) -> bool:
        async with self._mutex:
            if self._connection is None:
                self._connection = await _session(self._db)
            try:
                result = await self._connection.execute(text(sql), {"key": key})
            except Exception:
                # Its session is gone, and every lock it held with it: start again.
                connection, self._connection = self._connection, None
                with suppress(Exception):
                    await connection.close()
                raise
            return bool(result.scalar())

    async def close(self) -> None:
        async with self._mutex:
            connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


class ChatLocks:
    """Per-chat advisory locks, on a few connections of this process.

    Session locks stack within a session, and updates of one chat are already in order within
    a process (``bot.processor``): the lock only keeps two *processes* from handling one chat at
    once. A chat always goes to the same one of ``LOCK_SESSIONS`` connections (by its id), so
    its lock and unlock meet in one session; a few connections keep the pool for the handlers
    while the short lock queries of many chats do not queue behind one another. A lock held
    elsewhere is asked for again, never waited on in the server, so no connection blocks.
    """

    LOCK_SESSIONS = 4

    def __init__(self, db: Database) -> None:
        self._sessions = [_LockSession(db) for _ in range(self.LOCK_SESSIONS)]

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        key = chat_lock_key(chat_id)
        session = self._sessions[chat_id % len(self._sessions)]
        delay = _CHAT_RETRY_SECONDS
        while not await session.query("SELECT pg_try_advisory_lock(:key)", key):
            await asyncio.sleep(delay)
            delay = min(delay * 2, _CHAT_RETRY_MAX_SECONDS)
        try:
            yield
        finally:
            try:
                await session.query("SELECT pg_advisory_unlock(:key)", key)
            except Exception as exc:
                # The session is gone, and the lock with it.
                log.warning("could not release a chat lock: %s", exc)

    async def close(self) -> None:
        for session in self._sessions:
            await session.close()
