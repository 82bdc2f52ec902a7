"""The daily reminder: on the unit's working days, employees who have logged nothing today get
a polite reminder at 14:00 and a second one at 15:30 (or at their unit's times, ``sigap units
schedule``, or at their own time from /pengingat), in their unit's time zone.

Deciding is one SQL query; what is decided is written to the outbox under a key per employee,
day and reminder number, so a tick that runs twice, or two processes ticking at once, enqueue
each reminder once. After downtime only the latest reminder that is due goes out (two at once
would be noise), and nothing goes out after ``quiet_from`` in the evening.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select

from domain.calendar import WorkCalendar
from domain.dates import format_date, parse_times
from models import daylog
from models.db import Database
from models.outbox import enqueue, text_payload
from models.schedule import ReminderPreference, UnitSchedule
from models.tables import Activity, Employee, Leave, TelegramLink, TelegramUser, Unit
from services.buttons import routine_rows
from texts import texts

SECOND_AFTER = timedelta(minutes=90)  # an own reminder time gets its second one 90 min later
ROUTINE_DAYS = 10  # a routine: saved on at least three of the last ten working days


@dataclass(frozen=True)
class Candidate:
    employee_id: int
    telegram_id: int
    name: str
    language: str | None
    own_time: str | None
    unit_times: str | None  # the unit's own reminder times (``sigap units schedule``)


async def candidates(db: Database, timezone: str, today: date) -> list[Candidate]:
    """Linked, active, reachable employees of units in ``timezone`` with no activity and no
    leave today, who did not snooze today."""
    logged = exists().where(
        Activity.employee_id == Employee.id,
        Activity.work_date == today,
        Activity.deleted_at.is_(None),
    )
    on_leave = exists().where(
        Leave.employee_id == Employee.id,
        Leave.cancelled_at.is_(None),
        Leave.start <= today,
        Leave.end >= today,
    )
    stmt = (
        select(
            Employee.id,
            TelegramLink.telegram_user_id,
            Employee.name,
            TelegramUser.language,
            ReminderPreference.reminder_time,
            UnitSchedule.reminder_times,
        )
        .join(TelegramLink, TelegramLink.employee_id == Employee.id)
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(TelegramUser, TelegramUser.id == TelegramLink.telegram_user_id)
        .outerjoin(ReminderPreference, ReminderPreference.employee_id == Employee.id)
        .outerjoin(UnitSchedule, UnitSchedule.unit_id == Unit.id)
        .where(
            Employee.active,
            Unit.timezone == timezone,
            ~logged,
            ~on_leave,
            TelegramUser.blocked_at.is_(None),
            and_(
                ReminderPreference.snoozed_on.is_(None) | (ReminderPreference.snoozed_on != today)
            ),
        )
        .order_by(Employee.id)
    )
    async with db.read() as session:
        return [Candidate(*row) for row in (await session.execute(stmt)).all()]


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
    async with db.read() as session:
        zones = list((await session.execute(select(Unit.timezone).distinct())).scalars())
    written = 0
    for zone in zones:
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
        # What a tap can log at once: routines of the last ten working days, yesterday's day.
        recent = calendar.last_working_days(today, ROUTINE_DAYS)
        ids = [person.employee_id for person, _ in due]
        routines = await daylog.routines(db, ids, recent)
        logged = await daylog.logged_on(db, ids, recent[0]) if recent else set()
        async with db.write() as session:
            for person, number in due:
                tr = texts(person.language or default_language)
                key = f"reminder:{person.employee_id}:{today.isoformat()}:{number}"
                text = tr.t(
                    f"reminder.text_{min(number, 2)}",
                    name=person.name,
                    date=format_date(today, tr.language),
                )
                rows = routine_rows(
                    tr, routines.get(person.employee_id, []), person.employee_id in logged
                )
                markup = {
                    "inline_keyboard": [
                        [
                            {"text": tr.plain("reminder.button_log"), "callback_data": "rem:log"},
                            {
                                "text": tr.plain("reminder.button_snooze"),
                                "callback_data": "rem:snooze",
                            },
                        ],
                        *[[{"text": t, "callback_data": d} for t, d in row] for row in rows],
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
