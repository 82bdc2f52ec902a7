"""The outbox sender: delivers queued notifications to Telegram, paced under its flood limits.

Jobs write ``OutboxMessage`` rows (``models.outbox.enqueue``) and call :meth:`OutboxSender.notify`
after their transaction commits; the sender reads the due rows, paces them (an overall token
bucket, at least ``per_chat_interval`` between two messages to one chat, at most
``group_per_minute`` in any minute to one group) and records each outcome. Each chat is a lane:
one message in flight per chat, in id order, so a slow or limited chat waits alone.

Exactly once, and the one exception
    Before each call the row is committed as ``sending``; after Telegram answers it is committed
    as ``sent`` (with the message id), ``blocked``, ``failed``, or back to ``pending``. Telegram
    has no idempotency key, so a row still ``sending`` at start-up was in flight when the
    previous process died and nobody can tell whether it arrived. Such rows become ``unknown``
    and are never resent: at most once for the messages in flight at a crash (at most
    ``max_in_flight`` of them), exactly once for every other row. A duplicate reminder teaches
    people to ignore the bot; a lost one is visible (``unknown`` rows, with a warning in the
    log) and the next reminder follows anyway.

    A timeout or network error after the request was written is the same uncertainty, but it is
    retried (as issue 5 asks): giving up on every timeout would lose messages whenever the
    network hiccups. If Telegram had in fact accepted the timed-out request, the retry is a
    duplicate; that is the one window for one, kept small by generous read timeouts (10 s in
    :func:`bot.http.outbox_bot`, against Telegram's usual well-under-a-second answers).

Errors
    429: the chat waits ``retry_after`` and the message is retried; it is not a failure. When
    several chats are refused within a second it was the overall limit: everybody waits and
    the overall rate steps down, recovering slowly. 5xx, timeouts, network errors: retried with
    exponential backoff up to ``max_attempts``, then ``failed``. 403 (blocked, kicked,
    deactivated): this row and the chat's other pending rows become ``blocked`` and
    ``on_blocked(chat_id)`` is called. 400: ``failed`` with Telegram's description, no retry.
    A group that became a supergroup: its rows move to the new chat id and go out there, and
    ``on_migrated(old_id, new_id)`` is called (a complaint desk follows its group).

Writes are few and short (SQLite serialises writers): all state changes go through one queue
that commits whatever has accumulated in one transaction, so the ``sent`` of one message rides
with the ``sending`` of the next: about one short commit per message. Reads fetch due rows in
batches, at most ``per_chat_prefetch`` per chat.

Run one sender per database: a second one would not send anything twice (a row is claimed with
a conditional UPDATE), but its start-up would turn the other's in-flight rows into ``unknown``.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from domain.clock import Clock
from models import outbox as store
from models.db import Database
from models.outbox import FILE_METHODS, QueuedMessage

log = logging.getLogger("sigap.outbox")

T = TypeVar("T")
BlockedHook = Callable[[int], Awaitable[None]]
MigratedHook = Callable[[int, int], Awaitable[None]]  # (old chat id, new chat id)
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply

# Several chats refused within this window means the overall limit, not theirs.
_OVERALL_429_WINDOW = 1.0
# Do not re-read the outbox more often than this while work is queued.
_MIN_REFRESH_INTERVAL = 0.25


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    unknown: int = 0
    retried_429: int = 0
    retried_errors: int = 0


class _TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def wait_time(self, now: float) -> float:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class Pacing:
    """Telegram's flood limits as this sender keeps to them.

    Pure bookkeeping: every method takes the (monotonic) time, so the rules can be tested
    without waiting. A call is recorded when its answer arrives: the request reached Telegram
    somewhere between being sent and being answered, so spacing from the answer keeps the gap
    at Telegram at least the interval whatever the network did.
    """

    def __init__(
        self,
        *,
        overall_rate: float,
        overall_burst: float,
        per_chat_interval: float,
        group_per_minute: int,
        now: float,
    ) -> None:
        self.target_rate = overall_rate
        self.per_chat_interval = per_chat_interval
        self.group_per_minute = group_per_minute
        self._bucket = _TokenBucket(overall_rate, overall_burst, now)
        self._paused_until = 0.0
        self._slowed_at = 0.0
        self._chat_free_at: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}

    @property
    def overall_rate(self) -> float:
        return self._bucket.rate

    def chat_ready_at(self, chat_id: int) -> float:
        ready = self._chat_free_at.get(chat_id, 0.0)
        sends = self._group_sends.get(chat_id)
        if sends is not None and len(sends) >= self.group_per_minute:
            # A sliding window: the oldest of the last N must be a minute old.
            ready = max(ready, sends[0] + 60.0)
        return ready

    def overall_wait(self, now: float) -> float:
        if now < self._paused_until:
            return self._paused_until - now
        if self._bucket.rate < self.target_rate and now - self._slowed_at >= 5.0:
            # Additive recovery after a slow-down: one step per quiet 5 s.
            self._bucket.rate = min(self.target_rate, self._bucket.rate + 2.0)
            self._slowed_at = now
        return self._bucket.wait_time(now)

    def take(self) -> None:
        self._bucket.take()

    def record(self, chat_id: int, answered_at: float) -> None:
        self._chat_free_at[chat_id] = max(
            self._chat_free_at.get(chat_id, 0.0), answered_at + self.per_chat_interval
        )
        if chat_id < 0:  # groups, supergroups and channels have negative ids
            sends = self._group_sends.get(chat_id)
            if sends is None:
                sends = self._group_sends[chat_id] = deque(maxlen=self.group_per_minute)
            sends.append(answered_at)

    def hold_chat(self, chat_id: int, until: float) -> None:
        self._chat_free_at[chat_id] = max(self._chat_free_at.get(chat_id, 0.0), until)

    def hold_all(self, until: float, *, slow_down: bool) -> None:
        self._paused_until = max(self._paused_until, until)
        if slow_down:
            self._bucket.rate = max(1.0, self._bucket.rate * 0.8)
            self._slowed_at = until

    def forget_idle(self, now: float) -> None:
        """Drop the state of chats that are free again (a long-running sender meets many)."""
        for chat_id in [c for c, free in self._chat_free_at.items() if free < now]:
            sends = self._group_sends.get(chat_id)
            if sends is None or not sends or sends[-1] + 60.0 < now:
                del self._chat_free_at[chat_id]
                self._group_sends.pop(chat_id, None)


Op = Callable[[AsyncSession], Awaitable[Any]]


class _WriteQueue:
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

    def submit(self, op: Op) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._ops.append((op, future))
        self._start()
        return future

    def submit_lazy(self, op: Op, what: str) -> None:
        """An outcome nobody waits for; a failure to record it is logged (the row then stays
        ``sending`` and becomes ``unknown`` at the next start: never sent twice)."""

        def done(future: asyncio.Future[Any]) -> None:
            if not future.cancelled() and future.exception() is not None:
                log.error("could not record %s: %s", what, future.exception())

        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(done)
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
            batch, self._ops = self._ops, []
            try:
                async with self._db.write() as session:
                    results = [await op(session) for op, _ in batch]
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)


class PayloadError(Exception):
    """A row that cannot be turned into a Bot API call (its file is missing, say)."""


class OutboxSender:
    """Drains the outbox through ``bot`` (a plain ``telegram.Bot``, initialised by the caller,
    without a rate limiter: see :func:`bot.http.outbox_bot`).

    ``clock`` decides which rows are due (``not_before``) and stamps the rows; pacing uses real
    time, because Telegram's limits are real. ``data_dir`` is where payload file paths point.
    """

    def __init__(
        self,
        db: Database,
        bot: Bot,
        clock: Clock,
        *,
        overall_rate: float = 28.0,
        overall_burst: float = 2.0,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        max_in_flight: int = 16,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        batch_size: int = 1000,
        per_chat_prefetch: int = 10,
        poll_interval: float = 30.0,
        fatal_pause: float = 60.0,
        on_blocked: BlockedHook | None = None,
        on_migrated: MigratedHook | None = None,
        data_dir: Path | None = None,
    ) -> None:
        if overall_rate <= 0 or max_in_flight < 1 or max_attempts < 1:
            raise ValueError("overall_rate, max_in_flight and max_attempts must be positive")
        self._db = db
        self._bot = bot
        self._clock = clock
        self._max_in_flight = max_in_flight
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._batch_size = batch_size
        self._per_chat_prefetch = per_chat_prefetch
        self._poll_interval = poll_interval
        self._fatal_pause = fatal_pause
        self._on_blocked = on_blocked
        self._on_migrated_hook = on_migrated
        self._data_dir = data_dir
        self.pacing = Pacing(
            overall_rate=overall_rate,
            overall_burst=overall_burst,
            per_chat_interval=per_chat_interval,
            group_per_minute=group_per_minute,
            now=time.monotonic(),
        )
        self.stats = SenderStats()
        self._writes = _WriteQueue(db)

        # Rows waiting in memory, per chat, oldest first; a chat with a call in flight is busy.
        self._lanes: dict[int, deque[QueuedMessage]] = {}
        self._busy: set[int] = set()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        # Lanes not busy and not empty sit in exactly one heap: waiting (by the time they may
        # send) or ready (by _priority).
        self._waiting: list[tuple[float, int, int]] = []
        self._ready: list[tuple[float, int, int]] = []
        self._chain_weight = overall_rate * per_chat_interval
        self._scheduled: set[int] = set()
        self._retry_at: dict[int, float] = {}
        self._capped: set[int] = set()
        self._recent_429: dict[int, float] = {}

        self._recovered = False
        # Messages put back into a lane while a refresh was reading: the read may predate
        # their release to ``pending``, so the rebuilt lanes get them from here.
        self._refreshing = False
        self._late: list[QueuedMessage] = []
        self._refresh_requested = True
        self._more_in_db = False
        self._last_refresh = -1e9
        self._next_poll = 0.0
        self._fatal: TelegramError | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------------------------------
    # Public API

    async def run_until_idle(self) -> SenderStats:
        """Send everything due now (retries included), then return the counts of this run.

        For tests, the CLI and benchmarks. Raises ``InvalidToken`` if Telegram rejects the
        token (the messages stay pending).
        """
        before = replace(self.stats)
        self._fatal = None
        await self._recover()
        self._refresh_requested = True
        await self._loop(until_idle=True)
        if self._fatal is not None:
            fatal, self._fatal = self._fatal, None
            raise fatal
        return SenderStats(
            **{
                name: getattr(self.stats, name) - getattr(before, name)
                for name in SenderStats.__dataclass_fields__
            }
        )

    def start(self) -> None:
        """Run in the background until :meth:`stop`: wakes on :meth:`notify`, every
        ``poll_interval`` seconds, and when a scheduled row becomes due."""
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        self._task = asyncio.create_task(self._serve(), name="outbox-sender")

    async def stop(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Stop taking new rows, let calls in flight finish (up to ``timeout``), record them."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            # Calls still in flight are abandoned; their rows stay ``sending`` and become
            # ``unknown`` at the next start, never sent twice.
            log.warning("outbox sender did not stop within %.0f s; cancelling", timeout)
            task.cancel()
            for flight in list(self._in_flight.values()):
                flight.cancel()
            await asyncio.gather(task, *self._in_flight.values(), return_exceptions=True)

    def notify(self) -> None:
        """New rows were committed: look now instead of at the next poll. Call it after the
        enqueuing transaction has committed, or the sender may look too early."""
        self._refresh_requested = True
        self._wake.set()

    # ---------------------------------------------------------------------------------------
    # The loop

    async def _serve(self) -> None:
        while not self._stopping:
            try:
                await self._recover()
                await self._loop(until_idle=False)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database went away, say: keep the task alive and try again later.
                log.exception("outbox sender failed; retrying in %.0f s", self._fatal_pause)
                await self._sleep(self._fatal_pause)

    async def _recover(self) -> None:
        if self._recovered:
            return
        rows = await store.mark_in_flight_unknown(self._db, self._clock.now())
        for row in rows:
            log.warning(
                "outbox %s (chat %s) was in flight when the sender stopped; it may or may not"
                " have been delivered and is not resent (status unknown)",
                row.key,
                row.chat_id,
            )
        self.stats.unknown += len(rows)
        self._recovered = True

    async def _loop(self, *, until_idle: bool) -> None:
        while True:
            self._wake.clear()
            now = time.monotonic()
            if self._stopping or (self._fatal is not None and until_idle):
                await self._wind_down()
                return
            if self._refresh_wanted(now):
                await self._refresh()
                now = time.monotonic()
            if until_idle and not self._lanes and not self._in_flight:
                # Looks idle: make sure nothing was released or enqueued meanwhile.
                await self._refresh()
                if not self._lanes and not self._in_flight:
                    await self._writes.flush()
                    return
                continue
            self._promote(now)
            self._dispatch(now)
            await self._sleep(self._next_wake(time.monotonic()))

    async def _wind_down(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        await self._writes.flush()

    async def _sleep(self, seconds: float | None) -> None:
        if seconds is not None and seconds <= 0:
            await asyncio.sleep(0)  # still let the calls in flight run
            return
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            pass

    def _refresh_wanted(self, now: float) -> bool:
        wanted = (
            self._refresh_requested
            or now >= self._next_poll
            or (self._more_in_db and self._queued_count() < self._batch_size // 2)
        )
        return wanted and now - self._last_refresh >= _MIN_REFRESH_INTERVAL

    def _queued_count(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    async def _refresh(self) -> None:
        """Re-read the due rows and rebuild the lanes from them.

        A rebuild rather than a merge: the database is the truth, and pacing state (when each
        chat may send next, retry times) is kept apart from the lanes, so nothing is lost.
        """
        self._refresh_requested = False
        self._refreshing = True
        try:
            await self._writes.flush()  # rows released after a 429 must read as pending
            now = self._clock.now()
            rows = await store.due_messages(
                self._db, now, limit=self._batch_size, per_chat=self._per_chat_prefetch
            )
        finally:
            self._refreshing = False
            late, self._late = self._late, []
        lanes: dict[int, deque[QueuedMessage]] = {}
        for row in rows:
            if row.id in self._in_flight:
                continue
            lanes.setdefault(row.chat_id, deque()).append(row)
        for message in late:
            lane = lanes.setdefault(message.chat_id, deque())
            if all(row.id != message.id for row in lane):
                lane.append(message)
                if len(lane) > 1 and lane[-2].id > message.id:
                    lanes[message.chat_id] = deque(sorted(lane, key=lambda row: row.id))
        rows = [*rows, *late]
        self._lanes = lanes
        self._capped = {
            chat for chat, lane in lanes.items() if len(lane) >= self._per_chat_prefetch
        }
        self._more_in_db = len(rows) >= self._batch_size or bool(self._capped)
        live = {row.id for row in rows} | set(self._in_flight)
        self._retry_at = {row_id: at for row_id, at in self._retry_at.items() if row_id in live}
        self._waiting.clear()
        self._ready.clear()
        self._scheduled.clear()
        for chat_id in lanes:
            self._schedule(chat_id)

        mono = time.monotonic()
        self._last_refresh = mono
        self.pacing.forget_idle(mono)
        delay = self._poll_interval
        upcoming = await store.next_due_at(self._db, now)
        if upcoming is not None:
            delay = min(delay, max(0.0, (upcoming - now).total_seconds()))
        self._next_poll = mono + max(delay, _MIN_REFRESH_INTERVAL)

    def _lane_ready_at(self, chat_id: int, head: QueuedMessage) -> float:
        return max(self.pacing.chat_ready_at(chat_id), self._retry_at.get(head.id, 0.0))

    def _schedule(self, chat_id: int) -> None:
        lane = self._lanes.get(chat_id)
        if not lane or chat_id in self._busy or chat_id in self._scheduled:
            return
        head = lane[0]
        heapq.heappush(self._waiting, (self._lane_ready_at(chat_id, head), head.id, chat_id))
        self._scheduled.add(chat_id)

    def _promote(self, now: float) -> None:
        while self._waiting and self._waiting[0][0] <= now:
            _, _, chat_id = heapq.heappop(self._waiting)
            lane = self._lanes.get(chat_id)
            if not lane or chat_id in self._busy:
                self._scheduled.discard(chat_id)
                continue
            ready_at = self._lane_ready_at(chat_id, lane[0])
            if ready_at > now:  # held again since it was scheduled (a 429, a retry)
                heapq.heappush(self._waiting, (ready_at, lane[0].id, chat_id))
            else:
                heapq.heappush(self._ready, (self._priority(lane), lane[0].id, chat_id))

    def _priority(self, lane: deque[QueuedMessage]) -> float:
        """Least slack first. Alone, a row's id is its place in line (at the overall rate, the
        row with id n would leave around n / rate). A chat can take only one message per
        interval, so its k-th queued row cannot leave before k intervals from now: the lane
        must start k × rate × interval ids earlier for its last row to keep its place. Lanes
        of one row, the usual reminder, simply go in id order."""
        return lane[-1].id - (len(lane) - 1) * self._chain_weight

    def _dispatch(self, now: float) -> None:
        while self._ready and len(self._in_flight) < self._max_in_flight:
            if self.pacing.overall_wait(now) > 0:
                return
            _, head_id, chat_id = heapq.heappop(self._ready)
            self._scheduled.discard(chat_id)
            lane = self._lanes.get(chat_id)
            if not lane or chat_id in self._busy or lane[0].id != head_id:
                self._schedule(chat_id)  # stale entry (the lane changed meanwhile)
                continue
            message = lane.popleft()
            if not lane:
                del self._lanes[chat_id]
                if chat_id in self._capped:
                    self._capped.discard(chat_id)
                    self._refresh_requested = True  # it has more rows in the database
            self.pacing.take()
            self._busy.add(chat_id)
            self._in_flight[message.id] = asyncio.create_task(
                self._deliver(message), name=f"outbox-{message.id}"
            )

    def _next_wake(self, now: float) -> float | None:
        candidates = [self._next_poll]
        if self._waiting:
            candidates.append(self._waiting[0][0])
        if self._ready and len(self._in_flight) < self._max_in_flight:
            candidates.append(now + self.pacing.overall_wait(now))
        if self._refresh_requested or (
            self._more_in_db and self._queued_count() < self._batch_size // 2
        ):
            candidates.append(self._last_refresh + _MIN_REFRESH_INTERVAL)
        # Completions, notify() and stop() wake the loop through the event.
        return max(0.0, min(candidates) - now)

    # ---------------------------------------------------------------------------------------
    # One message

    async def _deliver(self, message: QueuedMessage) -> None:
        try:
            await self._attempt(message)
        except Exception:
            # A bug or the database failing mid-way: the row stays as last committed
            # (``pending`` is retried later, ``sending`` becomes ``unknown``): no duplicate.
            log.exception("outbox %s: unexpected error", message.key)
        finally:
            self._in_flight.pop(message.id, None)
            self._busy.discard(message.chat_id)
            self._schedule(message.chat_id)
            self._wake.set()

    def _requeue(self, message: QueuedMessage) -> None:
        """Put a message back at the head of its chat's lane (it keeps its place in line)."""
        self._lanes.setdefault(message.chat_id, deque()).appendleft(message)
        if self._refreshing:
            self._late.append(message)

    async def _attempt(self, message: QueuedMessage) -> None:
        chat_id = message.chat_id
        self._retry_at.pop(message.id, None)  # its time has come
        try:
            call = await self._prepare(message)
        except PayloadError as exc:
            await self._writes.run(
                partial(
                    store.mark_failed, message_id=message.id, error=str(exc), now=self._clock.now()
                )
            )
            self.stats.failed += 1
            log.error("outbox %s failed: %s", message.key, exc)
            return
        try:
            claimed = await self._writes.run(
                partial(store.claim_for_sending, message_id=message.id, now=self._clock.now())
            )
        except Exception as exc:
            log.warning("outbox %s: could not claim (%s); will retry", message.key, exc)
            self._retry_at[message.id] = time.monotonic() + self._backoff(message.attempts + 1)
            self._requeue(message)
            return
        if not claimed:
            return  # no longer pending: cancelled, blocked or taken meanwhile

        try:
            sent = await call()
        except RetryAfter as exc:
            self.pacing.record(chat_id, time.monotonic())
            self._on_retry_after(message, retry_after_seconds(exc))
        except Forbidden as exc:
            self.pacing.record(chat_id, time.monotonic())
            await self._on_forbidden(message, exc.message)
        except ChatMigrated as exc:
            await self._on_migrated(message, exc.new_chat_id)
        except BadRequest as exc:
            self.pacing.record(chat_id, time.monotonic())
            self._writes.submit_lazy(
                partial(
                    store.mark_failed,
                    message_id=message.id,
                    error=exc.message,
                    now=self._clock.now(),
                ),
                f"failure of {message.key}",
            )
            self.stats.failed += 1
            # Not the chat: with a key such as survey-offer:<complaint> it would name the reporter.
            log.warning("outbox %s failed: %s", message.key, exc.message)
        except InvalidToken as exc:
            # Every call would fail the same way: keep the messages and stop for a while.
            self._release(message, error=exc.message, refund=True)
            self._requeue(message)
            self.pacing.hold_all(time.monotonic() + self._fatal_pause, slow_down=False)
            self._fatal = exc
            log.error("Telegram rejected the bot token (%s); outbox paused", exc.message)
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx, Conflict, ...
            self.pacing.record(chat_id, time.monotonic())
            self._on_transient(message, exc)
        else:
            self.pacing.record(chat_id, time.monotonic())
            self._writes.submit_lazy(
                partial(
                    store.mark_sent,
                    message_id=message.id,
                    telegram_message_id=sent.message_id,
                    now=self._clock.now(),
                ),
                f"delivery of {message.key}",
            )
            self.stats.sent += 1

    def _release(self, message: QueuedMessage, *, error: str | None, refund: bool) -> None:
        self._writes.submit_lazy(
            partial(
                store.release,
                message_id=message.id,
                now=self._clock.now(),
                error=error,
                refund_attempt=refund,
            ),
            f"retry of {message.key}",
        )

    def _on_retry_after(self, message: QueuedMessage, seconds: float) -> None:
        now = time.monotonic()
        until = now + seconds
        self.pacing.hold_chat(message.chat_id, until)
        for chat_id, at in list(self._recent_429.items()):
            if now - at > _OVERALL_429_WINDOW:
                del self._recent_429[chat_id]
        others = [chat_id for chat_id in self._recent_429 if chat_id != message.chat_id]
        self._recent_429[message.chat_id] = now
        if others:
            # Telegram does not say which limit it was; several chats refused together point
            # at the overall one, so everyone waits and the rate steps down.
            self.pacing.hold_all(until, slow_down=True)
        self._release(message, error=None, refund=True)
        self._requeue(message)
        self.stats.retried_429 += 1
        log.info("outbox %s: 429, retry in %.0f s", message.key, seconds)

    def _on_transient(self, message: QueuedMessage, exc: TelegramError) -> None:
        attempts = message.attempts + 1
        error = f"{type(exc).__name__}: {exc.message}"
        if attempts >= self._max_attempts:
            self._writes.submit_lazy(
                partial(
                    store.mark_failed, message_id=message.id, error=error, now=self._clock.now()
                ),
                f"failure of {message.key}",
            )
            self.stats.failed += 1
            log.error("outbox %s failed after %d attempts: %s", message.key, attempts, error)
            return
        self._release(message, error=error, refund=False)
        self._retry_at[message.id] = time.monotonic() + self._backoff(attempts)
        self._requeue(replace(message, attempts=attempts))
        self.stats.retried_errors += 1
        log.info(
            "outbox %s: %s; attempt %d of %d", message.key, error, attempts, self._max_attempts
        )

    async def _on_forbidden(self, message: QueuedMessage, description: str) -> None:
        chat_id = message.chat_id
        count = await self._writes.run(
            partial(store.block_chat, chat_id=chat_id, error=description, now=self._clock.now())
        )
        dropped = self._lanes.pop(chat_id, None)
        for row in dropped or ():
            self._retry_at.pop(row.id, None)
        self._capped.discard(chat_id)
        self.stats.blocked += count
        log.info(
            "outbox: chat %s refused (%s); %d message(s) not sent", chat_id, description, count
        )
        if self._on_blocked is not None:
            try:
                await self._on_blocked(chat_id)
            except Exception:
                log.exception("on_blocked hook failed for chat %s", chat_id)

    async def _on_migrated(self, message: QueuedMessage, new_chat_id: int) -> None:
        await self._writes.run(
            partial(
                store.move_chat,
                old_chat_id=message.chat_id,
                new_chat_id=new_chat_id,
                now=self._clock.now(),
            )
        )
        self._lanes.pop(message.chat_id, None)
        self._capped.discard(message.chat_id)
        self._refresh_requested = True
        log.warning(
            "chat %s became supergroup %s; its outbox messages go there. Update any setting"
            " that names the old id.",
            message.chat_id,
            new_chat_id,
        )
        if self._on_migrated_hook is not None:
            try:
                await self._on_migrated_hook(message.chat_id, new_chat_id)
            except Exception:
                log.exception("on_migrated hook failed for chat %s", message.chat_id)

    def _backoff(self, attempts: int) -> float:
        delay = min(self._backoff_max, self._backoff_base * 2 ** max(0, attempts - 1))
        # Jitter, so that messages that failed together do not all retry together.
        return delay * random.uniform(0.8, 1.0)

    # ---------------------------------------------------------------------------------------
    # Payload → Bot API call

    async def _prepare(self, message: QueuedMessage) -> Callable[[], Awaitable[Message]]:
        """The call for this row, with any file already read: a missing file is a failure of
        the row, found before it is marked ``sending``."""
        payload = message.payload
        method = payload.get("method")
        common: dict[str, Any] = {
            "chat_id": message.chat_id,
            "parse_mode": payload.get("parse_mode"),
            "reply_markup": _markup(payload.get("reply_markup")),
            "disable_notification": bool(payload.get("disable_notification")),
        }
        if method == "sendMessage":
            preview = (
                LinkPreviewOptions(is_disabled=True)
                if payload.get("disable_link_preview")
                else None
            )
            return partial(
                self._bot.send_message,
                text=payload["text"],
                link_preview_options=preview,
                **common,
            )
        field = FILE_METHODS.get(str(method))
        if field is None:
            raise PayloadError(f"unknown method {method!r}")
        data = await self._read_file(str(payload.get("file", "")))
        filename = payload.get("filename") or Path(str(payload["file"])).name
        send = self._bot.send_photo if field == "photo" else self._bot.send_document
        return partial(
            send,
            **{field: data},
            filename=filename,
            caption=payload.get("caption"),
            **common,
        )

    async def _read_file(self, relative: str) -> bytes:
        if self._data_dir is None:
            raise PayloadError("the sender has no data folder for file payloads")
        root = self._data_dir.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise PayloadError(f"file outside the data folder: {relative!r}")
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise PayloadError(f"cannot read {relative!r}: {exc.strerror or exc}") from None


def _markup(data: Any) -> ReplyMarkup | None:
    if not data:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    if "remove_keyboard" in data:
        return ReplyKeyboardRemove.de_json(data, None)
    return ForceReply.de_json(data, None)


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; accept both.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
