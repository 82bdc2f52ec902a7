"""Reading what employees type about their daily work: durations, quantities, dates, activities.

People type on a phone, mostly in Indonesian, sometimes in English.  Every parser returns either
a value or a :class:`ParseProblem` (a code plus parameters); it never guesses.  Where a text has
two sensible readings the answer is a problem code asking for a clearer form, not a pick.
Turning codes into sentences is the job of the per-language text catalogues.

Durations (:func:`parse_duration`)
    ``30m``, ``30 menit``, ``1j``, ``2 jam``, ``1,5 jam``, ``1.5h``, ``1 jam 30 menit``,
    ``1j30m``, ``1:30``, ``2 hours``, ``45 min``, ``setengah jam``, ``sejam``, and time ranges
    ``08.00-10.30``, ``08:00 - 10:30``, ``8-10``, ``08.00 s/d 10.30 WIB`` (end minus start).

    ``h:mm`` with a colon is hours and minutes.  ``h.mm`` with a dot and two digits below 60
    after it (``1.30``, ``1.30 jam``) is ambiguous in Indonesia, where the dot is how clock
    times are written (``08.30``) and people also write ``1.30 jam`` for "an hour and a half",
    while English readers see 1.3 hours: it is reported as ``duration_ambiguous``.  A comma is
    always the decimal mark (``1,30 jam`` = 78 minutes), as is a dot with one digit (``1.5 jam``).
    A number without a unit (``90``) is ``duration_unit_missing``: minutes or hours?

Quick logs (:func:`parse_quick_log`)
    ``Verifikasi 15 berkas KTP 1,5 jam`` → description ``Verifikasi 15 berkas KTP``,
    quantity 15 ``berkas``, 90 minutes.  A duration counts only at the end of the text or when
    clearly marked (``selama 2 jam``, ``durasi: 2 jam``, ``(2 jam)``, ``pukul 08.00-10.30``,
    or any range written with minutes, ``08.00-10.30``).  If the text holds more than one
    duration-looking phrase, or none that counts, ``minutes`` is None and the bot asks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Final

__all__ = [
    "COMMON_UNITS",
    "COUNT_NOUNS",
    "DEFAULT_DATE_WINDOW_DAYS",
    "DESCRIPTION_MAX_LENGTH",
    "MAX_MINUTES_PER_ENTRY",
    "MAX_QUANTITY",
    "UNIT_MAX_LENGTH",
    "WORKLOG_PROBLEM_CODES",
    "ParseProblem",
    "QuickLog",
    "is_late",
    "normalize_unit",
    "parse_duration",
    "parse_quantity",
    "parse_quick_log",
    "parse_work_date",
    "validate_description",
]

#: Every ParseProblem.code this module returns, for catalogue completeness checks.
WORKLOG_PROBLEM_CODES: Final = (
    "duration_unreadable",
    "duration_unit_missing",
    "duration_ambiguous",
    "duration_zero",
    "duration_too_long",
    "quantity_unreadable",
    "quantity_zero",
    "quantity_too_large",
    "description_empty",
    "description_too_long",
    "date_unreadable",
    "date_invalid",
    "date_weekday_mismatch",
    "date_in_future",
    "date_too_old",
)

#: Nobody works 25 hours, and a 16-hour entry is already a long day plus overtime; larger
#: values are typos ("25 jam" for "2,5 jam") far more often than real work.
MAX_MINUTES_PER_ENTRY: Final = 16 * 60
MAX_QUANTITY: Final = 10_000
DESCRIPTION_MAX_LENGTH: Final = 1000
#: A unit is a word or two ("berkas", "orang dilayani"); longer text after a number is more
#: likely a sentence typed in the wrong place.
UNIT_MAX_LENGTH: Final = 40
#: How many days back an employee may log (late) work; the earliest date is today minus this.
DEFAULT_DATE_WINDOW_DAYS: Final = 3

#: Output units offered as buttons (regional e-kinerja apps use the first three).
COMMON_UNITS: Final = ("dokumen", "laporan", "kegiatan", "surat", "berkas", "orang dilayani")

#: Nouns after which a number in a quick log is read as a quantity ("15 berkas", "12 warga").
COUNT_NOUNS: Final = (
    *COMMON_UNITS,
    "warga",
    "orang",
    "pemohon",
    "peserta",
    "permohonan",
    "undangan",
    "paket",
    "lokasi",
    "rumah",
    "KK",
    "KTP",
)

# Other spellings -> canonical unit.  Indonesian nouns have no plural form, so only
# abbreviations and English words need mapping; acronyms keep their capitals.
_UNIT_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "org": "orang",
        "dok": "dokumen",
        "doc": "dokumen",
        "docs": "dokumen",
        "document": "dokumen",
        "documents": "dokumen",
        "report": "laporan",
        "reports": "laporan",
        "letter": "surat",
        "letters": "surat",
        "file": "berkas",
        "files": "berkas",
        "activity": "kegiatan",
        "activities": "kegiatan",
        "person": "orang",
        "persons": "orang",
        "people": "orang",
        "resident": "warga",
        "residents": "warga",
        "citizen": "warga",
        "citizens": "warga",
        "people served": "orang dilayani",
        "kk": "KK",
        "ktp": "KTP",
    }
)


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """Why a text could not be read; ``params`` fill the catalogue's message template."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QuickLog:
    """One activity typed as free text.  ``minutes`` None means no duration was found."""

    description: str
    quantity: int | None
    unit: str | None
    minutes: int | None


