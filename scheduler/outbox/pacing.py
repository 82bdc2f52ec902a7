"""Telegram's flood limits as the sender keeps to them: an overall token bucket that slows down
after a 429 and recovers, at least an interval between two messages to one chat, at most N a
minute to one group."""

from __future__ import annotations

from collections import deque


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
        background_burst: float | None = None,
    ) -> None:
        self.target_rate = overall_rate
        self.per_chat_interval = per_chat_interval
        self.group_per_minute = group_per_minute
        self._bucket = _TokenBucket(overall_rate, overall_burst, now)
        # Scheduled waves (digests, reminders) on a bucket of their own, refilled at what the
        # bot's replies to people leave of the overall rate (``background_wait``); its burst
        # may be smaller: a wave is the bulk sending Telegram's overall limit is about, and
        # the burst is for notices between two people that come at once.
        self._background = _TokenBucket(
            overall_rate, overall_burst if background_burst is None else background_burst, now
        )
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

    def background_wait(self, now: float, others: float, floor: float) -> float:
        """How long a scheduled row must wait beyond ``overall_wait``: replies to people
        share Telegram's overall limit and the bot's CPU, so a wave takes what ``others``
        (the replies' calls per second) leave of the rate, but never less than ``floor``."""
        bucket = self._background
        bucket.wait_time(now)  # refilled up to now at the rate it had
        bucket.rate = max(floor, min(self._bucket.rate, self.target_rate - others))
        return bucket.wait_time(now)

    def take(self, *, background: bool = False) -> None:
        self._bucket.take()
        if background:
            self._background.take()

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
