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
from sqlmodel import col

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
from models.types import stored_id


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
    return case(*((col(Activity.work_date) == day, 1 << index) for index, day in enumerate(days)))


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
            col(Employee.id),
            col(Employee.name),
            col(Employee.supervisor_id),
            col(TelegramUser.blocked_at),
            col(Employee.created_at),
            col(TelegramLink.linked_at),
        )
        .outerjoin(TelegramLink, col(TelegramLink.employee_id) == Employee.id)
        .outerjoin(TelegramUser, col(TelegramUser.id) == TelegramLink.telegram_user_id)
        .where(col(Employee.active), col(Employee.supervisor_id).is_not(None))
        .order_by(col(Employee.name))
    )
    in_scope = col(Employee.supervisor_id).is_not(None)
    if supervisor_ids is not None:
        in_scope = col(Employee.supervisor_id).in_(supervisor_ids)
        reports_stmt = reports_stmt.where(in_scope)
    all_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    activity_stmt = _activity_figures(weeks, in_scope, all_days)
    leave_stmt = (
        select(col(Leave.employee_id), col(Leave.start), col(Leave.end), col(Leave.kind))
        .join(Employee, col(Employee.id) == Leave.employee_id)
        .where(
            in_scope,
            col(Employee.active),
            col(Leave.cancelled_at).is_(None),
            col(Leave.start) <= last,
            col(Leave.end) >= first,
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
    for report_id, name, supervisor_id, blocked_at, added_at, linked_at in reports:
        employee_id, boss = stored_id(report_id), stored_id(supervisor_id)
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
            (col(Activity.work_date).between(start, end), index)
            for index, (start, end) in enumerate(weeks)
        )
    )
    kept = col(Activity.status) != "rejected"  # rejected entries count for nothing
    return (
        select(
            col(Activity.employee_id),
            period,
            func.sum(case((col(Activity.status) == "approved", 1), else_=0)),
            func.sum(case((col(Activity.status) == "submitted", 1), else_=0)),
            func.sum(case((col(Activity.status) == "revision_requested", 1), else_=0)),
            func.sum(case((kept, 1), else_=0)),
            func.coalesce(func.sum(case((kept, col(Activity.minutes)), else_=0)), 0),
            func.sum(case((kept & col(Activity.late), 1), else_=0)),
            func.coalesce(func.sum(distinct(case((kept, _day_bits(all_days)), else_=0))), 0),
        )
        .join(Employee, col(Employee.id) == Activity.employee_id)
        .where(
            in_scope,
            col(Employee.active),
            col(Activity.work_date) >= first,
            col(Activity.work_date) <= last,
            col(Activity.deleted_at).is_(None),
        )
        .group_by(col(Activity.employee_id), period)
    )


def _add_figures(
    people: list[dict[int, PersonWeek]], groups: Sequence[Any], all_days: Sequence[date]
) -> None:
    """The activity figures added to each person's week, and what follows from the days."""
    for employee_id, index, approved, waiting, revision, entries, minutes, late, bits in groups:
        found = people[index].get(employee_id) if index is not None else None
        if found is None:
            continue
        person = found
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
        select(col(Employee.id), col(Unit.id), col(Unit.name))
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .where(col(Employee.id).in_(supervisor_ids))
    )
    async with db.read() as session:
        return {
            stored_id(boss): (stored_id(unit_id), name)
            for boss, unit_id, name in (await session.execute(stmt)).all()
        }