# --------------------------------------------------------------------------------------------
# Text clean-up
# --------------------------------------------------------------------------------------------

_SPACES: Final = re.compile(r"\s+")
# Hyphen, non-breaking hyphen, figure/en/em dash, horizontal bar, minus: phones and word
# processors substitute these for "-".
_DASHES: Final = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASH_CLASS: Final = rf"[\-{_DASHES}]"


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _has_substance(text: str) -> bool:
    # A letter or a digit; emoji (So), punctuation and symbols alone say nothing about work.
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def _clean_description(text: str) -> str:
    # Control characters are dropped (PostgreSQL rejects NUL in text; the rest are invisible
    # noise from copy-paste).  Format characters such as the zero-width joiner stay: they
    # hold emoji sequences together.  Line breaks are kept because people write lists.
    kept = "".join(
        " " if ch == "\t" else ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc"
    )
    lines = [_squash(line) for line in kept.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):  # at most one blank line in a row
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def validate_description(
    text: str, *, max_length: int = DESCRIPTION_MAX_LENGTH
) -> str | ParseProblem:
    """Tidy a free-text description: trim, collapse whitespace (keeping single line breaks).

    Any character is kept, HTML included: escaping is the renderer's job.  Text with no
    letter or digit (emoji or punctuation only) counts as empty.
    """
    cleaned = _clean_description(text)
    if not _has_substance(cleaned):
        return ParseProblem("description_empty")
    if len(cleaned) > max_length:
        return ParseProblem("description_too_long", {"length": len(cleaned), "limit": max_length})
    return cleaned


# --------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------

# Digit runs are capped: int() refuses strings over 4300 digits, and 15 digits already exceed
# any limit, so longer numbers are simply not numbers here.
_NUMBER: Final = r"[0-9]{1,15}(?:[.,][0-9]{1,15})?"
_HOUR_WORDS: Final = r"(?:jam|jm|hours|hour|hrs|hr)"
_MINUTE_WORDS: Final = r"(?:menit|mnt|minutes|minute|mins|min)"
_NOT_LETTER: Final = r"(?![^\W\d_])"  # a digit may follow ("1j30m"), a letter may not
_NOT_WORD: Final = r"(?!\w)"
# Not glued to a preceding number, decimal mark or dash: "8-10 jam" is not "10 jam".
_START: Final = rf"(?<![\w.,:/{_DASHES}\-])"


