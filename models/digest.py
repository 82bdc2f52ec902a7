"""The weekly digest's figures, aggregated in SQL.

GROUP BY employee, day and status: a handful of rows per person, never one per activity;
``domain.digest`` derives the rest. Read by the weekly job (``scheduler.digest``) and by
``/digest`` (``handlers.digest``); rendered by ``services.digest``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, select

from domain.calendar import Leave as DomainLeave
from domain.calendar import WorkCalendar, leave_on
from domain.digest import (
    ComplaintWeek,
    DigestMode,
    PersonWeek,
    Totals,
    totals,
)
from domain.skm import period_bounds, period_of
from models.db import Database
from models.deadlines import overdue
from models.schedule import UnitSchedule
from models.survey import SurveyResponse, SurveyWeek, survey_week_figures
from models.tables import (
    Activity,
    Complaint,
    ComplaintCategory,
    ComplaintDesk,
    Employee,
    Leave,
    TelegramLink,
    TelegramUser,
    Unit,
)


@dataclass(frozen=True)
class Recipient:
    employee_id: int
    name: str
    telegram_id: int
    language: str | None


@dataclass
class Digest:
    supervisor_id: int
    start: date
    end: date
    people: list[PersonWeek]
    previous: Totals
    # For a supervisor in a unit that handles complaints (it has a desk or categories).
    unit_name: str = ""
    complaints: ComplaintWeek | None = None
    survey: SurveyWeek | None = None  # for units whose citizens answer the SKM survey

    @property
    def totals(self) -> Totals:
        return totals(self.people)


def _day_bits(days: Sequence[date]) -> Any:
    """A CASE giving each day its own bit, so ``SUM(DISTINCT …)`` over a person's entries is
    the set of days they logged: one integer per person instead of one row per person-day."""
    return case(*((Activity.work_date == day, 1 << index) for index, day in enumerate(days)))


async def team_weeks(
    db: Database,
    calendar: WorkCalendar,
    weeks: Sequence[tuple[date, date]],
    supervisor_ids: Collection[int] | None = None,
) -> list[dict[int, list[PersonWeek]]]:
    """For each period in ``weeks``: each supervisor's direct reports' figures, by supervisor.

    One scan of the activities for all periods, grouped by person and period (two rows per
    person for a digest), with the days logged as a bit set: at 10,000 employees this is
    20,000 rows of integers, where grouping by day gave 100,000 rows with dates to parse.
    """
    first = min(start for start, _ in weeks)
    last = max(end for _, end in weeks)
    reports_stmt = (
        select(
            Employee.id,
            Employee.name,
            Employee.supervisor_id,
            TelegramUser.blocked_at,
            Employee.created_at,
            TelegramLink.linked_at,
        )
        .outerjoin(TelegramLink, TelegramLink.employee_id == Employee.id)
        .outerjoin(TelegramUser, TelegramUser.id == TelegramLink.telegram_user_id)
        .where(Employee.active, Employee.supervisor_id.is_not(None))
        .order_by(Employee.name)
    )
    in_scope = Employee.supervisor_id.is_not(None)
    if supervisor_ids is not None:
        in_scope = Employee.supervisor_id.in_(supervisor_ids)
        reports_stmt = reports_stmt.where(in_scope)
    all_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    activity_stmt = _activity_figures(weeks, in_scope, all_days)
    leave_stmt = (
        select(Leave.employee_id, Leave.start, Leave.end, Leave.kind)
        .join(Employee, Employee.id == Leave.employee_id)
        .where(
            in_scope,
            Employee.active,
            Leave.cancelled_at.is_(None),
            Leave.start <= last,
            Leave.end >= first,
        )
    )
    async with db.read() as session:
        # Plain column rows: the Core connection skips the ORM's per-row result processing.
        connection = await session.connection()
        reports = (await connection.execute(reports_stmt)).all()
        groups = (await connection.execute(activity_stmt)).all()
        leave_rows = (await connection.execute(leave_stmt)).all()

    leaves: dict[int, list[DomainLeave]] = defaultdict(list)
    for employee_id, leave_start, leave_end, kind in leave_rows:
        leaves[employee_id].append(DomainLeave(leave_start, leave_end, kind))
    working = [calendar.working_days(start, end) for start, end in weeks]
    people: list[dict[int, PersonWeek]] = [{} for _ in weeks]
    results: list[dict[int, list[PersonWeek]]] = [defaultdict(list) for _ in weeks]
    for employee_id, name, boss, blocked_at, added_at, linked_at in reports:
        if employee_id in people[0]:  # one link per employee; be safe anyway
            continue
        on_leave = leaves.get(employee_id)
        for index, days in enumerate(working):
            # Only those with leave need a look at each day; the rest have the unit's days.
            expected = [d for d in days if leave_on(d, on_leave) is None] if on_leave else days
            person = PersonWeek(
                employee_id=employee_id,
                name=name,
                expected_days=len(expected),
                leave_days=len(days) - len(expected),
                unreachable=blocked_at is not None,
                expected_on=expected,
                counted_from=max(added_at, linked_at or added_at).date(),
            )
            people[index][employee_id] = person
            results[index][boss].append(person)
    _add_figures(people, groups, all_days)
    return [dict(result) for result in results]


def _activity_figures(
    weeks: Sequence[tuple[date, date]], in_scope: Any, all_days: Sequence[date]
) -> Any:
    """Per person and period: entries by status, minutes, late entries and the days logged
    (as a bit set), rejected entries left out."""
    first, last = all_days[0], all_days[-1]
    period = case(
        *(
            (Activity.work_date.between(start, end), index)
            for index, (start, end) in enumerate(weeks)
        )
    )
    kept = Activity.status != "rejected"  # rejected entries count for nothing
    return (
        select(
            Activity.employee_id,
            period,
            func.sum(case((Activity.status == "approved", 1), else_=0)),
            func.sum(case((Activity.status == "submitted", 1), else_=0)),
            func.sum(case((Activity.status == "revision_requested", 1), else_=0)),
            func.sum(case((kept, 1), else_=0)),
            func.coalesce(func.sum(case((kept, Activity.minutes), else_=0)), 0),
            func.sum(case((kept & Activity.late, 1), else_=0)),
            func.coalesce(func.sum(distinct(case((kept, _day_bits(all_days)), else_=0))), 0),
        )
        .join(Employee, Employee.id == Activity.employee_id)
        .where(
            in_scope,
            Employee.active,
            Activity.work_date >= first,
            Activity.work_date <= last,
            Activity.deleted_at.is_(None),
        )
        .group_by(Activity.employee_id, period)
    )


def _add_figures(
    people: list[dict[int, PersonWeek]], groups: Sequence[Any], all_days: Sequence[date]
) -> None:
    """The activity figures added to each person's week, and what follows from the days."""
    for employee_id, index, approved, waiting, revision, entries, minutes, late, bits in groups:
        person = people[index].get(employee_id) if index is not None else None
        if person is None:
            continue
        person.approved += int(approved)
        person.waiting += int(waiting)
        person.revision += int(revision)
        person.entries += int(entries)
        person.minutes += int(minutes)
        person.late += int(late)
        person.logged_on = [day for n, day in enumerate(all_days) if int(bits) >> n & 1]
    for by_person in people:
        for person in by_person.values():
            person.days_with_entries = len(person.logged_on)
            person.silent_days = person.silent_over(person.expected_on, person.logged_on)


