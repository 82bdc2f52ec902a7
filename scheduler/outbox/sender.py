"""The sender's loop: the due rows read into lanes (one per chat, one message in flight per
chat), dispatched under the pacing, re-read when told (:meth:`OutboxSender.notify`), on a poll
and when a scheduled row becomes due."""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from domain.clock import Clock
from models import outbox as store
from models.db import Database
from models.outbox import QueuedMessage
from scheduler.outbox.delivery import BlockedHook, Delivery, MigratedHook, SentHook
from scheduler.outbox.pacing import Pacing
from scheduler.outbox.stats import SenderStats
from scheduler.outbox.writes import WriteQueue

log = logging.getLogger("sigap.outbox")

# What scheduled jobs queue for many people at once: after every notice between two people
# (a decision for the employee, a desk's answer for the citizen), and sharing what the bot's
# replies leave of the overall rate (``others_rate``).
# Menus (``menu``) go with them: an import that changes a thousand people's roles queues a
# thousand, and nobody waits for one as for a notice.
BACKGROUND_KINDS = frozenset({"digest", "reminder", "nudge", "escalation", "menu"})
# What tells only the person who just acted about their own act (the offer to log a desk move
# as an activity, in the head's private chat): after the notices another person is waiting
# for, before the waves. Heads acting together queue one offer per move beside the notices
# for citizens and employees; in line with them, a decision's notice waited behind offers
# its reader never sees (bench/notify_latency.py: approval p95 4.6 s, the outbox at its rate).
FOLLOW_UP_KINDS = frozenset({"work_offer"})
# Background lanes sort after every other lane among those ready to send.
_BACKGROUND_OFFSET = float(2**53)
# Follow-ups sort after every notice between two people (ids stay far below 2**40).
_FOLLOW_UP_OFFSET = float(2**40)
# Messages a second a wave keeps however busy the replies are: it ends, if slowly.
_BACKGROUND_FLOOR = 3.0

# Between two re-reads of the outbox, at least this many times what the last one took
# (between the bounds): a notice committed just after a re-read waits for the next, so the
# gap must be short when reading is cheap (a few rows due), and long enough when it is not (a
# wave of a thousand rows) that the sender does not spend its time re-reading.
_REFRESH_GAP_FACTOR = 4.0
_MIN_REFRESH_GAP = 0.02
_MAX_REFRESH_GAP = 0.25


class OutboxSender(Delivery):
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
        background_burst: float | None = None,
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
        on_sent: SentHook | None = None,
        on_start: Callable[[], Awaitable[None]] | None = None,
        data_dir: Path | None = None,
        others_rate: Callable[[], float] | None = None,
        background_kinds: frozenset[str] = BACKGROUND_KINDS,
    ) -> None:
        if overall_rate <= 0 or max_in_flight < 1 or max_attempts < 1:
            raise ValueError("overall_rate, max_in_flight and max_attempts must be positive")
        self._db, self._bot, self._clock = db, bot, clock
        self._max_in_flight = max_in_flight
        self._max_attempts = max_attempts
        self._backoff_base, self._backoff_max = backoff_base, backoff_max
        self._batch_size = batch_size
        self._per_chat_prefetch = per_chat_prefetch
        self._poll_interval = poll_interval
        self._fatal_pause = fatal_pause
        self._on_blocked, self._on_migrated_hook, self._on_sent = on_blocked, on_migrated, on_sent
        # Finishes what ``on_sent`` may not have finished before the last stop.
        self._on_start = on_start
        self._data_dir = data_dir
        self._others_rate = others_rate
        self._background_kinds = background_kinds
        self.pacing = Pacing(
            overall_rate=overall_rate,
            overall_burst=overall_burst,
            background_burst=background_burst,
            per_chat_interval=per_chat_interval,
            group_per_minute=group_per_minute,
            now=time.monotonic(),
        )
        self.stats = SenderStats()
        self._writes = WriteQueue(db)
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
        self._refresh_gap = _MAX_REFRESH_GAP
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
        if self._on_start is not None:
            await self._on_start()
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
        return wanted and now - self._last_refresh >= self._refresh_gap

    def _queued_count(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    async def _refresh(self) -> None:
        """Re-read the due rows and rebuild the lanes from them.

        A rebuild rather than a merge: the database is the truth, and pacing state (when each
        chat may send next, retry times) is kept apart from the lanes, so nothing is lost.
        """
        self._refresh_requested = False
        self._refreshing = True
        started = time.monotonic()
        try:
            # Rows released after a 429 must read as pending; a row marked ``sent`` but not
            # yet committed reads as ``sending``, never as due, so it need not wait.
            await self._writes.flush_for_reads()
            now = self._clock.now()
            rows, upcoming = await store.due_and_upcoming(
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
        self._refresh_gap = min(
            _MAX_REFRESH_GAP, max(_MIN_REFRESH_GAP, _REFRESH_GAP_FACTOR * (mono - started))
        )
        self.pacing.forget_idle(mono)
        delay = self._poll_interval
        if upcoming is not None:
            delay = min(delay, max(0.0, (upcoming - now).total_seconds()))
        self._next_poll = mono + max(delay, self._refresh_gap)

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
        of one row, the usual reminder, simply go in id order. A lane whose next row is
        background work (a digest, a reminder) goes after every other: a supervisor's approval
        reaches the employee at once, not after a Monday's digests. A follow-up
        (``FOLLOW_UP_KINDS``) goes after the notices between people, before the background."""
        priority = lane[-1].id - (len(lane) - 1) * self._chain_weight
        if lane[0].kind in self._background_kinds:
            priority += _BACKGROUND_OFFSET
        elif lane[0].kind in FOLLOW_UP_KINDS:
            priority += _FOLLOW_UP_OFFSET
        return priority

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
            background = lane[0].kind in self._background_kinds
            if background and self._background_wait(now) > 0:
                # Every lane still ready is background work too (they sort last): all wait.
                heapq.heappush(self._ready, (self._priority(lane), head_id, chat_id))
                self._scheduled.add(chat_id)
                return
            message = lane.popleft()
            if not lane:
                del self._lanes[chat_id]
                if chat_id in self._capped:
                    self._capped.discard(chat_id)
                    self._refresh_requested = True  # it has more rows in the database
            self.pacing.take(background=background)
            self._busy.add(chat_id)
            self._in_flight[message.id] = asyncio.create_task(
                self._deliver(message), name=f"outbox-{message.id}"
            )

    def _background_wait(self, now: float) -> float:
        others = self._others_rate() if self._others_rate is not None else 0.0
        return self.pacing.background_wait(now, others, _BACKGROUND_FLOOR)

    def _next_wake(self, now: float) -> float | None:
        candidates = [self._next_poll]
        if self._waiting:
            candidates.append(self._waiting[0][0])
        if self._ready and len(self._in_flight) < self._max_in_flight:
            wait = self.pacing.overall_wait(now)
            if self._ready[0][0] >= _BACKGROUND_OFFSET / 2:  # only background work is ready
                wait = max(wait, self._background_wait(now))
            candidates.append(now + wait)
        if self._refresh_requested or (
            self._more_in_db and self._queued_count() < self._batch_size // 2
        ):
            candidates.append(self._last_refresh + self._refresh_gap)
        # Completions, notify() and stop() wake the loop through the event.
        return max(0.0, min(candidates) - now)