def _unit_duration_pattern(*, strict: bool) -> str:
    """Number + unit word.  ``strict`` (for free text) only accepts the one-letter units
    ``j``/``h``/``m`` glued to the number ("30m"): "ukur saluran 50 m" is metres."""
    gap = "" if strict else r"\s*"
    hour_unit = rf"(?:\s*{_HOUR_WORDS}|{gap}[jh]){_NOT_LETTER}"
    minute_unit = rf"(?:\s*{_MINUTE_WORDS}|{gap}m){_NOT_WORD}"
    return (
        rf"{_START}(?:"
        rf"(?P<hours>{_NUMBER}){hour_unit}(?:\s*(?P<and_minutes>{_NUMBER}){minute_unit})?"
        rf"|(?P<minutes>{_NUMBER}){minute_unit}"
        rf"|(?P<phrase>setengah\s+jam|sejam|half\s+an\s+hour){_NOT_WORD}"
        r")"
    )


_PHRASE_MINUTES: Final[Mapping[str, int]] = MappingProxyType(
    {"setengah jam": 30, "sejam": 60, "half an hour": 30}
)

_TIME_A: Final = r"(?P<h1>[0-9]{1,2})(?:[.:](?P<m1>[0-9]{2}))?"
_TIME_B: Final = r"(?P<h2>[0-9]{1,2})(?:[.:](?P<m2>[0-9]{2}))?"
_RANGE_SEPARATOR: Final = rf"(?:{_DASH_CLASS}|s/d|s\.d\.?|sd|sampai|hingga|until|to)"
_RANGE: Final = (
    rf"{_START}{_TIME_A}\s*{_RANGE_SEPARATOR}\s*{_TIME_B}(?:\s*(?:wib|wita|wit))?"
    # Not the start of a date such as "23-11-2026" or a longer number.
    rf"(?!\w|[.:/{_DASHES}\-][0-9])"
)

_RANGE_RE: Final = re.compile(_RANGE, re.IGNORECASE)
_UNIT_LOOSE_RE: Final = re.compile(_unit_duration_pattern(strict=False), re.IGNORECASE)
_UNIT_STRICT_RE: Final = re.compile(_unit_duration_pattern(strict=True), re.IGNORECASE)
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


def _unit_match_minutes(match: re.Match[str], text: str) -> int | ParseProblem:
    if match["phrase"]:
        return _PHRASE_MINUTES[_squash(match["phrase"].lower())]
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


def _range_minutes(match: re.Match[str]) -> int | None:
    """End minus start, or None if either end is not a clock time (e.g. "25.00")."""
    times: list[int] = []
    for h_key, m_key in (("h1", "m1"), ("h2", "m2")):
        hour = int(match[h_key])
        minute = int(match[m_key] or 0)
        if hour > 24 or minute > 59 or (hour == 24 and minute):
            return None
        times.append(hour * 60 + minute)
    return times[1] - times[0]


def _check_minutes(minutes: int, max_minutes: int) -> int | ParseProblem:
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
    squashed = _squash(text).rstrip(".")
    range_match = _RANGE_RE.fullmatch(squashed)
    if range_match:
        minutes = _range_minutes(range_match)
        if minutes is None:
            return ParseProblem("duration_unreadable", {"text": squashed})
        return _check_minutes(minutes, max_minutes)
    clock_match = _CLOCK_RE.fullmatch(squashed)
    if clock_match:
        if int(clock_match["m"]) > 59:
            return ParseProblem("duration_unreadable", {"text": squashed})
        return _check_minutes(int(clock_match["h"]) * 60 + int(clock_match["m"]), max_minutes)
    unit_match = _UNIT_LOOSE_RE.fullmatch(squashed)
    if unit_match:
        value = _unit_match_minutes(unit_match, squashed)
        return value if isinstance(value, ParseProblem) else _check_minutes(value, max_minutes)
    if _BARE_NUMBER_RE.fullmatch(squashed):
        # "1.30" alone: the dot reading (1 h 30) and the decimal reading (1.3 h) both assume
        # hours, so say it is ambiguous; any other bare number just lacks its unit.
        reading = _hours_to_minutes(squashed, squashed)
        if isinstance(reading, ParseProblem) and reading.code == "duration_ambiguous":
            return reading
        return ParseProblem("duration_unit_missing", {"number": squashed})
    return ParseProblem("duration_unreadable", {"text": squashed})


# --------------------------------------------------------------------------------------------
# Quantities
# --------------------------------------------------------------------------------------------

