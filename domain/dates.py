"""Showing times to people: stored in UTC, shown in the unit's zone with Indonesian (or English)
day and month names, via Babel's CLDR data rather than hand-made name tables."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime

# WIB/WITA/WIT are what people in Indonesia call their zones; CLDR has no short names for them.
_ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def parse_times(text: str) -> list[time]:
    """ "14:00,15:30" (also "9:05", "13.30": how times are written in Indonesia) → sorted
    times; raises ValueError on anything else. One reader for settings, the CLI and the
    scheduler, so every place accepts the same spellings."""
    result = []
    for part in text.split(","):
        part = part.strip().replace(".", ":")
        if not part:
            continue
        hours, _, minutes = part.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
            raise ValueError(f"not a time: {part!r}")
        result.append(time(int(hours), int(minutes)))
    if not result:
        raise ValueError("no time given")
    return sorted(result)


def normalise_times(text: str) -> str:
    """``9:05, 13.30`` → ``09:05,13:30``; raises ValueError like :func:`parse_times`."""
    return ",".join(moment.strftime("%H:%M") for moment in parse_times(text))


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone this machine knows; ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (Asia/Jakarta, Asia/Makassar or Asia/Jayapura)"
        ) from None
    return name


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
