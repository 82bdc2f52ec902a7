"""Whom the daily reminder may go to: one SQL query per time zone (``scheduler.reminders``
decides who is due and writes the reminders to the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, select

from models.db import Database
from models.schedule import ReminderPreference, UnitSchedule
from models.tables import Activity, Employee, Leave, TelegramLink, TelegramUser, Unit


@dataclass(frozen=True)
class Candidate:
    employee_id: int
    telegram_id: int
    name: str
    language: str | None
    own_time: str | None
    unit_times: str | None  # the unit's own reminder times (``sigap units schedule``)


async def unit_timezones(db: Database) -> list[str]:
    """The time zones the units are in (each one has its own working day and clock)."""
    async with db.read() as session:
        return list((await session.execute(select(Unit.timezone).distinct())).scalars())


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
