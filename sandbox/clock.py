"""The sandbox's clock: real time plus an offset that only grows.

It starts at the real current time (or a given moment) and runs with real time, so the bot
behaves as it would today; the clock panel jumps it forward to watch reminders and digests
arrive. It never goes back: the scheduler's records and the outbox assume time moves forward.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, tzinfo

__all__ = ["SandboxClock", "next_local_time", "next_monday"]


class SandboxClock:
    def __init__(
        self,
        start: datetime | None = None,
        *,
        real: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._real = real
        if start is not None and start.tzinfo is None:
            raise ValueError("SandboxClock needs an aware datetime")
        self._offset = (start - real()) if start is not None else timedelta(0)

    def now(self) -> datetime:
        return (self._real() + self._offset).astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        self._offset += delta
        return self.now()

    def jump_to(self, moment: datetime) -> datetime:
        """Move to ``moment``; a moment already past is refused (the clock only moves forward)."""
        if moment.tzinfo is None:
            raise ValueError("jump_to needs an aware datetime")
        now = self.now()
        if moment < now:
            raise ValueError(f"{moment.isoformat()} is in the sandbox's past")
        self._offset += moment - now
        return self.now()


def next_local_time(now: datetime, at: time, zone: tzinfo) -> datetime:
    """The next moment (today if still ahead, else tomorrow) when the local clock shows ``at``."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate


def next_monday(now: datetime, at: time, zone: tzinfo) -> datetime:
    """The next Monday (never today) at local time ``at``."""
    local = now.astimezone(zone)
    days = (7 - local.weekday()) % 7 or 7
    return datetime.combine(local.date() + timedelta(days=days), at, tzinfo=zone)
