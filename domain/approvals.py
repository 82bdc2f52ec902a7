"""Supervision rules that are neither Telegram nor SQL: decisions on entries, paging long lists so
every message stays under Telegram's limit, and the four-week figures of the person view.

A supervisor decides on a *submitted* entry: approve it, ask for a revision (with a note), or
reject it (with a reason). An entry sent back for revision returns to *submitted* when its owner
edits it (``models.activities.update_activity``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Generic, TypeVar

from domain.calendar import Leave, WorkCalendar, leave_on

T = TypeVar("T")

WAITING = "submitted"
NOTE_LIMIT = 1000  # Activity.review_note
FEEDBACK_LIMIT = 2000  # FeedbackNote.text
DESCRIPTION_CLIP = 300  # in lists; the whole text is in the employee's own views
PEOPLE_PER_PAGE = 10
ENTRIES_PER_PAGE = 6  # 6 × (300 + 80 + ~100 characters of figures) stays well under 4096
WEEKS = 4


class Decision(StrEnum):
    APPROVED = "approved"
    REVISION = "revision_requested"
    REJECTED = "rejected"

    @property
    def needs_note(self) -> bool:
        return self is not Decision.APPROVED


# Short verbs for callback data (64 bytes at most).
VERBS: Mapping[str, Decision] = {
    "ok": Decision.APPROVED,
    "rev": Decision.REVISION,
    "rej": Decision.REJECTED,
}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: ``number`` counts from 0 and is clamped to what exists."""

    items: list[T]
    number: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number + 1 < self.count


def paginate(items: Sequence[T], number: int, size: int) -> Page[T]:
    count = max(1, -(-len(items) // size))
    number = min(max(number, 0), count - 1)
    return Page(list(items[number * size : (number + 1) * size]), number, count)


def clip(text: str, limit: int = DESCRIPTION_CLIP) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_day(text: str) -> date | None:
    """``20261124`` (callback data) → date; None for anything else."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def day_code(day: date) -> str:
    return day.strftime("%Y%m%d")


# --- person view: the last four weeks ------------------------------------------------------


@dataclass
class DayFigures:
    """One day of one employee: entries and minutes (rejected excluded) and counts by status."""

    entries: int = 0
    minutes: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class WeekFigures:
    start: date  # Monday
    end: date  # Sunday, or today for the running week
    expected: int = 0  # working days without leave, up to today
    logged: int = 0  # days with at least one entry that was not rejected
    leave_days: int = 0
    minutes: int = 0
    approved: int = 0
    waiting: int = 0
    revision: int = 0
    rejected: int = 0


def last_weeks(
    today: date,
    days: Mapping[date, DayFigures],
    calendar: WorkCalendar,
    leaves: Iterable[Leave] = (),
    weeks: int = WEEKS,
) -> list[WeekFigures]:
    """The running week and the ``weeks - 1`` before it, newest first. Days after today do not
    count as expected; an entry logged on a day off still counts as logged."""
    leaves = list(leaves)
    monday = today - timedelta(days=today.weekday())
    result = []
    for back in range(weeks):
        start = monday - timedelta(weeks=back)
        end = min(start + timedelta(days=6), today)
        week = WeekFigures(start, end)
        day = start
        while day <= end:
            working = calendar.is_working_day(day)
            on_leave = leave_on(day, leaves) is not None
            if working and on_leave:
                week.leave_days += 1
            elif working:
                week.expected += 1
            figures = days.get(day)
            if figures is not None:
                if figures.entries:
                    week.logged += 1
                week.minutes += figures.minutes
                week.approved += figures.by_status.get("approved", 0)
                week.waiting += figures.by_status.get(WAITING, 0)
                week.revision += figures.by_status.get("revision_requested", 0)
                week.rejected += figures.by_status.get("rejected", 0)
            day += timedelta(days=1)
        result.append(week)
    return result


def first_day(today: date, weeks: int = WEEKS) -> date:
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)


MESSAGE_LIMIT = 4000  # Telegram's 4096, with room for the markup entities parsed out


def chunks(blocks: Sequence[str], limit: int = MESSAGE_LIMIT, separator: str = "\n") -> list[str]:
    """Join blocks into as few messages as fit under ``limit`` each, never splitting a block
    (a block longer than the limit is clipped: callers clip what people wrote beforehand)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        block = clip(block, limit)
        joined = f"{current}{separator}{block}" if current else block
        if len(joined) <= limit:
            current = joined
            continue
        messages.append(current)
        current = block
    if current:
        messages.append(current)
    return messages
