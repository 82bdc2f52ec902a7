"""The sender's one queue of state changes, committed in as few short transactions as possible
(SQLite serialises writers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from models.db import Database

log = logging.getLogger("sigap.outbox")

T = TypeVar("T")

Op = Callable[[AsyncSession], Awaitable[Any]]


class WriteQueue:
    """Every state change of the sender, committed in as few transactions as possible.

    Operations queue in order and a single flusher runs everything queued so far in one
    transaction; futures resolve after the commit, so a ``sending`` mark is durable before its
    call starts. Outcomes (``sent``, ``failed``, back to ``pending``) are lazy: they ride along
    with the next claim, which at full speed comes a few tens of milliseconds later, or are
    committed on their own after ``lazy_delay``. That halves the commits per message without
    widening what a crash leaves uncertain: the next message cannot be claimed without the
    outcomes before it. Order is kept: a row's ``pending`` after a 429 commits before (or with)
    the ``sending`` of its retry.
    """

    def __init__(self, db: Database, lazy_delay: float = 0.1) -> None:
        self._db = db
        self._lazy_delay = lazy_delay
        self._ops: list[tuple[Op, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        # Outcomes a read of the due rows must see (a row back to ``pending``), queued or
        # being committed: only these make the sender's re-read wait for a commit.
        self._before_reads = 0

    def submit(self, op: Op) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._ops.append((op, future))
        self._start()
        return future

    def submit_lazy(self, op: Op, what: str, *, before_reads: bool = False) -> None:
        """An outcome nobody waits for; a failure to record it is logged (the row then stays
        ``sending`` and becomes ``unknown`` at the next start: never sent twice).
        ``before_reads``: :meth:`flush_for_reads` must commit it (it makes a row due again)."""

        def done(future: asyncio.Future[Any]) -> None:
            if before_reads:
                self._before_reads -= 1
            if not future.cancelled() and future.exception() is not None:
                log.error("could not record %s: %s", what, future.exception())

        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(done)
        if before_reads:
            self._before_reads += 1
        self._ops.append((op, future))
        if self._timer is None and not self._flushing:
            self._timer = asyncio.get_running_loop().call_later(self._lazy_delay, self._start)

    async def run(self, op: Callable[[AsyncSession], Awaitable[T]]) -> T:
        result: T = await self.submit(op)
        return result

    async def flush(self) -> None:
        """Commit everything queued so far, lazy outcomes included."""
        if self._ops:
            self._start()
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def flush_for_reads(self) -> None:
        """Commit what a read of the due rows must see first; nothing to wait for when only
        ``sent`` and ``failed`` marks are queued (the usual case), which a read of ``pending``
        rows does not see either way."""
        if self._before_reads:
            await self.flush()

    @property
    def _flushing(self) -> bool:
        return self._flusher is not None and not self._flusher.done()

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._flushing:
            self._flusher = asyncio.create_task(self._flush_all(), name="outbox-writes")

    async def _flush_all(self) -> None:
        while self._ops:
            batch: list[tuple[Op, asyncio.Future[Any]]] = []
            try:
                async with self._db.write() as session:
                    # Taken once the transaction has begun (on SQLite, once the one writer's
                    # turn has come): what was queued during the wait rides along, instead of
                    # waiting for a turn of its own behind every handler's write.
                    batch, self._ops = self._ops, []
                    results = [await op(session) for op, _ in batch]
            except Exception as exc:
                if not batch:  # the transaction never began: fail what it was to carry
                    batch, self._ops = self._ops, []
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
