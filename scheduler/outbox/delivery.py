"""One message through the sender: claimed as ``sending``, the call made, and the answer
recorded. What each error means (see the package's docstring): 429 waits and retries, several
chats refused at once slow everyone down, 403 blocks the chat's rows, a migrated group moves
them, 400 fails the row, network errors and 5xx retry with backoff, a rejected token pauses all.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path

from telegram import Bot
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
from models.outbox import QueuedMessage
from scheduler.outbox.pacing import Pacing
from scheduler.outbox.payload import PayloadError, prepare_call
from scheduler.outbox.stats import SenderStats
from scheduler.outbox.writes import WriteQueue

log = logging.getLogger("sigap.outbox")

BlockedHook = Callable[[int], Awaitable[None]]
MigratedHook = Callable[[int, int], Awaitable[None]]  # (old chat id, new chat id)
# A row Telegram accepted, with the id of the message it became (a desk ticket queued by the
# Open311 API is linked to its complaint so that replies to it are routed).
SentHook = Callable[[QueuedMessage, int], Awaitable[None]]

# Several chats refused within this window means the overall limit, not theirs.
_OVERALL_429_WINDOW = 1.0


class Delivery:
    """The sender's handling of one message, apart from its loop (``OutboxSender`` is built
    on it). The state below belongs to the sender; this part reads and updates it."""

    _bot: Bot
    _clock: Clock
    _data_dir: Path | None
    _max_attempts: int
    _backoff_base: float
    _backoff_max: float
    _fatal_pause: float
    _on_blocked: BlockedHook | None
    _on_migrated_hook: MigratedHook | None
    _on_sent: SentHook | None
    pacing: Pacing
    stats: SenderStats
    _writes: WriteQueue
    _lanes: dict[int, deque[QueuedMessage]]
    _busy: set[int]
    _in_flight: dict[int, asyncio.Task[None]]
    _retry_at: dict[int, float]
    _capped: set[int]
    _recent_429: dict[int, float]
    _refreshing: bool
    _late: list[QueuedMessage]
    _refresh_requested: bool
    _fatal: TelegramError | None
    _wake: asyncio.Event

    def _schedule(self, chat_id: int) -> None:
        raise NotImplementedError  # the sender's loop puts the chat back in line

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
            call = await prepare_call(self._bot, message, self._data_dir)
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
            claimed = await self._writes.claim(message.id, self._clock.now())
        except Exception as exc:
            log.warning("outbox %s: could not claim (%s); will retry", message.key, exc)
            self._retry_at[message.id] = time.monotonic() + self._backoff(message.attempts + 1)
            self._requeue(message)
            return
        if not claimed:
            return  # no longer pending: cancelled, blocked or taken meanwhile

        try:
            sent_id = await call()
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
            self._writes.sent(message.id, sent_id, self._clock.now(), f"delivery of {message.key}")
            self.stats.sent += 1
            if self._on_sent is not None and sent_id is not None:
                # Still in the chat's lane: what the hook sends there comes before the next row.
                try:
                    await self._on_sent(message, sent_id)
                except Exception:
                    log.exception("on_sent hook failed for %s", message.key)

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
            before_reads=True,
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


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; accept both.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