async def build_digests(
    db: Database,
    calendar: WorkCalendar,
    start: date,
    end: date,
    supervisor_ids: Collection[int] | None = None,
    *,
    zone: ZoneInfo,
    today: date | None = None,
) -> list[Digest]:
    """Digests for the period ``start``..``end`` (a week), with the week before it.

    ``today`` is the day the complaints' "overdue" figure is counted on (default: the day
    after the period).
    """
    before = (start - timedelta(days=7), end - timedelta(days=7))
    current, previous = await team_weeks(db, calendar, [(start, end), before], supervisor_ids)
    digests = []
    for boss, people in sorted(current.items()):
        earlier = {p.employee_id: p for p in previous.get(boss, [])}
        for person in people:
            # A silence that began the week before counts in full (Thursday, Friday, Monday
            # are three working days without an entry, whatever the week boundary).
            if person.silent_days == person.expected_days and person.employee_id in earlier:
                last = earlier[person.employee_id]
                person.silent_days = person.silent_over(
                    last.expected_on + person.expected_on, last.logged_on + person.logged_on
                )
        digests.append(Digest(boss, start, end, people, totals(list(earlier.values()))))
    units = await _supervisor_units(db, [d.supervisor_id for d in digests])
    unit_ids = sorted({unit_id for unit_id, _ in units.values()})
    complaints = await complaint_weeks(
        db,
        unit_ids,
        since=datetime.combine(start, time(0), tzinfo=zone),
        until=datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
        today=today or end + timedelta(days=1),
    )
    surveys = await survey_weeks(db, unit_ids, start, end)
    for digest in digests:
        unit_id, digest.unit_name = units.get(digest.supervisor_id, (0, ""))
        digest.complaints = complaints.get(unit_id)
        digest.survey = surveys.get(unit_id)
    return digests


async def _supervisor_units(
    db: Database, supervisor_ids: Sequence[int]
) -> dict[int, tuple[int, str]]:
    stmt = (
        select(Employee.id, Unit.id, Unit.name)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Employee.id.in_(supervisor_ids))
    )
    async with db.read() as session:
        return {
            boss: (unit_id, name) for boss, unit_id, name in (await session.execute(stmt)).all()
        }


