"""Showing times to people: stored in UTC, shown in the unit's zone with Indonesian (or English)
day and month names, via Babel's CLDR data rather than hand-made name tables."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime

# WIB/WITA/WIT are what people in Indonesia call their zones; CLDR has no short names for them.
_ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_abbreviation(zone: ZoneInfo) -> str:
    return _ZONE_ABBREVIATIONS.get(zone.key, zone.key)


def format_date(day: date, language: str, *, weekday: bool = True) -> str:
    """``Selasa, 24 November 2026`` / ``Tuesday, 24 November 2026``."""
    pattern = "EEEE, d MMMM y" if weekday else "d MMMM y"
    return _babel_date(day, pattern, locale=language)


def format_datetime(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """``Selasa, 24 November 2026 09.00 WIB`` (Indonesian writes hours with a dot)."""
    local = moment.astimezone(zone)
    pattern = "EEEE, d MMMM y HH.mm" if language == "id" else "EEEE, d MMMM y HH:mm"
    return (
        f"{_babel_datetime(local, pattern, tzinfo=zone, locale=language)} {zone_abbreviation(zone)}"
    )
