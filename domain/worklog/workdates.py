"""The day a piece of work was done, typed the way people write dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Final

from domain.worklog.problems import ParseProblem
from domain.worklog.text import squash

#: How many days back an employee may log (late) work; the earliest date is today minus this.
DEFAULT_DATE_WINDOW_DAYS: Final = 3

_MONTHS: Final[Mapping[str, int]] = MappingProxyType(
    {
        name: number
        for number, names in enumerate(
            (
                ("januari", "jan", "january"),
                ("februari", "pebruari", "feb", "february"),
                ("maret", "mar", "march"),
                ("april", "apr"),
                ("mei", "may"),
                ("juni", "jun", "june"),
                ("juli", "jul", "july"),
                ("agustus", "agu", "agt", "ags", "agus", "aug", "august"),
                ("september", "sep", "sept"),
                ("oktober", "okt", "oct", "october"),
                ("november", "nopember", "nov", "nop"),
                ("desember", "des", "dec", "december"),
            ),
            start=1,
        )
        for name in names
    }
)

_WEEKDAYS: Final[Mapping[str, int]] = MappingProxyType(
    {
        name: number
        for number, names in enumerate(
            (
                ("senin", "monday"),
                ("selasa", "tuesday"),
                ("rabu", "wednesday"),
                ("kamis", "thursday"),
                ("jumat", "jum'at", "jumaat", "friday"),
                ("sabtu", "saturday"),
                ("minggu", "ahad", "sunday"),
            )
        )
        for name in names
    }
)

_DAYS_BACK: Final[Mapping[str, int]] = MappingProxyType(
    {
        "hari ini": 0,
        "hr ini": 0,
        "today": 0,
        "sekarang": 0,
        "kemarin": 1,
        "kemaren": 1,
        "kmrn": 1,
        "kmarin": 1,
        "yesterday": 1,
        "kemarin lusa": 2,
        "kemaren lusa": 2,
        # Future words are understood so the answer can be "that is in the future", not
        # "I don't understand".
        "besok": -1,
        "besuk": -1,
        "esok": -1,
        "tomorrow": -1,
        "lusa": -2,
    }
)

_MONTH_NAME: Final = r"(?P<month_name>[a-z]+)\.?"
_WEEKDAY_PREFIX: Final = r"(?:(?P<weekday>[a-z']+),?\s+)?"
_YEAR: Final = r"(?P<year>[0-9]{4}|[0-9]{2})"
_DATE_PATTERNS: Final = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"{_WEEKDAY_PREFIX}(?P<day>[0-9]{{1,2}})[/.\-](?P<month>[0-9]{{1,2}})(?:[/.\-]{_YEAR})?",
        r"(?P<year>[0-9]{4})[/.\-](?P<month>[0-9]{1,2})[/.\-](?P<day>[0-9]{1,2})",
        rf"{_WEEKDAY_PREFIX}(?P<day>[0-9]{{1,2}})(?:st|nd|rd|th)?\s*{_MONTH_NAME}(?:,?\s*{_YEAR})?",
        rf"{_WEEKDAY_PREFIX}{_MONTH_NAME}\s*(?P<day>[0-9]{{1,2}})(?:st|nd|rd|th)?(?:,?\s*{_YEAR})?",
    )
)
_DATE_PREFIX: Final = re.compile(r"^(?:tanggal|tgl\.?|tg\.?|date|on)\s*:?\s*", re.IGNORECASE)
_DAYS_AGO: Final = re.compile(r"([0-9]{1,2}) (?:hari (?:yang )?lalu|hr lalu|days? ago)")
_WEEKDAY_PHRASE: Final = re.compile(r"(?:(?P<last>last) )?(?P<name>[a-z']+)(?: (?P<lalu>lalu))?")


def _infer_year(day: int, month: int, today: date) -> int:
    """The year that puts day/month nearest to today (past wins a tie).

    Nearest rather than "latest not in the future", so "25/11" typed on 23 Nov is reported as
    in the future instead of as a year too old, and "31/12" typed on 2 Jan is last year's.
    """

    def distance(year: int) -> tuple[int, bool]:
        # First of the month plus (day - 1) days never raises, even for "31/02".
        approx = date(year, month, 1) + timedelta(days=day - 1)
        return abs((approx - today).days), approx > today

    return min((today.year - 1, today.year, today.year + 1), key=distance)


def _most_recent_weekday(weekday: int, today: date, *, strictly_before: bool) -> date:
    back = (today.weekday() - weekday) % 7
    if back == 0 and strictly_before:
        back = 7
    return today - timedelta(days=back)


def _read_date(text: str, today: date) -> date | ParseProblem:
    if text in _DAYS_BACK:
        return today - timedelta(days=_DAYS_BACK[text])
    ago = _DAYS_AGO.fullmatch(text)
    if ago:
        return today - timedelta(days=int(ago[1]))
    phrase = _WEEKDAY_PHRASE.fullmatch(text)
    if phrase and phrase["name"] in _WEEKDAYS:
        last = bool(phrase["last"] or phrase["lalu"])
        if phrase["name"] == "minggu" and phrase["lalu"]:
            # "minggu lalu" means "last week", not "last Sunday".
            return ParseProblem("date_unreadable", {"text": text})
        return _most_recent_weekday(_WEEKDAYS[phrase["name"]], today, strictly_before=last)

    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        groups = match.groupdict()
        weekday_name = groups.get("weekday")
        # A word that is no month or weekday sends us on to the next pattern: in
        # "november 23rd" an earlier pattern takes "november" for a weekday and "rd" for a month.
        if weekday_name is not None and weekday_name not in _WEEKDAYS:
            continue
        if groups.get("month_name") is not None:
            if groups["month_name"] not in _MONTHS:
                continue
            month = _MONTHS[groups["month_name"]]
        else:
            month = int(groups["month"])
        day = int(groups["day"])
        year_text = groups.get("year")
        year = None if year_text is None else int(year_text)
        if year is not None and len(year_text or "") == 2:
            year += 2000  # "23/11/26": nobody logs work for 1926
        invalid = ParseProblem("date_invalid", {"day": day, "month": month, "year": year})
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return invalid
        try:
            parsed = date(year or _infer_year(day, month, today), month, day)
        except ValueError:
            return invalid
        if weekday_name is not None and _WEEKDAYS[weekday_name] != parsed.weekday():
            # The date or the weekday is wrong, and we cannot tell which.
            return ParseProblem("date_weekday_mismatch", {"date": parsed, "weekday": weekday_name})
        return parsed
    return ParseProblem("date_unreadable", {"text": text})


def parse_date(text: str, today: date) -> date | ParseProblem:
    """Any day, past or future, from what a person typed (leave can be planned ahead).

    Day before month, always (Indonesian order: "23/11"); a year left out is the one that puts
    the date nearest to ``today``.
    """
    squashed = squash(text)
    # Phones type a curly apostrophe in "Jum’at".
    key = _DATE_PREFIX.sub("", squashed.lower().replace("\u2019", "'").rstrip("."))
    parsed = _read_date(key, today)
    if isinstance(parsed, ParseProblem) and parsed.code == "date_unreadable":
        # Echo what the person typed, not our lowercased working copy.
        return ParseProblem("date_unreadable", {"text": squashed})
    return parsed


def parse_work_date(
    text: str, today: date, window_days: int = DEFAULT_DATE_WINDOW_DAYS
) -> date | ParseProblem:
    """The day a piece of work was done: ``parse_date`` limited to
    ``today - window_days`` up to ``today``."""
    if window_days < 0:
        raise ValueError("window_days must not be negative")
    parsed = parse_date(text, today)
    if isinstance(parsed, ParseProblem):
        return parsed
    return check_work_date(parsed, today, window_days)


def check_work_date(
    day: date, today: date, window_days: int = DEFAULT_DATE_WINDOW_DAYS
) -> date | ParseProblem:
    """``day`` if work may be logged for it: from ``today - window_days`` up to ``today``."""
    if day > today:
        return ParseProblem("date_in_future", {"date": day, "today": today})
    earliest = today - timedelta(days=window_days)
    if day < earliest:
        return ParseProblem(
            "date_too_old", {"date": day, "earliest": earliest, "window_days": window_days}
        )
    return day


def is_late(work_date: date, today: date) -> bool:
    """Work logged for an earlier day (shown to the supervisor as a late entry)."""
    return work_date < today
