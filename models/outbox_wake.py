"""Telling whoever delivers the outbox that rows were committed, without knowing who that is.

In this process: :func:`models.outbox.enqueue` marks its session (:func:`mark`); when that
session's transaction commits, SQLAlchemy's ``after_commit`` event calls every callback
subscribed for the session's database (:func:`subscribe`). Not before the commit (the sender
would read nothing yet) and never for a rolled-back transaction. Every writer goes through
``enqueue``, so every writer wakes the sender the same way; which function to call is the
composition root's business (``bot/app.py`` subscribes the sender's ``notify``).

From other processes (``sigap jobs run``, a CLI command, a second instance):
:func:`watch_other_writers` calls back within about a second of their commit. On PostgreSQL
``enqueue``'s INSERT also calls ``pg_notify('sigap_outbox', '')`` for each row it writes (no
round trip of its own; delivered by the server once at commit, dropped at rollback) and the
watcher LISTENs; on SQLite, which has no notifications, it polls the highest
pending id, one lookup in the ``(status, id)`` index.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models.db import Database

log = logging.getLogger("sigap.outbox")

CHANNEL = "sigap_outbox"
# The key in Session.info of a transaction that wrote outbox rows.
_MARK = "sigap_outbox_rows"
POLL_SECONDS = 1.0

Callback = Callable[[], None]
_subscribers: weakref.WeakKeyDictionary[Database, list[Callback]] = weakref.WeakKeyDictionary()


def subscribe(db: Database, callback: Callback) -> Callable[[], None]:
    """Call ``callback()`` after each commit in this process that wrote outbox rows to ``db``.

    It runs inside the commit (on the event loop's thread), so it must only take note (set an
    event); an exception in it is logged, never raised into the committing writer. Returns the
    function that unsubscribes."""
    callbacks = _subscribers.setdefault(db, [])
    callbacks.append(callback)

    def unsubscribe() -> None:
        if callback in callbacks:
            callbacks.remove(callback)

    return unsubscribe


def mark(session: AsyncSession) -> None:
    """This transaction wrote outbox rows (``enqueue`` calls it; on PostgreSQL its INSERT
    has already called ``pg_notify``)."""
    session.info[_MARK] = True


def committed(db: Database) -> None:
    """Rows were committed to ``db`` without a session (``models.one_trip``, whose
    transaction has no ``after_commit`` event): call what a session's commit would have."""
    for callback in list(_subscribers.get(db, ())):
        try:
            callback()
        except Exception:  # a wake-up must never fail the writer's commit
            log.exception("outbox wake-up callback failed")


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if not session.info.pop(_MARK, False):
        return
    db = session.info.get("database")
    if db is not None:
        committed(db)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_MARK, None)


async def watch_other_writers(
    db: Database, callback: Callback, *, poll_seconds: float = POLL_SECONDS
) -> None:
    """Run until cancelled: call ``callback()`` soon after any process commits outbox rows.

    PostgreSQL: LISTEN on a connection of its own, reconnecting after a loss (and calling back
    then, for what a lost connection may have missed). SQLite: a poll every ``poll_seconds``.
    """
    if db.is_sqlite:
        await _poll(db, callback, poll_seconds)
        return
    while True:
        try:
            await _listen(db, callback)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("outbox LISTEN lost (%s); listening again in %.0f s", exc, 5.0)
        await asyncio.sleep(5.0)
        callback()


async def _poll(db: Database, callback: Callback, poll_seconds: float) -> None:
    # Served from ix_outbox_message_status_id without touching the table. Plain SQL: this
    # module sits under models.outbox, which imports it.
    newest = text("SELECT max(id) FROM outbox_message WHERE status = 'pending'")
    seen: int | None = None
    while True:
        try:
            async with db.read() as session:
                latest = (await session.execute(newest)).scalar_one_or_none() or 0
        except Exception as exc:  # the file locked or gone for a moment: try again
            log.warning("outbox poll failed: %s", exc)
        else:
            if seen is not None and latest > seen:
                callback()
            seen = latest
        await asyncio.sleep(poll_seconds)


async def _listen(db: Database, callback: Callback) -> None:
    lost = asyncio.Event()

    def notified(*_: Any) -> None:
        callback()

    def terminated(*_: Any) -> None:
        lost.set()

    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.add_listener(CHANNEL, notified)
        driver.add_termination_listener(terminated)
        try:
            callback()  # anything committed before we listened
            await lost.wait()
            raise ConnectionError("the LISTEN connection closed")
        finally:
            driver.remove_termination_listener(terminated)
            if not driver.is_closed():
                await driver.remove_listener(CHANNEL, notified)
