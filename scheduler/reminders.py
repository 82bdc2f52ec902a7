"""The daily reminder: on the unit's working days, employees who have logged nothing today get
a polite reminder at 14:00 and a second one at 15:30 (or at their unit's times, ``sigap units
schedule``, or at their own time from /pengingat), in their unit's time zone.

Deciding is one SQL query (``models.reminders``); what is decided is written to the outbox under
a key per employee, day and reminder number, so a tick that runs twice, or two processes ticking
at once, enqueue each reminder once. After downtime only the latest reminder that is due goes
out (two at once would be noise), and nothing goes out after ``quiet_from`` in the evening.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.dates import parse_times
from models.db import Database
from models.outbox import enqueue, text_payload
from models.reminders import Candidate, candidates, unit_timezones
from services.buttons import reminder_log, reminder_snooze
from texts import texts
from texts.format import format_date

SECOND_AFTER = timedelta(minutes=90)  # an own reminder time gets its second one 90 min later


def latest_due(times: Sequence[time], now: time) -> int | None:
    """Index of the latest reminder time that has passed, or None."""
    due = [i for i, moment in enumerate(times) if moment <= now]
    return due[-1] if due else None


def own_times(own: str) -> list[time]:
    first = time.fromisoformat(own)
    second = (datetime.combine(date(2000, 1, 1), first) + SECOND_AFTER).time()
    return [first, second] if second > first else [first]


async def enqueue_reminders(
    db: Database,
    *,
    now: datetime,
    calendar: WorkCalendar,
    default_times: Sequence[time],
    quiet_from: time,
    default_language: str,
) -> int:
    """Write the reminders that are due now to the outbox; returns how many were new."""
    written = 0
    for zone in await unit_timezones(db):
        local = now.astimezone(ZoneInfo(zone))
        today = local.date()
        if not calendar.is_working_day(today) or local.time() >= quiet_from:
            continue
        people = await candidates(db, zone, today)
        due: list[tuple[Candidate, int]] = []
        for person in people:
            if person.own_time:
                times = own_times(person.own_time)
            elif person.unit_times:
                times = parse_times(person.unit_times)
            else:
                times = list(default_times)
            index = latest_due(times, local.time())
            if index is not None:
                due.append((person, index + 1))
        if not due:
            continue
        async with db.write() as session:
            for person, number in due:
                tr = texts(person.language or default_language)
                key = f"reminder:{person.employee_id}:{today.isoformat()}:{number}"
                text = tr.t(
                    f"reminder.text_{min(number, 2)}",
                    name=person.name,
                    date=format_date(today, tr.language),
                )
                markup = {
                    "inline_keyboard": [
                        [
                            {
                                "text": tr.plain("reminder.button_log"),
                                "callback_data": reminder_log(today),
                            },
                            {
                                "text": tr.plain("reminder.button_snooze"),
                                "callback_data": reminder_snooze(today),
                            },
                        ]
                    ]
                }
                if await enqueue(
                    session,
                    key,
                    person.telegram_id,
                    "reminder",
                    text_payload(text, reply_markup=markup),
                    now=now,
                ):
                    written += 1
    return written
