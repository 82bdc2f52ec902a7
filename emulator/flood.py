"""Telegram's flood limits as token buckets.

Telegram documents ~30 messages/s overall, ~1 message/s per chat (softly: short bursts pass)
and 20 messages/minute per group. A token bucket models exactly that: ``capacity`` is the
burst that passes at once, ``rate`` the sustained speed, and the time until the next token is
the ``retry_after`` a 429 must announce so that a bot which waits that long then succeeds.

What counts where, as Telegram's Bot API developers describe it: edits share a chat's limits
with the messages sent there (tdlib/td#2592, #3034), but the overall ~30/s is about messages
sent (the FAQ's bulk notifications): an edit notifies nobody and is not counted there
(telegram-bot-api#648: editing "is still subject to per chat limits"). answerCallbackQuery is
not limited at all, and chat actions are not messages: neither calls :meth:`FloodControl.check`.
"""

from __future__ import annotations

import math

__all__ = ["FloodControl", "TokenBucket"]


class TokenBucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class FloodControl:
    """Decides whether a sending call passes; O(1) per call, one bucket per chat."""

    def __init__(
        self,
        *,
        global_per_second: float = 30.0,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        group_per_minute: float = 20.0,
    ) -> None:
        self.global_per_second = global_per_second
        self.chat_per_second = chat_per_second
        self.chat_burst = chat_burst
        self.group_per_minute = group_per_minute
        self._global: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}
        self._groups: dict[int, TokenBucket] = {}

    def reset(self) -> None:
        self._global = None
        self._chats.clear()
        self._groups.clear()

    def check(self, chat_id: int, is_group: bool, now: float, *, overall: bool = True) -> int:
        """Consume one send for ``chat_id``; return 0 if allowed, else ``retry_after`` seconds.
        ``overall=False`` for an edit: only the chat's own limits apply.

        A refused call consumes nothing, so a bot that backs off as told is not punished twice.
        """
        if self._global is None:
            self._global = TokenBucket(self.global_per_second, self.global_per_second, now)
        buckets = [self._global] if overall else []
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = TokenBucket(
                max(1, self.chat_burst), self.chat_per_second, now
            )
        buckets.append(chat)
        if is_group:
            group = self._groups.get(chat_id)
            if group is None:
                per_second = self.group_per_minute / 60.0
                group = self._groups[chat_id] = TokenBucket(self.group_per_minute, per_second, now)
            buckets.append(group)
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return 0
