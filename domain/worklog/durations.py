"""Durations typed as an answer to "how long?" or inside a quick log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Final

from domain.worklog.problems import ParseProblem
from domain.worklog.text import DASH_CLASS, DASHES, NOT_WORD, START, squash

#: Nobody works 25 hours, and a 16-hour entry is already a long day plus overtime; larger
#: values are typos ("25 jam" for "2,5 jam") far more often than real work.
MAX_MINUTES_PER_ENTRY: Final = 16 * 60

# Digit runs are capped: int() refuses strings over 4300 digits, and 15 digits already exceed
# any limit, so longer numbers are simply not numbers here.
_NUMBER: Final = r"[0-9]{1,15}(?:[.,][0-9]{1,15})?"
_HOUR_WORDS: Final = r"(?:jam|jm|hours|hour|hrs|hr)"
_MINUTE_WORDS: Final = r"(?:menit|mnt|minutes|minute|mins|min)"
_NOT_LETTER: Final = r"(?![^\W\d_])"  # a digit may follow ("1j30m"), a letter may not


def _unit_duration_pattern(*, strict: bool) -> str:
    """Number + unit word.  ``strict`` (for free text) only accepts the one-letter units
    ``j``/``h``/``m`` glued to the number ("30m"): "ukur saluran 50 m" is metres."""
    gap = "" if strict else r"\s*"
    hour_unit = rf"(?:\s*{_HOUR_WORDS}|{gap}[jh]){_NOT_LETTER}"
    minute_unit = rf"(?:\s*{_MINUTE_WORDS}|{gap}m){NOT_WORD}"
    return (
        rf"{START}(?:"
        rf"(?P<hours>{_NUMBER}){hour_unit}(?:\s*(?P<and_minutes>{_NUMBER}){minute_unit})?"
        rf"|(?P<minutes>{_NUMBER}){minute_unit}"
        rf"|(?P<phrase>setengah\s+jam|sejam|half\s+an\s+hour){NOT_WORD}"
        r")"
    )


_PHRASE_MINUTES: Final[Mapping[str, int]] = MappingProxyType(
    {"setengah jam": 30, "sejam": 60, "half an hour": 30}
)

_TIME_A: Final = r"(?P<h1>[0-9]{1,2})(?:[.:](?P<m1>[0-9]{2}))?"
_TIME_B: Final = r"(?P<h2>[0-9]{1,2})(?:[.:](?P<m2>[0-9]{2}))?"
_RANGE_SEPARATOR: Final = rf"(?:{DASH_CLASS}|s/d|s\.d\.?|sd|sampai|hingga|until|to)"
_RANGE: Final = (
    rf"{START}{_TIME_A}\s*{_RANGE_SEPARATOR}\s*{_TIME_B}(?:\s*(?:wib|wita|wit))?"
    # Not the start of a date such as "23-11-2026" or a longer number.
    rf"(?!\w|[.:/{DASHES}\-][0-9])"
)

RANGE_RE: Final = re.compile(_RANGE, re.IGNORECASE)
_UNIT_LOOSE_RE: Final = re.compile(_unit_duration_pattern(strict=False), re.IGNORECASE)
UNIT_STRICT_RE: Final = re.compile(_unit_duration_pattern(strict=True), re.IGNORECASE)
_CLOCK_RE: Final = re.compile(
    rf"(?P<h>[0-9]{{1,2}}):(?P<m>[0-9]{{2}})(?:\s*{_HOUR_WORDS})?", re.IGNORECASE
)
_BARE_NUMBER_RE: Final = re.compile(_NUMBER)
_DECIMAL_PARTS: Final = re.compile(r"(?P<whole>[0-9]+)(?:(?P<sep>[.,])(?P<frac>[0-9]+))?")


def _round_minutes(value: Fraction) -> int:
    return int(value + Fraction(1, 2))  # half up; values are never negative here


def _hours_to_minutes(number: str, text: str) -> int | ParseProblem:
    """Decimal hours ("1,5", "1.5", "2") to minutes, refusing the ambiguous "1.30"."""
    parts = _DECIMAL_PARTS.fullmatch(number)
    if parts is None:
        return ParseProblem("duration_unreadable", {"text": text})
    whole, sep, frac = parts["whole"], parts["sep"] or "", parts["frac"] or ""
    if sep == "." and len(frac) == 2 and int(frac) < 60:
        decimal = _round_minutes(Fraction(f"{whole}.{frac}") * 60)
        clock = int(whole) * 60 + int(frac)
        if decimal != clock:
            return ParseProblem(
                "duration_ambiguous",
                {
                    "text": text,
                    "hours": int(whole),
                    "minutes": int(frac),
                    "clock": f"{int(whole)}:{frac}",
                    "clock_minutes": clock,
                    "decimal_minutes": decimal,
                },
            )
    if len(frac) > 2:
        # "1.000 jam" is a thousand hours to an Indonesian reader and one hour to others.
        return ParseProblem("duration_unreadable", {"text": text})
    return _round_minutes(Fraction(f"{whole}.{frac or '0'}") * 60)


def unit_match_minutes(match: re.Match[str], text: str) -> int | ParseProblem:
    if match["phrase"]:
        return _PHRASE_MINUTES[squash(match["phrase"].lower())]
    if match["hours"] is not None:
        hours = match["hours"]
        extra = match["and_minutes"]
        if extra is not None:
            # "1,5 jam 30 menit" mixes two ways of writing a fraction: no sensible reading.
            if not hours.isdigit() or not extra.isdigit():
                return ParseProblem("duration_unreadable", {"text": text})
            return int(hours) * 60 + int(extra)
        return _hours_to_minutes(hours, text)
    minutes = match["minutes"]
    if not minutes.isdigit():  # "1,5 menit": we log whole minutes
        return ParseProblem("duration_unreadable", {"text": text})
    return int(minutes)


def range_minutes(match: re.Match[str]) -> int | None:
    """End minus start, or None if either end is not a clock time (e.g. "25.00")."""
    times: list[int] = []
    for h_key, m_key in (("h1", "m1"), ("h2", "m2")):
        hour = int(match[h_key])
        minute = int(match[m_key] or 0)
        if hour > 24 or minute > 59 or (hour == 24 and minute):
            return None
        times.append(hour * 60 + minute)
    return times[1] - times[0]


def check_minutes(minutes: int, max_minutes: int) -> int | ParseProblem:
    if minutes <= 0:
        return ParseProblem("duration_zero", {"minutes": minutes})
    if minutes > max_minutes:
        return ParseProblem(
            "duration_too_long",
            {"minutes": minutes, "max_minutes": max_minutes, "max_hours": max_minutes // 60},
        )
    return minutes


def parse_duration(text: str, *, max_minutes: int = MAX_MINUTES_PER_ENTRY) -> int | ParseProblem:
    """A duration typed as an answer to "how long?", in minutes (see the module docs)."""
    squashed = squash(text).rstrip(".")
    range_match = RANGE_RE.fullmatch(squashed)
    if range_match:
        minutes = range_minutes(range_match)
        if minutes is None:
            return ParseProblem("duration_unreadable", {"text": squashed})
        return check_minutes(minutes, max_minutes)
    clock_match = _CLOCK_RE.fullmatch(squashed)
    if clock_match:
        if int(clock_match["m"]) > 59:
            return ParseProblem("duration_unreadable", {"text": squashed})
        return check_minutes(int(clock_match["h"]) * 60 + int(clock_match["m"]), max_minutes)
    unit_match = _UNIT_LOOSE_RE.fullmatch(squashed)
    if unit_match:
        value = unit_match_minutes(unit_match, squashed)
        return value if isinstance(value, ParseProblem) else check_minutes(value, max_minutes)
    if _BARE_NUMBER_RE.fullmatch(squashed):
        # "1.30" alone: the dot reading (1 h 30) and the decimal reading (1.3 h) both assume
        # hours, so say it is ambiguous; any other bare number just lacks its unit.
        reading = _hours_to_minutes(squashed, squashed)
        if isinstance(reading, ParseProblem) and reading.code == "duration_ambiguous":
            return reading
        return ParseProblem("duration_unit_missing", {"number": squashed})
    return ParseProblem("duration_unreadable", {"text": squashed})
