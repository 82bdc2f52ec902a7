"""Numbers in words of the catalogues, shared by every layer that shows them."""

from __future__ import annotations

from texts import Texts


def format_minutes(minutes: int, tr: Texts) -> str:
    """``90`` → "1 jam 30 menit" (or "1 hour 30 minutes")."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return tr.plain("log.hours_minutes", hours=hours, minutes=rest)
    if hours:
        return tr.plain("log.hours", hours=hours)
    return tr.plain("log.minutes", minutes=rest)
