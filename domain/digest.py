"""The weekly digest's figures, independent of the database and of how they are shown.

``models.digest`` aggregates in SQL and fills these; this module only derives
what follows from them: the silent-for-3+-working-days flag, team totals, the change from the week
before, logging compliance per day, and splitting a long message under Telegram's limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum
from statistics import median
from typing import Final

SILENT_DAYS: Final = 3  # working days without an entry that earn the flag
TELEGRAM_LIMIT: Final = 4096


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week that holds ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def previous_week(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week before the one that holds ``day``."""
    return week_of(day - timedelta(days=7))


def iso_week(day: date) -> str:
    """``2026-W48`` for any day of that ISO week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class DigestMode(StrEnum):
    """When a unit's supervisors get their weekly digest."""

    MONDAY = "monday"  # Monday 07:00, for the week before (the default)
    FRIDAY = "friday"  # Friday 16:00, for the week that is ending


@dataclass(frozen=True)
class DigestSlot:
    """The digest of one ISO week's schedule: when it goes out and which days it covers."""

    send_on: date
    at: time
    start: date
    end: date


def digest_slot(mode: DigestMode, day: date) -> DigestSlot:
    """The digest scheduled in the ISO week that holds ``day``."""
    monday, sunday = week_of(day)
    if mode is DigestMode.FRIDAY:
        return DigestSlot(monday + timedelta(days=4), time(16, 0), monday, sunday)
    start, end = previous_week(day)
    return DigestSlot(monday, time(7, 0), start, end)


def trailing_silent_days(expected: Sequence[date], logged: Iterable[date]) -> int:
    """Expected working days at the end of the period with no entry, counted back from the last.

    ``expected`` are the person's expected days (working days not on leave), in order.
    """
    seen = set(logged)
    count = 0
    for day in reversed(expected):
        if day in seen:
            break
        count += 1
    return count


@dataclass(frozen=True)
class Change:
    """How a figure moved from the week before."""

    current: float
    previous: float

    @property
    def delta(self) -> float:
        return self.current - self.previous

    @property
    def percent(self) -> int | None:
        """Rounded percentage change; None when the week before was zero."""
        if not self.previous:
            return None
        return round(100 * (self.current - self.previous) / self.previous)


@dataclass
class PersonWeek:
    """One direct report's week."""

    employee_id: int
    name: str
    expected_days: int = 0
    days_with_entries: int = 0
    entries: int = 0
    minutes: int = 0
    approved: int = 0
    waiting: int = 0
    revision: int = 0
    late: int = 0
    leave_days: int = 0
    silent_days: int = 0
    unreachable: bool = False
    # Days (of the week) on which this person was expected / logged, for compliance per day.
    expected_on: list[date] = field(default_factory=list)
    logged_on: list[date] = field(default_factory=list)
    # The day from which a silence counts: added to the roster, or linked to Telegram, whichever
    # came later (nobody "did not report" before they could).
    counted_from: date | None = None

    def silent_over(self, expected: Sequence[date], logged: Iterable[date]) -> int:
        """Trailing silent days over these days, from ``counted_from`` on."""
        since = self.counted_from
        return trailing_silent_days([d for d in expected if since is None or d >= since], logged)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def silent(self) -> bool:
        return self.silent_days >= SILENT_DAYS


@dataclass(frozen=True)
class ComplaintWeek:
    """A complaint-handling unit's week: received and resolved in the week, overdue now, and
    the median time from filing to verification of those verified in the week."""

    received: int
    resolved: int
    overdue: int
    hours_to_verification: list[float] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return round(median(self.hours_to_verification), 1) if self.hours_to_verification else None


@dataclass(frozen=True)
class Totals:
    people: int
    expected_days: int
    days_with_entries: int
    entries: int
    minutes: int
    approved: int
    waiting: int
    revision: int
    late: int
    leave_days: int
    silent: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def compliance(self) -> int:
        """Percent of expected days that have an entry."""
        if not self.expected_days:
            return 0
        return round(100 * min(self.days_with_entries, self.expected_days) / self.expected_days)


def totals(people: Sequence[PersonWeek]) -> Totals:
    return Totals(
        people=len(people),
        expected_days=sum(p.expected_days for p in people),
        days_with_entries=sum(min(p.days_with_entries, p.expected_days) for p in people),
        entries=sum(p.entries for p in people),
        minutes=sum(p.minutes for p in people),
        approved=sum(p.approved for p in people),
        waiting=sum(p.waiting for p in people),
        revision=sum(p.revision for p in people),
        late=sum(p.late for p in people),
        leave_days=sum(p.leave_days for p in people),
        silent=sum(p.silent for p in people),
    )


def compliance_per_day(people: Sequence[PersonWeek], days: Sequence[date]) -> list[int]:
    """For each day, percent of the people expected that day who logged something (0 if none
    was expected)."""
    result = []
    for day in days:
        expected = [p for p in people if day in p.expected_on]
        logged = [p for p in expected if day in p.logged_on]
        result.append(round(100 * len(logged) / len(expected)) if expected else 0)
    return result


def split_message(blocks: Sequence[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join ``blocks`` with blank lines into as few messages as fit under ``limit``.

    A block is never cut (they are short: one person each); a single block longer than the limit
    is cut at line ends, then hard, so nothing is ever refused by Telegram.
    """
    pieces: list[str] = []
    for block in blocks:
        while len(block) > limit:
            cut = block.rfind("\n", 0, limit)
            cut = cut if cut > 0 else limit
            pieces.append(block[:cut])
            block = block[cut:].lstrip("\n")
        pieces.append(block)
    messages: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            messages.append(current)
            current = piece
    if current:
        messages.append(current)
    return messages
