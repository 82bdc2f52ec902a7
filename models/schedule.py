"""Tables of the scheduler: which job ran for which period, and each employee's reminder choice.

Kept apart from ``models.tables`` because they belong to the scheduler alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import ForeignKey, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from models import audit
from models.db import Database, insert_once
from models.tables import Unit
from models.types import UTCDateTime, stored_id, utcnow


class Unset(Enum):
    """ "Not given", where None is a meaningful value (back to the default)."""

    UNSET = "unset"


UNSET = Unset.UNSET


class JobRun(SQLModel, table=True):
    """One run of a scheduled job for one period (``2026-W48``, ``2026-11-24``...). The unique
    key is what makes a job run once per period, across restarts and processes."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_run_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    period: str = Field(max_length=80)
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


class UnitSchedule(SQLModel, table=True):
    """A unit's own schedule where it differs from the defaults (``sigap units schedule``):
    its reminder times, and whether its supervisors get the weekly digest on Monday morning
    for the week before or on Friday afternoon for the week that is ending. The unit's time
    zone is ``Unit.timezone``."""

    __tablename__ = "unit_schedule"

    unit_id: int = Field(
        sa_column_args=[ForeignKey("unit.id", ondelete="CASCADE")], primary_key=True
    )
    reminder_times: str | None = Field(default=None, max_length=40)  # "13:30,15:00", local
    digest_mode: str = Field(default="monday", max_length=10)  # domain.digest.DigestMode
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


async def claim_run(
    session: AsyncSession, job: str, period: str, now: datetime, detail: str = ""
) -> bool:
    """Record that ``job`` runs for ``period``; False if it already did (here or in another
    process that got there first): the loser writes nothing instead of failing its tick on a
    unique violation."""
    values = {"job": job, "period": period, "started_at": now, "detail": detail[:200]}
    return await insert_once(session, JobRun, values, key=["job", "period"])


async def has_run(db: Database, job: str, period: str) -> bool:
    stmt = select(col(JobRun.id)).where(col(JobRun.job) == job, col(JobRun.period) == period)
    async with db.read() as session:
        return (await session.execute(stmt)).first() is not None


@dataclass(frozen=True)
class UnitTiming:
    """What the jobs need to know about one unit's clock."""

    unit_id: int
    code: str
    name: str
    timezone: str
    reminder_times: str | None
    digest_mode: str


async def unit_timings(db: Database) -> list[UnitTiming]:
    stmt = (
        select(
            col(Unit.id),
            col(Unit.code),
            col(Unit.name),
            col(Unit.timezone),
            col(UnitSchedule.reminder_times),
            func.coalesce(col(UnitSchedule.digest_mode), "monday"),
        )
        .outerjoin(UnitSchedule, col(UnitSchedule.unit_id) == Unit.id)
        .order_by(col(Unit.code))
    )
    async with db.read() as session:
        return [
            UnitTiming(stored_id(unit_id), code, name, timezone, times, mode)
            for unit_id, code, name, timezone, times, mode in await session.execute(stmt)
        ]


async def set_unit_schedule(
    db: Database,
    code: str,
    *,
    now: datetime,
    actor: str,
    reminder_times: str | Unset | None = UNSET,
    digest_mode: str | None = None,
    timezone: str | None = None,
) -> UnitTiming:
    """Change a unit's schedule; ``reminder_times=None`` goes back to the default times.
    Raises LookupError for an unknown unit code. Audited."""
    async with db.write() as session:
        unit = (
            await session.execute(select(Unit).where(col(Unit.code) == code))
        ).scalar_one_or_none()
        if unit is None or unit.id is None:
            raise LookupError(code)
        schedule = await session.get(UnitSchedule, unit.id)
        if schedule is None:
            schedule = UnitSchedule(unit_id=unit.id)
            session.add(schedule)
        before = {
            "reminder_times": schedule.reminder_times,
            "digest_mode": schedule.digest_mode,
            "timezone": unit.timezone,
        }
        if not isinstance(reminder_times, Unset):
            schedule.reminder_times = reminder_times
        if digest_mode is not None:
            schedule.digest_mode = digest_mode
        if timezone is not None:
            unit.timezone, unit.updated_at = timezone, now
        schedule.updated_at = now
        after = {
            "reminder_times": schedule.reminder_times,
            "digest_mode": schedule.digest_mode,
            "timezone": unit.timezone,
        }
        audit.record(
            session, actor, "unit.schedule", f"unit:{unit.code}", at=now, before=before, after=after
        )
        return UnitTiming(
            unit.id,
            unit.code,
            unit.name,
            unit.timezone,
            schedule.reminder_times,
            schedule.digest_mode,
        )
