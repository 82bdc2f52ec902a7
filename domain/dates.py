"""Reading times and time zones as people and operators write them. Showing dates and times
to people is ``texts.format``'s."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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
