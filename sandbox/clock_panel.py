"""The page's clock panel: the sandbox time as the page shows it, and its buttons (an hour
on, to 14:00 for the reminders, to Monday 07:00 for the digests, and "run the jobs now").
The clock is saved in the data folder so that a restart never goes back before it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date

from sandbox.clock import SandboxClock, next_local_time, next_monday
from texts.format import format_date, zone_abbreviation

# The scheduler's tick: every job for that moment; what each wrote.
RunJobs = Callable[[datetime], Awaitable[dict[str, int]]]


class UnknownAction(ValueError):
    pass


class ClockPanel:
    def __init__(self, clock: SandboxClock, zone: Callable[[], ZoneInfo], run_jobs: RunJobs):
        self.clock = clock
        self.zone = zone
        self.run_jobs = run_jobs

    def json(self) -> dict[str, Any]:
        now = self.clock.now()
        zone = self.zone()
        local = now.astimezone(zone)
        at_two = next_local_time(now, time(14, 0), zone)
        monday = next_monday(now, time(7, 0), zone)
        two_label = "14:00 hari ini" if at_two.date() == local.date() else "14:00 besok"
        abbreviation = zone_abbreviation(zone)
        shown = f"{format_date(local.date(), 'id')}, {local.strftime('%H.%M')} {abbreviation}"
        return {
            "iso": now.isoformat(),
            "date": format_date(local.date(), "id"),
            "time": local.strftime("%H.%M"),
            "zone": abbreviation,
            "display": shown,
            "jump_14": two_label,
            "jump_monday": f"Senin {babel_date(monday.date(), 'd MMM', locale='id')}, 07:00",
        }

    async def press(self, action: str) -> dict[str, int] | None:
        """One button: ``hour``, ``14``, ``monday`` or ``run`` (what each job wrote)."""
        now = self.clock.now()
        if action == "hour":
            self.clock.advance(timedelta(hours=1))
        elif action == "14":
            self.clock.jump_to(next_local_time(now, time(14, 0), self.zone()))
        elif action == "monday":
            self.clock.jump_to(next_monday(now, time(7, 0), self.zone()))
        elif action == "run":
            return await self.run_jobs(self.clock.now())
        else:
            raise UnknownAction(f"unknown clock action {action!r}")
        return None


def load_clock(path: Path) -> datetime | None:
    try:
        moment = datetime.fromisoformat(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None