async def complaint_weeks(
    db: Database, unit_ids: Sequence[int], *, since: datetime, until: datetime, today: date
) -> dict[int, ComplaintWeek]:
    """The complaint figures of the units among ``unit_ids`` that handle complaints (have a
    desk or a category routed to them). A handful of units: plain queries per unit."""
    handling_stmt = select(Unit.id).where(
        Unit.id.in_(unit_ids),
        Unit.id.in_(select(ComplaintDesk.unit_id))
        | Unit.id.in_(select(ComplaintCategory.unit_id).where(ComplaintCategory.active)),
    )

    def within(column: Any) -> Any:
        return func.sum(case(((column >= since) & (column < until), 1), else_=0))

    result: dict[int, ComplaintWeek] = {}
    async with db.read() as session:
        for unit_id in (await session.execute(handling_stmt)).scalars().all():
            mine = (Complaint.unit_id == unit_id) & Complaint.purged_at.is_(None)
            received, resolved, late = (
                await session.execute(
                    select(
                        within(Complaint.created_at),
                        within(Complaint.resolved_at),
                        func.sum(case((overdue(today), 1), else_=0)),
                    ).where(mine)
                )
            ).one()
            verified = (
                await session.execute(
                    select(Complaint.created_at, Complaint.verified_at).where(
                        mine, Complaint.verified_at >= since, Complaint.verified_at < until
                    )
                )
            ).all()
            result[unit_id] = ComplaintWeek(
                received=int(received or 0),
                resolved=int(resolved or 0),
                overdue=int(late or 0),
                hours_to_verification=[
                    (done - filed).total_seconds() / 3600 for filed, done in verified
                ],
            )
    return result


async def survey_weeks(
    db: Database, unit_ids: Sequence[int], start: date, end: date
) -> dict[int, SurveyWeek]:
    """The SKM figures (the week's responses, the running quarter's IKM) of the units among
    ``unit_ids`` that have survey responses this quarter; the others get no survey block."""
    quarter_start, _ = period_bounds(period_of(end))
    stmt = (
        select(SurveyResponse.unit_id)
        .where(
            SurveyResponse.unit_id.in_(unit_ids),
            SurveyResponse.submitted_on >= quarter_start,
            SurveyResponse.submitted_on <= end,
        )
        .distinct()
    )
    async with db.read() as session:
        active = (await session.execute(stmt)).scalars().all()
    return {unit_id: await survey_week_figures(db, unit_id, start, end) for unit_id in active}


async def recipients(db: Database, employee_ids: Iterable[int]) -> dict[int, Recipient]:
    """Linked, reachable employees among ``employee_ids``."""
    ids = list(employee_ids)
    if not ids:
        return {}
    stmt = (
        select(Employee.id, Employee.name, TelegramLink.telegram_user_id, TelegramUser.language)
        .join(TelegramLink, TelegramLink.employee_id == Employee.id)
        .outerjoin(TelegramUser, TelegramUser.id == TelegramLink.telegram_user_id)
        .where(Employee.id.in_(ids), Employee.active, TelegramUser.blocked_at.is_(None))
    )
    async with db.read() as session:
        return {row[0]: Recipient(*row) for row in (await session.execute(stmt)).all()}


async def supervisor_clocks(db: Database) -> dict[tuple[str, DigestMode], list[int]]:
    """Supervisors (anyone with a direct report), grouped by their unit's time zone and digest
    mode: each group gets its digest at its own local time."""
    stmt = (
        select(Employee.id, Unit.timezone, UnitSchedule.digest_mode)
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(UnitSchedule, UnitSchedule.unit_id == Unit.id)
        .where(
            Employee.active,
            Employee.id.in_(select(Employee.supervisor_id).where(Employee.active)),
        )
    )
    groups: dict[tuple[str, DigestMode], list[int]] = defaultdict(list)
    async with db.read() as session:
        for employee_id, zone, mode in (await session.execute(stmt)).all():
            groups[(zone, DigestMode(mode or DigestMode.MONDAY))].append(employee_id)
    return dict(groups)


async def waiting_entries(db: Database, submitted_before: datetime) -> dict[int, tuple[int, date]]:
    """Supervisor → (entries of their reports waiting since before ``submitted_before``, the
    oldest work date among them)."""
    stmt = (
        select(Employee.supervisor_id, func.count(), func.min(Activity.work_date))
        .join(Employee, Employee.id == Activity.employee_id)
        .where(
            Employee.supervisor_id.is_not(None),
            Activity.status == "submitted",
            Activity.deleted_at.is_(None),
            Activity.created_at < submitted_before,
        )
        .group_by(Employee.supervisor_id)
    )
    async with db.read() as session:
        return {boss: (int(n), oldest) for boss, n, oldest in (await session.execute(stmt)).all()}
