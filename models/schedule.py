"""Tables of the scheduler: which job ran for which period, and each employee's reminder choice.

Kept apart from ``models.tables`` because they belong to the scheduler alone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from models.db import Database
from models.types import UTCDateTime, utcnow


class JobRun(SQLModel, table=True):
    """One run of a scheduled job for one period (``2026-W48``, ``2026-11-24``...). The unique
    key is what makes a job run once per period, across restarts and processes."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_run_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    period: str = Field(max_length=40)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    detail: str = Field(default="", max_length=200)


class ReminderPreference(SQLModel, table=True):
    """/pengingat: an employee's own reminder time, or a snooze for one day."""

    __tablename__ = "reminder_preference"

    employee_id: int = Field(
        sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")], primary_key=True
    )
    reminder_time: str | None = Field(default=None, max_length=5)  # "HH:MM", local time
    snoozed_on: date | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


async def _preference(session: AsyncSession, employee_id: int) -> ReminderPreference:
    preference = await session.get(ReminderPreference, employee_id)
    if preference is None:
        preference = ReminderPreference(employee_id=employee_id)
        session.add(preference)
    return preference


async def snooze_today(db: Database, employee_id: int, today: date, now: datetime) -> None:
    async with db.write() as session:
        preference = await _preference(session, employee_id)
        preference.snoozed_on, preference.updated_at = today, now


async def set_reminder_time(
    db: Database, employee_id: int, value: str | None, now: datetime
) -> None:
    async with db.write() as session:
        preference = await _preference(session, employee_id)
        preference.reminder_time, preference.updated_at = value, now


async def reminder_time(db: Database, employee_id: int) -> str | None:
    async with db.read() as session:
        preference = await session.get(ReminderPreference, employee_id)
    return preference.reminder_time if preference else None
