"""Time ranges typed as clock times: ``08.00-10.30``, ``jam 9 sampai jam 11``, ``1-3 siang``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from domain.worklog.text import DASH_CLASS, DASHES, START

MINUTES_PER_DAY: Final = 24 * 60


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A span of one day in minutes after midnight: 08.00-10.30 is ``TimeRange(480, 630)``.

    ``end`` may be 1440 (24.00).  Ranges that cross midnight are not read (see the package
    docs), so a range that reaches a reading always has ``start < end``.
    """

    start: int
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def overlaps(self, other: TimeRange) -> bool:
        """Sharing more than an instant: 08.00-10.00 and 10.00-11.00 do not overlap."""
        return self.start < other.end and other.start < self.end


# Words for a part of the day, which turn "jam 3 sore" into 15.00.
_PERIOD: Final = r"(?:pagi|siang|sore|malam)"
_ZONE: Final = r"(?:wib|wita|wit)"
# Words that may stand before a clock time: "pukul 08.00", "jam 9", "pkl. 13.00".
CLOCK_WORD: Final = r"(?:pukul|pkl\.?|pk\.|jam|jm)"
_SEPARATOR: Final = (
    rf"(?:{DASH_CLASS}|s/d\.?|s\.d\.?|sd|sampai\s+dengan|sampai|sampe|smp|hingga"
    r"|until|till|to)"
)


def _time(n: int) -> str:
    return (
        rf"(?P<h{n}>[0-9]{{1,2}})(?:[.:](?P<m{n}>[0-9]{{2}}))?"
        rf"(?:\s*(?P<p{n}>{_PERIOD}))?(?:\s*{_ZONE})?"
    )


RANGE_RE: Final = re.compile(
    rf"{START}{_time(1)}\s*{_SEPARATOR}\s*(?:{CLOCK_WORD}\s*)?{_time(2)}"
    # Not the start of a date such as "23-11-2026" or a longer number.
    rf"(?!\w|[.:/{DASHES}\-][0-9])",
    re.IGNORECASE,
)
#: What may stand right before a range and marks it as one: "pukul", "jam", "dari jam",
#: "mulai pukul", "from".  ("jam 2 jam" is not a thing, so these mark ranges only.)
RANGE_MARKER_WORDS: Final = rf"(?:(?:dari|mulai|from)(?:\s*{CLOCK_WORD})?|{CLOCK_WORD})"
RANGE_MARKER_RE: Final = re.compile(
    rf"(?:^|(?<=[\s(])){RANGE_MARKER_WORDS}\s*:?\s*$", re.IGNORECASE
)


def _in_period(hour: int, period: str | None) -> int:
    """The 24-hour clock hour for "jam 3 sore" (15) or "jam 1 siang" (13)."""
    if period is None or hour > 12:
        return hour
    period = period.lower()
    if period == "siang" and hour <= 6:  # "jam 11 siang" is 11.00, "jam 1 siang" 13.00
        return hour + 12
    if period == "sore" and hour < 12:
        return hour + 12
    if period == "malam" and hour >= 6:  # "jam 12 malam" is midnight, the end of the day
        return hour + 12
    return hour


def _clock(match: re.Match[str], n: int, period: str | None) -> int | None:
    hour, minute = int(match[f"h{n}"]), int(match[f"m{n}"] or 0)
    hour = _in_period(hour, period)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return hour * 60 + minute


def read_time_range(match: re.Match[str]) -> TimeRange | None:
    """The range a :data:`RANGE_RE` match names, or None if an end is no clock time ("25.00").

    A part of the day written at one end only also applies to the other when that keeps the
    start before the end: "jam 1-3 siang" is 13.00-15.00, "jam 1 siang - 3" too, while
    "jam 11-1 siang" is 11.00-13.00.
    """
    first, second = match["p1"], match["p2"]
    start, end = _clock(match, 1, first), _clock(match, 2, second)
    if start is None or end is None:
        return None
    if first is None and second is not None:
        shifted = _clock(match, 1, second)
        if shifted is not None and shifted < end:
            start = shifted
    elif second is None and first is not None and end <= start:
        shifted = _clock(match, 2, first)
        if shifted is not None and shifted > start:
            end = shifted
    return TimeRange(start, end)


def is_clock_range(match: re.Match[str]) -> bool:
    """Written so that it can only be a time of day: "08.00-10.30", "9 pagi - 1 siang".

    A bare "8-10" could be house numbers, a date or a count, so it needs a marker word.
    """
    with_minutes = match["m1"] is not None and match["m2"] is not None
    return with_minutes or match["p1"] is not None or match["p2"] is not None
