"""Showing values to people: the one place that turns names, numbers, durations, periods,
dates and lists into the words of a message, in Bahasa Indonesia or English.

Every message, report and chart takes its values through here, so the same quantity reads the
same everywhere ("2 jam 30 menit", never "2.5 jam" beside it), numbers carry the language's
decimal comma, and periods and dates read as people say them ("Triwulan IV 2026", "Selasa,
24 November 2026 09.00 WIB"). Stored values stay UTC, minutes and codes; this module only shows
them. Babel's CLDR data supplies day and month names, decimal signs and list words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.lists import format_list
from babel.numbers import format_decimal

from texts import LANGUAGES, texts

# WIB/WITA/WIT are what people in Indonesia call their zones; CLDR has no short names for them.
_ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_QUARTER_CODE = re.compile(r"(\d{4})Q([1-4])")


def _language(language: str) -> str:
    return language if language in LANGUAGES else LANGUAGES[0]


# --- names ---------------------------------------------------------------------------------


def person_name(name: str) -> str:
    """A name as the roster holds it, spaces tidied: ``Nurhayati Harahap, S.E.`` keeps its
    degree's final period; a sentence that ends right after it must not add another (the
    catalogues' ``Texts`` takes care of that)."""
    return " ".join(name.split())


# --- numbers -------------------------------------------------------------------------------


def number(value: float | int | Decimal, language: str, decimals: int = 1) -> str:
    """``2,5`` in Indonesian, ``2.5`` in English; whole numbers without decimals; thousands
    grouped (``1.234``)."""
    if type(value) is int and 0 <= value < 1000:
        # What the pattern gives in every language here (no grouping, no decimals), without
        # Babel's parsing of it: the hours of every duration shown (bench/paths.py).
        return str(value)
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_language(language))


def fixed(value: float | int | Decimal, language: str, decimals: int = 2) -> str:
    """Always ``decimals`` places (an IKM of ``88,30``)."""
    pattern = "0." + "0" * decimals if decimals > 0 else "0"
    return format_decimal(value, format=pattern, locale=_language(language))


def signed(value: float | int, language: str, decimals: int = 1) -> str:
    """A change: ``+3``, ``−1,5``, ``±0``."""
    if round(value, decimals) == 0:
        return "±0"
    shown = number(abs(value), language, decimals)
    return f"+{shown}" if value > 0 else f"−{shown}"


# --- durations -----------------------------------------------------------------------------


def duration(minutes: int, language: str) -> str:
    """``2 jam 30 menit``, ``45 menit``, ``3 jam`` (``2 h 30 min`` in English)."""
    tr = texts(language)
    hours, rest = divmod(max(0, int(minutes)), 60)
    if hours and rest:
        return tr.plain("format.hours_minutes", hours=number(hours, language), minutes=rest)
    if hours:
        return tr.plain("format.hours", hours=number(hours, language))
    return tr.plain("format.minutes", minutes=rest)


def duration_of_hours(hours: float, language: str) -> str:
    """A duration measured in hours (a median), shown like every other duration; under a
    minute says so rather than "0 menit"."""
    minutes = round(hours * 60)
    if minutes == 0 and hours > 0:
        return texts(language).plain("format.under_a_minute")
    return duration(minutes, language)


def signed_duration(minutes: int, language: str) -> str:
    """A change in time worked: ``+1 jam 30 menit``, ``−45 menit``, ``±0``."""
    if minutes == 0:
        return "±0"
    return ("+" if minutes > 0 else "−") + duration(abs(minutes), language)


# --- periods and dates ---------------------------------------------------------------------


def quarter(year: int, number_: int, language: str) -> str:
    """``Triwulan IV 2026`` / ``Quarter IV 2026``."""
    return texts(language).plain("format.quarter", roman=ROMAN[number_], year=year)


def period(code: str, language: str) -> str:
    """A stored period code (``2026Q4``) as people say it; anything else as it is."""
    match = _QUARTER_CODE.fullmatch(code)
    if match is None:
        return code
    return quarter(int(match[1]), int(match[2]), language)


def zone_abbreviation(zone: ZoneInfo) -> str:
    return _ZONE_ABBREVIATIONS.get(zone.key, zone.key)


def format_date(day: date, language: str, *, weekday: bool = True) -> str:
    """``Selasa, 24 November 2026`` / ``Tuesday, 24 November 2026``."""
    pattern = "EEEE, d MMMM y" if weekday else "d MMMM y"
    return _babel_date(day, pattern, locale=_language(language))


def short_day(day: date, language: str) -> str:
    """``Sel 24/11`` / ``Tue 24/11``: a day on a button or in a week's list."""
    return _babel_date(day, "EEE d/M", locale=_language(language))


def short_date(day: date, language: str) -> str:
    """``24/11``."""
    return _babel_date(day, "d/M", locale=_language(language))


def month(day: date, language: str) -> str:
    """``November 2026``."""
    return _babel_date(day, "MMMM y", locale=_language(language))


def date_range(start: date, end: date, language: str) -> str:
    """``14 – 20 Desember 2026``, or with both months or years where they differ."""
    if start == end:
        return format_date(start, language, weekday=False)
    if (start.year, start.month) == (end.year, end.month):
        head = str(start.day)
    elif start.year == end.year:
        head = _babel_date(start, "d MMMM", locale=_language(language))
    else:
        head = format_date(start, language, weekday=False)
    return f"{head} – {format_date(end, language, weekday=False)}"


def format_datetime(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """``Selasa, 24 November 2026 09.00 WIB`` (Indonesian writes hours with a dot)."""
    local = moment.astimezone(zone)
    language = _language(language)
    pattern = "EEEE, d MMMM y HH.mm" if language == "id" else "EEEE, d MMMM y HH:mm"
    shown = _babel_datetime(local, pattern, tzinfo=zone, locale=language)
    return f"{shown} {zone_abbreviation(zone)}"


# --- lists ---------------------------------------------------------------------------------


def listing(items: Iterable[str], language: str) -> str:
    """``atasan, penangan aduan, dan admin`` / ``supervisor, complaint handler and admin``."""
    values = [item for item in items if item]
    if not values:
        return ""
    return format_list(values, locale=_language(language))