async def complaint_weeks(
    db: Database, unit_ids: Sequence[int], *, since: datetime, until: datetime, today: date
) -> dict[int, ComplaintWeek]:
    """The complaint figures of the units among ``unit_ids`` that handle complaints (have a
    desk or a category routed to them). A handful of units: plain queries per unit."""
    handling_stmt = select(col(Unit.id)).where(
        col(Unit.id).in_(unit_ids),
        col(Unit.id).in_(select(col(ComplaintDesk.unit_id)))
        | col(Unit.id).in_(
            select(col(ComplaintCategory.unit_id)).where(col(ComplaintCategory.active))
        ),
    )

    def within(column: Any) -> Any:
        return func.sum(case(((column >= since) & (column < until), 1), else_=0))

    result: dict[int, ComplaintWeek] = {}
    async with db.read() as session:
        for unit_id in map(stored_id, (await session.execute(handling_stmt)).scalars().all()):
            mine = (col(Complaint.unit_id) == unit_id) & col(Complaint.purged_at).is_(None)
            received, resolved, late = (
                await session.execute(
                    select(
                        within(col(Complaint.created_at)),
                        within(col(Complaint.resolved_at)),
                        func.sum(case((overdue(today), 1), else_=0)),
                    ).where(mine)
                )
            ).one()
            verified = (
                await session.execute(
                    select(col(Complaint.created_at), col(Complaint.verified_at)).where(
                        mine,
                        col(Complaint.verified_at) >= since,
                        col(Complaint.verified_at) < until,
                    )
                )
            ).all()
            result[unit_id] = ComplaintWeek(
                received=int(received or 0),
                resolved=int(resolved or 0),
                overdue=int(late or 0),
                hours_to_verification=[
                    (done - filed).total_seconds() / 3600
                    for filed, done in verified
                    if done is not None  # always: the query keeps verified ones
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
        select(col(SurveyResponse.unit_id))
        .where(
            col(SurveyResponse.unit_id).in_(unit_ids),
            col(SurveyResponse.submitted_on) >= quarter_start,
            col(SurveyResponse.submitted_on) <= end,
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
        select(
            col(Employee.id),
            col(Employee.name),
            col(TelegramLink.telegram_user_id),
            col(TelegramUser.language),
        )
        .join(TelegramLink, col(TelegramLink.employee_id) == Employee.id)
        .outerjoin(TelegramUser, col(TelegramUser.id) == TelegramLink.telegram_user_id)
        .where(
            col(Employee.id).in_(ids), col(Employee.active), col(TelegramUser.blocked_at).is_(None)
        )
    )
    async with db.read() as session:
        return {
            stored_id(employee_id): Recipient(stored_id(employee_id), name, telegram_id, language)
            for employee_id, name, telegram_id, language in (await session.execute(stmt)).all()
        }


async def supervisor_clocks(db: Database) -> dict[tuple[str, DigestMode], list[int]]:
    """Supervisors (anyone with a direct report), grouped by their unit's time zone and digest
    mode: each group gets its digest at its own local time."""
    stmt = (
        select(col(Employee.id), col(Unit.timezone), col(UnitSchedule.digest_mode))
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .outerjoin(UnitSchedule, col(UnitSchedule.unit_id) == Unit.id)
        .where(
            col(Employee.active),
            col(Employee.id).in_(select(col(Employee.supervisor_id)).where(col(Employee.active))),
        )
    )
    groups: dict[tuple[str, DigestMode], list[int]] = defaultdict(list)
    async with db.read() as session:
        for employee_id, zone, mode in (await session.execute(stmt)).all():
            groups[(zone, DigestMode(mode or DigestMode.MONDAY))].append(stored_id(employee_id))
    return dict(groups)


async def waiting_entries(db: Database, submitted_before: datetime) -> dict[int, tuple[int, date]]:
    """Supervisor → (entries of their reports waiting since before ``submitted_before``, the
    oldest work date among them)."""
    stmt = (
        select(col(Employee.supervisor_id), func.count(), func.min(col(Activity.work_date)))
        .join(Employee, col(Employee.id) == Activity.employee_id)
        .where(
            col(Employee.supervisor_id).is_not(None),
            col(Activity.status) == "submitted",
            col(Activity.deleted_at).is_(None),
            col(Activity.created_at) < submitted_before,
        )
        .group_by(col(Employee.supervisor_id))
    )
    async with db.read() as session:
        return {
            stored_id(boss): (int(n), oldest)
            for boss, n, oldest in (await session.execute(stmt)).all()
        }
