"""The sender's one queue of state changes, committed in as few short transactions as possible
(SQLite serialises writers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from models.db import Database
from models.outbox import claim_many, mark_sent_many

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

    Claims (:meth:`claim`) and ``sent`` marks (:meth:`sent`), the bulk of it, are gathered
    into one statement each per transaction: on SQLite every statement held the one writer's
    lock for a trip through the event loop, and a busy burst queued a dozen of them. In the
    transaction the ``sent`` marks come first, then the other changes in the order queued,
    then the claims: a row is claimed only after whatever was queued about it before.
    """

    def __init__(self, db: Database, lazy_delay: float = 0.1) -> None:
        self._db = db
        self._lazy_delay = lazy_delay
        self._ops: list[tuple[Op, asyncio.Future[Any]]] = []
        self._claims: list[tuple[int, datetime, asyncio.Future[bool]]] = []
        self._sent: list[tuple[tuple[int, int | None, datetime], asyncio.Future[None]]] = []
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

    async def claim(self, message_id: int, now: datetime) -> bool:
        """``models.outbox.claim_for_sending``, committed before this returns."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._claims.append((message_id, now, future))
        self._start()
        return await future

    def sent(
        self, message_id: int, telegram_message_id: int | None, now: datetime, what: str
    ) -> None:
        """``models.outbox.mark_sent_many`` for this row, lazily (as :meth:`submit_lazy`)."""
        self._sent.append(((message_id, telegram_message_id, now), self._lazy_future(what)))
        self._later()

    def _lazy_future(self, what: str) -> asyncio.Future[Any]:
        def done(future: asyncio.Future[Any]) -> None:
            if not future.cancelled() and future.exception() is not None:
                log.error("could not record %s: %s", what, future.exception())

        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(done)
        return future

    def _later(self) -> None:
        if self._timer is None and not self._flushing:
            self._timer = asyncio.get_running_loop().call_later(self._lazy_delay, self._start)

    @property
    def _queued(self) -> bool:
        return bool(self._ops or self._claims or self._sent)

    def submit_lazy(self, op: Op, what: str, *, before_reads: bool = False) -> None:
        """An outcome nobody waits for; a failure to record it is logged (the row then stays
        ``sending`` and becomes ``unknown`` at the next start: never sent twice).
        ``before_reads``: :meth:`flush_for_reads` must commit it (it makes a row due again)."""
        future = self._lazy_future(what)
        if before_reads:
            self._before_reads += 1
            future.add_done_callback(self._read_may_proceed)
        self._ops.append((op, future))
        self._later()

    def _read_may_proceed(self, _future: asyncio.Future[Any]) -> None:
        self._before_reads -= 1

    async def run(self, op: Callable[[AsyncSession], Awaitable[T]]) -> T:
        result: T = await self.submit(op)
        return result

    async def flush(self) -> None:
        """Commit everything queued so far, lazy outcomes included."""
        if self._queued:
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
        while self._queued:
            batch: list[tuple[Op, asyncio.Future[Any]]] = []
            claims: list[tuple[int, datetime, asyncio.Future[bool]]] = []
            sent: list[tuple[tuple[int, int | None, datetime], asyncio.Future[None]]] = []
            taken = False
            try:
                async with self._db.write() as session:
                    # Taken once the transaction has begun (on SQLite, once the one writer's
                    # turn has come): what was queued during the wait rides along, instead of
                    # waiting for a turn of its own behind every handler's write.
                    batch, self._ops = self._ops, []
                    claims, self._claims = self._claims, []
                    sent, self._sent = self._sent, []
                    taken = True
                    await mark_sent_many(session, [row for row, _ in sent])
                    results = [await op(session) for op, _ in batch]
                    claimed = await _claim_all(session, claims)
            except Exception as exc:
                if not taken:  # the transaction never began: fail what it was to carry
                    batch, self._ops = self._ops, []
                    claims, self._claims = self._claims, []
                    sent, self._sent = self._sent, []
                futures = [f for _, f in batch] + [f for *_, f in claims] + [f for _, f in sent]
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                for message_id, _, claim in claims:
                    if not claim.done():
                        # A row claimed twice in one batch is sent once, as before.
                        claim.set_result(message_id in claimed)
                    claimed.discard(message_id)
                for _, mark in sent:
                    if not mark.done():
                        mark.set_result(None)


async def _claim_all(
    session: AsyncSession, claims: list[tuple[int, datetime, asyncio.Future[bool]]]
) -> set[int]:
    """The claims' rows in one statement (stamped with the latest of their times)."""
    if not claims:
        return set()
    return await claim_many(
        session, [message_id for message_id, _, _ in claims], max(at for _, at, _ in claims)
    )
