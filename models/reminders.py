"""Whom the daily reminder may go to: one SQL query per time zone (``scheduler.reminders``
decides who is due and writes the reminders to the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, select
from sqlmodel import col

from models.db import Database
from models.schedule import ReminderPreference, UnitSchedule
from models.tables import Activity, Employee, Leave, TelegramLink, TelegramUser, Unit
from models.types import stored_id


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
        return list((await session.execute(select(col(Unit.timezone)).distinct())).scalars())


async def candidates(db: Database, timezone: str, today: date) -> list[Candidate]:
    """Linked, active, reachable employees of units in ``timezone`` with no activity and no
    leave today, who did not snooze today."""
    logged = exists().where(
        col(Activity.employee_id) == Employee.id,
        col(Activity.work_date) == today,
        col(Activity.deleted_at).is_(None),
    )
    on_leave = exists().where(
        col(Leave.employee_id) == Employee.id,
        col(Leave.cancelled_at).is_(None),
        col(Leave.start) <= today,
        col(Leave.end) >= today,
    )
    stmt = (
        select(
            col(Employee.id),
            col(TelegramLink.telegram_user_id),
            col(Employee.name),
            col(TelegramUser.language),
            col(ReminderPreference.reminder_time),
            col(UnitSchedule.reminder_times),
        )
        .join(TelegramLink, col(TelegramLink.employee_id) == Employee.id)
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .outerjoin(TelegramUser, col(TelegramUser.id) == TelegramLink.telegram_user_id)
        .outerjoin(ReminderPreference, col(ReminderPreference.employee_id) == Employee.id)
        .outerjoin(UnitSchedule, col(UnitSchedule.unit_id) == Unit.id)
        .where(
            col(Employee.active),
            col(Unit.timezone) == timezone,
            ~logged,
            ~on_leave,
            col(TelegramUser.blocked_at).is_(None),
            and_(
                col(ReminderPreference.snoozed_on).is_(None)
                | (col(ReminderPreference.snoozed_on) != today)
            ),
        )
        .order_by(col(Employee.id))
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return [
        Candidate(stored_id(employee_id), telegram_id, name, language, own, unit_times)
        for employee_id, telegram_id, name, language, own, unit_times in rows
    ]