# Whole numbers, optionally grouped in thousands ("1.000", "1,000"): a quantity is never a
# fraction, so the grouping mark cannot be mistaken for a decimal mark.
_INTEGER: Final = r"[0-9]{1,3}(?:\.[0-9]{3}){1,4}|[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15}"
_QUANTITY_RE: Final = re.compile(
    rf"(?P<sign>{_DASH_CLASS})?\s*(?P<number>{_INTEGER})(?:\s*(?P<unit>[^\W\d_].*))?"
)
_REDUPLICATED: Final = re.compile(r"(\w+)-\1", re.IGNORECASE)

_CANONICAL_UNITS: Final[Mapping[str, str]] = MappingProxyType(
    {**{unit.lower(): unit for unit in COUNT_NOUNS}, **_UNIT_ALIASES}
)


def _count_noun_alternatives() -> str:
    names = sorted(_CANONICAL_UNITS, key=len, reverse=True)  # "orang dilayani" before "orang"
    return "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in names)


_COUNT_RE: Final = re.compile(
    rf"{_START}(?P<number>{_INTEGER})\s*(?P<unit>{_count_noun_alternatives()}){_NOT_WORD}",
    re.IGNORECASE,
)


def normalize_unit(text: str) -> str:
    """``" Berkas "`` → ``berkas``, ``"org"`` → ``orang``, ``"ktp"`` → ``KTP``.

    Lowercase and whitespace-collapsed; reduplicated plurals ("berkas-berkas") and English or
    abbreviated forms of known units map to the Indonesian unit, so reports add up.
    """
    unit = _squash(text).lower()
    reduplicated = _REDUPLICATED.fullmatch(unit)
    if reduplicated:
        unit = reduplicated[1]
    return _CANONICAL_UNITS.get(unit, unit)


def _int_from_grouped(number: str) -> int:
    return int(number.replace(".", "").replace(",", ""))


def _check_quantity(quantity: int, max_quantity: int) -> int | ParseProblem:
    if quantity <= 0:
        return ParseProblem("quantity_zero", {"quantity": quantity})
    if quantity > max_quantity:
        return ParseProblem(
            "quantity_too_large", {"quantity": quantity, "max_quantity": max_quantity}
        )
    return quantity


def parse_quantity(
    text: str, *, max_quantity: int = MAX_QUANTITY
) -> tuple[int, str | None] | ParseProblem:
    """``"15"`` → ``(15, None)``; ``"15 berkas"`` → ``(15, "berkas")``."""
    squashed = _squash(text)
    match = _QUANTITY_RE.fullmatch(squashed)
    if match is None or (match["unit"] and len(match["unit"]) > UNIT_MAX_LENGTH):
        return ParseProblem("quantity_unreadable", {"text": squashed})
    number = _int_from_grouped(match["number"])
    checked = _check_quantity(-number if match["sign"] else number, max_quantity)
    if isinstance(checked, ParseProblem):
        return checked
    return checked, normalize_unit(match["unit"]) if match["unit"] else None


# --------------------------------------------------------------------------------------------
# Quick logs
# --------------------------------------------------------------------------------------------

# Words that mark what follows as a duration; the second group only makes sense before a time
# range ("pukul 08.00-10.30"; "jam 2 jam" is not a thing).
_MARKER_ANY_RE: Final = re.compile(r"(?:^|(?<=[\s(]))(?:selama|durasi|waktu|for)\s*:?\s*$", re.I)
_MARKER_RANGE_RE: Final = re.compile(r"(?:^|(?<=[\s(]))(?:pukul|pkl\.?|jam|from)\s*:?\s*$", re.I)
_OPEN_PAREN_RE: Final = re.compile(r"\(\s*$")
_CLOSE_PAREN_RE: Final = re.compile(r"^\s*\)")
# Left behind when a duration is cut out: "Rapat koordinasi - 2 jam", "Lembur, 3 jam".
_SEPARATOR_CHARS: Final = f" \n,;:/|-{_DASHES}"


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int  # span to remove, markers and brackets included
    end: int
    counts: bool  # at the end, or clearly marked, so it may be taken as the duration
    minutes: int | ParseProblem


