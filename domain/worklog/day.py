"""A whole working day typed or pasted in one message, read line by line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.worklog.daylist import Piece, split_day
from domain.worklog.durations import MAX_MINUTES_PER_ENTRY
from domain.worklog.problems import ParseProblem
from domain.worklog.quantities import MAX_QUANTITY
from domain.worklog.quicklog import QuickLog, read_activity
from domain.worklog.text import DESCRIPTION_MAX_LENGTH, squash
from domain.worklog.timeranges import MINUTES_PER_DAY
from domain.worklog.workdates import DEFAULT_DATE_WINDOW_DAYS, check_work_date


@dataclass(frozen=True, slots=True)
class DayLine:
    """One activity of the day.

    ``number`` counts the activities from 1 in the order typed (what "Ubah baris N" refers
    to); ``text`` is what the person typed for it.  ``reading`` is None only when no
    description could be read; a duration or quantity that has a problem is None in the
    reading and its problem is in ``problems`` (description, duration, quantity order).
    """

    number: int
    text: str
    reading: QuickLog | None
    problems: tuple[ParseProblem, ...] = ()

    @property
    def needs_duration(self) -> bool:
        """Readable, but how long it took must still be asked."""
        return self.reading is not None and self.reading.minutes is None

    @property
    def ready(self) -> bool:
        """Everything read, nothing to ask: it can be saved as it is."""
        return self.reading is not None and self.reading.minutes is not None and not self.problems


@dataclass(frozen=True, slots=True)
class DayReading:
    """What a message says about a working day.

    ``work_date`` is ``today`` unless a heading names the day ("Kegiatan kemarin:"); a named
    day outside the logging window, or two different named days, is a ParseProblem.
    ``overlaps`` and ``duplicates`` are pairs of line numbers, lower first.
    """

    lines: tuple[DayLine, ...]
    work_date: date | ParseProblem
    headings: tuple[str, ...] = ()
    overlaps: tuple[tuple[int, int], ...] = ()
    duplicates: tuple[tuple[int, int], ...] = ()

    @property
    def total_minutes(self) -> int:
        """The minutes of every line whose duration was read."""
        return sum(
            line.reading.minutes
            for line in self.lines
            if line.reading is not None and line.reading.minutes is not None
        )

    @property
    def over_24_hours(self) -> bool:
        return self.total_minutes > MINUTES_PER_DAY

    @property
    def is_list(self) -> bool:
        return len(self.lines) > 1

    @property
    def only_activity(self) -> QuickLog | ParseProblem:
        """A message that is not a list, as :func:`parse_quick_log` reads it (the reading, or
        its first problem): :func:`parse_day` read it so already, no need to read it twice."""
        line = self.lines[0]
        if line.problems or line.reading is None:
            return line.problems[0]
        return line.reading


def _same_activity(first: QuickLog, second: QuickLog) -> bool:
    """Two lines saying the same thing; different times of day make them two sessions."""

    def key(reading: QuickLog) -> str:
        return squash(reading.description).casefold().rstrip(".,;:!")

    if first.time_range is not None and second.time_range is not None:
        return first.time_range == second.time_range and key(first) == key(second)
    return key(first) == key(second)


def _pairs(lines: tuple[DayLine, ...], *, overlapping: bool) -> tuple[tuple[int, int], ...]:
    found: list[tuple[int, int]] = []
    for i, first in enumerate(lines):
        for second in lines[i + 1 :]:
            if first.reading is None or second.reading is None:
                continue
            if overlapping:
                one, two = first.reading.time_range, second.reading.time_range
                if one is None or two is None or not one.overlaps(two):
                    continue
            elif not _same_activity(first.reading, second.reading):
                continue
            found.append((first.number, second.number))
    return tuple(found)


def day_flags(
    lines: tuple[DayLine, ...],
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """The overlapping and the repeated pairs of lines, for a day changed after it was read
    (a line rewritten or dropped before saving)."""
    return _pairs(lines, overlapping=True), _pairs(lines, overlapping=False)


def _work_date(
    named: tuple[date | ParseProblem, ...], today: date, window_days: int
) -> date | ParseProblem:
    for day in named:
        if isinstance(day, ParseProblem):
            return day
    days = sorted({day for day in named if isinstance(day, date)})
    if len(days) > 1:
        return ParseProblem("day_dates_differ", {"first": days[0], "second": days[1]})
    return check_work_date(days[0], today, window_days) if days else today


def parse_day(
    text: str,
    today: date,
    *,
    window_days: int = DEFAULT_DATE_WINDOW_DAYS,
    max_minutes: int = MAX_MINUTES_PER_ENTRY,
    max_quantity: int = MAX_QUANTITY,
    max_length: int = DESCRIPTION_MAX_LENGTH,
) -> DayReading:
    """Read a message as the activities of one day (see the package docs for the rules).

    Always at least one line: a message that is not a list is one activity, read exactly as
    :func:`parse_quick_log` reads it.
    """
    if window_days < 0:
        raise ValueError("window_days must not be negative")
    split = split_day(text, today)

    def line(number: int, piece: Piece) -> DayLine:
        reading, problems = read_activity(
            piece.body, max_minutes=max_minutes, max_quantity=max_quantity, max_length=max_length
        )
        return DayLine(number, piece.text, reading, problems)

    lines = tuple(line(number, piece) for number, piece in enumerate(split.pieces, start=1))
    return DayReading(
        lines=lines,
        work_date=_work_date(split.named_dates, today, window_days),
        headings=split.headings,
        overlaps=_pairs(lines, overlapping=True),
        duplicates=_pairs(lines, overlapping=False),
    )
