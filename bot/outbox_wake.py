"""The outbox sender woken by commits: the composition root's end of ``models/outbox_wake.py``.

A commit in this process that queued a notification calls the sender's ``notify`` (an
after-commit hook); commits of other processes reach it through LISTEN/NOTIFY on PostgreSQL or a
one-second indexed poll on SQLite. The data layer never learns who is woken.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from models import outbox_wake
from models.db import Database


class OutboxWake:
    def __init__(self, db: Database, notify: Callable[[], None]) -> None:
        self._db = db
        self._notify = notify
        self._unsubscribe: Callable[[], None] | None = None
        self._watch: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = outbox_wake.subscribe(self._db, self._notify)
        if self._watch is None:
            self._watch = asyncio.create_task(
                outbox_wake.watch_other_writers(self._db, self._notify), name="outbox-wake"
            )

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watch