def _duration_candidates(text: str) -> list[_Candidate]:
    found: list[tuple[re.Match[str], bool]] = []  # (match, is_range)
    for match in _RANGE_RE.finditer(text):
        found.append((match, True))
    for match in _UNIT_STRICT_RE.finditer(text):
        if not any(m.start() < match.end() and match.start() < m.end() for m, _ in found):
            found.append((match, False))

    candidates: list[_Candidate] = []
    for match, is_range in found:
        start, end = match.span()
        before = text[:start]
        marker = _MARKER_ANY_RE.search(before)
        if marker is None and is_range:
            marker = _MARKER_RANGE_RE.search(before)
        if marker is not None:
            start = marker.start()
        opening = _OPEN_PAREN_RE.search(text[:start])
        closing = _CLOSE_PAREN_RE.match(text[end:])
        bracketed = opening is not None and closing is not None
        if opening is not None and closing is not None:
            start, end = opening.start(), end + closing.end()
        at_end = not _has_substance(text[end:])
        if is_range:
            minutes = _range_minutes(match)
            if minutes is None:
                continue  # "23.11-24.11" and the like: not clock times, so not a duration
            with_minutes = match["m1"] is not None and match["m2"] is not None
            # "8-10" alone could be house numbers or dates; "08.00-10.30" cannot.
            if not (with_minutes or marker or bracketed):
                continue
            candidates.append(_Candidate(start, end, True, minutes))
        else:
            value = _unit_match_minutes(match, match.group(0))
            counts = at_end or marker is not None or bracketed
            candidates.append(_Candidate(start, end, counts, value))
    return candidates


def _remove_span(text: str, start: int, end: int) -> str:
    left = text[:start].rstrip(_SEPARATOR_CHARS)
    right = text[end:].strip()
    if not right:
        return left
    if not left:
        return right.lstrip(_SEPARATOR_CHARS)
    joiner = "" if right[0] in ",.;:!?)" else " "
    return f"{left}{joiner}{right}"


def parse_quick_log(
    text: str,
    *,
    max_minutes: int = MAX_MINUTES_PER_ENTRY,
    max_quantity: int = MAX_QUANTITY,
    max_length: int = DESCRIPTION_MAX_LENGTH,
) -> QuickLog | ParseProblem:
    """Split a free-text activity into description, quantity and duration (see module docs).

    Problems are reported in this order: description, duration, quantity.
    """
    cleaned = _clean_description(text)
    candidates = _duration_candidates(cleaned)
    chosen = candidates[0] if len(candidates) == 1 and candidates[0].counts else None
    remainder = _remove_span(cleaned, chosen.start, chosen.end) if chosen else cleaned

    description = validate_description(remainder, max_length=max_length)
    if isinstance(description, ParseProblem):
        return description

    minutes: int | None = None
    if chosen is not None:
        checked = (
            chosen.minutes
            if isinstance(chosen.minutes, ParseProblem)
            else _check_minutes(chosen.minutes, max_minutes)
        )
        if isinstance(checked, ParseProblem):
            return checked
        minutes = checked

    quantity: int | None = None
    unit: str | None = None
    counted = list(_COUNT_RE.finditer(description))
    if len(counted) == 1:  # two counted things ("15 berkas dan 3 surat"): do not pick one
        value = _check_quantity(_int_from_grouped(counted[0]["number"]), max_quantity)
        if isinstance(value, ParseProblem):
            return value
        quantity, unit = value, normalize_unit(counted[0]["unit"])

    return QuickLog(description=description, quantity=quantity, unit=unit, minutes=minutes)


# --------------------------------------------------------------------------------------------
# Work dates
# --------------------------------------------------------------------------------------------

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
    squashed = _squash(text)
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
    if parsed > today:
        return ParseProblem("date_in_future", {"date": parsed, "today": today})
    earliest = today - timedelta(days=window_days)
    if parsed < earliest:
        return ParseProblem(
            "date_too_old", {"date": parsed, "earliest": earliest, "window_days": window_days}
        )
    return parsed


def is_late(work_date: date, today: date) -> bool:
    """Work logged for an earlier day (shown to the supervisor as a late entry)."""
    return work_date < today
