"""Durations typed as an answer to "how long?" or inside a quick log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Final

from domain.worklog.problems import ParseProblem
from domain.worklog.text import NOT_WORD, START, squash
from domain.worklog.timeranges import RANGE_MARKER_WORDS, RANGE_RE, read_time_range

#: Nobody works 25 hours, and a 16-hour entry is already a long day plus overtime; larger
#: values are typos ("25 jam" for "2,5 jam") far more often than real work.
MAX_MINUTES_PER_ENTRY: Final = 16 * 60

# Digit runs are capped: int() refuses strings over 4300 digits, and 15 digits already exceed
# any limit, so longer numbers are simply not numbers here.
_NUMBER: Final = r"[0-9]{1,15}(?:[.,][0-9]{1,15})?"
_HOUR_WORDS: Final = r"(?:jam|jm|hours|hour|hrs|hr)"
# "menit2" and "mnt2": the "2" is how Indonesians write a reduplicated (plural) word.
_MINUTE_WORDS: Final = r"(?:menit2|menit|mnit|mnt2|mnt|minutes|minute|mins|min)"
_HALF: Final = r"(?:setengah|stengah|stgah|stgh)"
_NOT_LETTER: Final = r"(?![^\W\d_])"  # a digit may follow ("1j30m"), a letter may not

# Fixed phrases, longest first so "sejam setengah" is not read as "sejam".
_PHRASE_MINUTES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "sejam setengah": 90,
        "seperempat jam": 15,
        "setengah jam": 30,
        "stengah jam": 30,
        "stgah jam": 30,
        "stgh jam": 30,
        "sejam": 60,
        "half an hour": 30,
        "half hour": 30,
    }
)
_FRACTIONS: Final[Mapping[str, Fraction]] = MappingProxyType(
    {
        "1/2": Fraction(1, 2),
        "1/4": Fraction(1, 4),
        "3/4": Fraction(3, 4),
        "½": Fraction(1, 2),
        "¼": Fraction(1, 4),
        "¾": Fraction(3, 4),
    }
)


def _phrase_alternatives() -> str:
    names = sorted(_PHRASE_MINUTES, key=len, reverse=True)
    return "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in names)


def _unit_duration_pattern(*, strict: bool) -> str:
    """Number + unit word.  ``strict`` (for free text) accepts the one-letter unit ``m`` only
    glued to the number ("30m"): "ukur saluran 50 m" is metres, while "1.5 h" is an hour and
    a half."""
    gap = "" if strict else r"\s*"
    hour_unit = rf"\s*(?:{_HOUR_WORDS}|[jh]){_NOT_LETTER}"
    minute_unit = rf"(?:\s*{_MINUTE_WORDS}|{gap}m){NOT_WORD}"
    return (
        rf"{START}(?:"
        rf"(?P<hours>{_NUMBER}){hour_unit}"
        rf"(?:\s+(?P<and_half>{_HALF}){NOT_WORD}|\s*(?P<and_minutes>{_NUMBER}){minute_unit})?"
        rf"|(?P<half_hours>[0-9]{{1,2}})\s+{_HALF}\s*{_HOUR_WORDS}{NOT_WORD}"
        # "1 1/2 jam" needs the space: "11/2 jam" might be 5.5 hours or a slip.
        rf"|(?:(?P<whole>[0-9]{{1,2}})\s+)?(?P<fraction>[13]/[24])\s*{_HOUR_WORDS}{NOT_WORD}"
        rf"|(?P<whole_glued>[0-9]{{1,2}})?\s*(?P<vulgar>[½¼¾])\s*{_HOUR_WORDS}{NOT_WORD}"
        rf"|(?P<minutes>{_NUMBER}){minute_unit}"
        rf"|(?P<phrase>{_phrase_alternatives()}){NOT_WORD}"
        r")"
    )


_UNIT_LOOSE_RE: Final = re.compile(_unit_duration_pattern(strict=False), re.IGNORECASE)
UNIT_STRICT_RE: Final = re.compile(_unit_duration_pattern(strict=True), re.IGNORECASE)
_CLOCK_RE: Final = re.compile(
    rf"(?P<h>[0-9]{{1,2}}):(?P<m>[0-9]{{2}})(?:\s*{_HOUR_WORDS})?", re.IGNORECASE
)
_BARE_NUMBER_RE: Final = re.compile(_NUMBER)
_DECIMAL_PARTS: Final = re.compile(r"(?P<whole>[0-9]+)(?:(?P<sep>[.,])(?P<frac>[0-9]+))?")
# Words before a duration that mark it as one: "selama 2 jam", "± 2 jam", "kurang lebih 2 jam".
# Not "sekitar": in "warga sekitar 2 jam" it means "nearby", and cutting it would change the
# description.
_MARKER_WORDS: Final = (
    r"(?:selama|slm|durasi|waktu|for|about|around|approx\.?"
    r"|kurang\s+lebih|lebih\s+kurang|kurleb|kl\.?|kira-kira|kira2|±|\+/-|\+-)"
)
#: A marker right at the end of the text before a duration.
DURATION_MARKER_RE: Final = re.compile(rf"(?:^|(?<=[\s(])){_MARKER_WORDS}\s*:?\s*$", re.IGNORECASE)
_LEADING_MARKER_RE: Final = re.compile(
    rf"^(?:{_MARKER_WORDS}|{RANGE_MARKER_WORDS})\s*:?\s*", re.IGNORECASE
)


def _round_minutes(value: Fraction) -> int:
    return int(value + Fraction(1, 2))  # half up; values are never negative here


def _hours_to_minutes(number: str, text: str) -> int | ParseProblem:
    """Decimal hours ("1,5", "1.5", "2") to minutes, refusing the ambiguous "1.30"."""
    parts = _DECIMAL_PARTS.fullmatch(number)
    if parts is None:
        return ParseProblem("duration_unreadable", {"text": text})
    whole, sep, frac = parts["whole"], parts["sep"] or "", parts["frac"] or ""
    if not sep:
        return int(whole) * 60  # whole hours ("2 jam"), the most common: no fraction to round
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
    """Minutes for a match of the unit patterns (number + unit, fraction or fixed phrase)."""
    if match["phrase"]:
        return _PHRASE_MINUTES[squash(match["phrase"].lower())]
    if match["half_hours"] is not None:
        return int(match["half_hours"]) * 60 + 30
    fraction = match["fraction"] or match["vulgar"]
    if fraction is not None:
        whole = int(match["whole"] or match["whole_glued"] or 0)
        return _round_minutes((whole + _FRACTIONS[fraction]) * 60)
    if match["hours"] is not None:
        hours = match["hours"]
        extra = match["and_minutes"]
        if extra is not None or match["and_half"] is not None:
            # "1,5 jam 30 menit" mixes two ways of writing a fraction: no sensible reading.
            if not hours.isdigit() or not (extra or "0").isdigit():
                return ParseProblem("duration_unreadable", {"text": text})
            return int(hours) * 60 + (30 if extra is None else int(extra))
        return _hours_to_minutes(hours, text)
    minutes = match["minutes"]
    if not minutes.isdigit():  # "1,5 menit": we log whole minutes
        return ParseProblem("duration_unreadable", {"text": text})
    return int(minutes)


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
    body = _LEADING_MARKER_RE.sub("", squashed, count=1)
    range_match = RANGE_RE.fullmatch(body)
    if range_match:
        time_range = read_time_range(range_match)
        if time_range is None:
            return ParseProblem("duration_unreadable", {"text": squashed})
        return check_minutes(time_range.minutes, max_minutes)
    clock_match = _CLOCK_RE.fullmatch(squashed)
    if clock_match:
        if int(clock_match["m"]) > 59:
            return ParseProblem("duration_unreadable", {"text": squashed})
        return check_minutes(int(clock_match["h"]) * 60 + int(clock_match["m"]), max_minutes)
    unit_match = _UNIT_LOOSE_RE.fullmatch(body)
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
