"""The weekly digest to supervisors and the supervisor nudge.

Figures are aggregated in SQL (GROUP BY employee, day and status: a handful of rows per person,
never one per activity); ``domain.digest`` derives the rest. The weekly job runs once per ISO week
(a ``JobRun`` for the week), Monday 07:00 local for the previous week, or within 12 hours after
that moment if the bot was down; it writes the message (split under 4096 characters), a chart
(PNG) and an XLSX per supervisor to the outbox, keyed
``digest:<supervisor>:<week>:text|chart|xlsx``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook
from sqlalchemy import case, distinct, func, select

from bot.i18n import Texts, texts
from domain.calendar import Leave as DomainLeave
from domain.calendar import WorkCalendar, leave_on
from domain.dates import format_date
from domain.digest import (
    Change,
    ComplaintWeek,
    DigestMode,
    PersonWeek,
    Totals,
    compliance_per_day,
    digest_slot,
    iso_week,
    split_message,
    totals,
    trailing_silent_days,
)
from domain.sheets import append_row
from domain.skm import period_bounds, period_of
from models.db import Database
from models.outbox import document_payload, enqueue, photo_payload, text_payload
from models.schedule import UnitSchedule, claim_run, has_run
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
from scheduler.escalations import overdue

DIGEST_TIME = time(7, 0)
NUDGE_TIME = time(16, 0)
GRACE = timedelta(hours=12)
NUDGE_AFTER = 2  # working days an entry may wait before its supervisor is nudged
DIGEST_JOB = "weekly_digest"
NUDGE_JOB = "supervisor_nudge"


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


# --- figures (SQL) -------------------------------------------------------------------------


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
        select(Employee.id, Employee.name, Employee.supervisor_id, TelegramUser.blocked_at)
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
    period = case(
        *(
            (Activity.work_date.between(start, end), index)
            for index, (start, end) in enumerate(weeks)
        )
    )
    kept = Activity.status != "rejected"  # rejected entries count for nothing
    activity_stmt = (
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
    for employee_id, name, boss, blocked_at in reports:
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
            )
            people[index][employee_id] = person
            results[index][boss].append(person)
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
            person.silent_days = trailing_silent_days(person.expected_on, person.logged_on)
    return [dict(result) for result in results]


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
                person.silent_days = trailing_silent_days(
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


# --- rendering -----------------------------------------------------------------------------


def _signed(value: float, digits: int = 0) -> str:
    return f"{value:+.{digits}f}"


def render_text(tr: Texts, digest: Digest, supervisor_name: str) -> list[str]:
    """The digest as one or more messages, each under Telegram's limit."""
    lang = tr.language
    blocks = [
        tr.t(
            "digest.title",
            start=format_date(digest.start, lang, weekday=False),
            end=format_date(digest.end, lang, weekday=False),
            name=supervisor_name,
        )
    ]
    for p in digest.people:
        lines = [
            tr.t(
                "digest.person",
                name=p.name,
                expected=p.expected_days,
                logged=p.days_with_entries,
                entries=p.entries,
                hours=f"{p.hours:g}",
                approved=p.approved,
                waiting=p.waiting,
                revision=p.revision,
                late=p.late,
                leave=p.leave_days,
            )
        ]
        if p.silent:
            lines.append(tr.t("digest.silent", days=p.silent_days))
        if p.unreachable:
            lines.append(tr.t("digest.unreachable"))
        blocks.append("\n".join(lines))
    now, before = digest.totals, digest.previous
    blocks.append(
        tr.t(
            "digest.totals",
            people=now.people,
            logged=now.days_with_entries,
            expected=now.expected_days,
            compliance=now.compliance,
            entries=now.entries,
            hours=f"{now.hours:g}",
            approved=now.approved,
            waiting=now.waiting,
            revision=now.revision,
            late=now.late,
            leave=now.leave_days,
            silent=now.silent,
        )
        + "\n"
        + tr.t(
            "digest.change",
            entries=_signed(Change(now.entries, before.entries).delta),
            hours=_signed(Change(now.hours, before.hours).delta, 1),
            compliance=_signed(Change(now.compliance, before.compliance).delta),
        )
    )
    if digest.complaints is not None:
        week = digest.complaints
        median_hours = week.median_hours
        blocks.append(
            tr.t(
                "digest.complaints",
                unit=digest.unit_name,
                received=week.received,
                resolved=week.resolved,
                overdue=week.overdue,
                median=tr.plain("digest.median_none")
                if median_hours is None
                else tr.plain("digest.median_hours", hours=f"{median_hours:g}"),
            )
        )
    if digest.survey is not None:
        blocks.append(_survey_block(tr, digest.unit_name, digest.survey))
    return split_message(blocks)


def _survey_block(tr: Texts, unit: str, week: SurveyWeek) -> str:
    result = week.quarter
    if result is None:  # responses this quarter, but none up to the digest's last day
        return tr.t("digest.survey_none", unit=unit, responses=week.responses, period=week.period)
    return tr.t(
        "digest.survey",
        unit=unit,
        responses=week.responses,
        period=week.period,
        ikm=format_decimal(result.ikm, format="0.00", locale=tr.language),
        grade=result.grade,
        label=tr.plain(f"skm.grade_{result.grade}"),
        respondents=result.respondents,
    )


def write_chart(tr: Texts, digest: Digest, path: Path) -> None:
    """Hours per person (bars) and logging compliance per working day."""
    days = sorted({d for p in digest.people for d in p.expected_on})
    compliance = compliance_per_day(digest.people, days)
    names = [p.name if len(p.name) <= 28 else p.name[:27] + "…" for p in digest.people]
    height = max(4.0, 0.35 * len(names) + 2)
    # The object API with the Agg canvas: no pyplot global state, safe beside the bot's loop.
    figure = Figure(figsize=(12, height))
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    left.barh(names, [p.hours for p in digest.people], color="#2b6cb0")
    left.invert_yaxis()
    left.set_title(tr.plain("digest.chart_hours"))
    labels = [format_date(d, tr.language, weekday=False) for d in days]
    right.bar(labels, compliance, color="#38a169")
    right.set_ylim(0, 100)
    right.set_title(tr.plain("digest.chart_compliance"))
    right.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=80)


def write_xlsx(tr: Texts, digest: Digest, path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = tr.plain("digest.sheet")
    columns = (
        "name", "expected", "logged", "entries", "hours", "approved", "waiting", "revision",
        "late", "leave", "silent", "unreachable",
    )  # fmt: skip
    append_row(sheet, [tr.plain(f"digest.col_{c}") for c in columns])
    yes = tr.plain("digest.yes")
    for p in digest.people:
        append_row(
            sheet,
            [
                p.name, p.expected_days, p.days_with_entries, p.entries, p.hours, p.approved,
                p.waiting, p.revision, p.late, p.leave_days, p.silent_days,
                yes if p.unreachable else "",
            ]
        )  # fmt: skip
    t = digest.totals
    append_row(
        sheet,
        [
            tr.plain("digest.total_row"), t.expected_days, t.days_with_entries, t.entries,
            t.hours, t.approved, t.waiting, t.revision, t.late, t.leave_days, t.silent, "",
        ]
    )  # fmt: skip
    sheet.column_dimensions["A"].width = 40
    if digest.complaints is not None:
        week = digest.complaints
        extra = workbook.create_sheet(tr.plain("digest.complaints_sheet"))
        append_row(
            extra,
            [tr.plain(f"digest.col_{c}") for c in ("received", "resolved", "overdue", "median")],
        )
        append_row(extra, [week.received, week.resolved, week.overdue, week.median_hours])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


@dataclass(frozen=True)
class Rendered:
    texts: list[str]
    chart: str  # relative to the data folder
    xlsx: str
    chart_caption: str
    xlsx_caption: str
    xlsx_name: str


def render(tr: Texts, digest: Digest, supervisor_name: str, data_dir: Path) -> Rendered:
    week = iso_week(digest.start)
    folder = f"digests/{week}"
    chart = f"{folder}/{digest.supervisor_id}-{tr.language}.png"
    xlsx = f"{folder}/{digest.supervisor_id}-{tr.language}.xlsx"
    write_chart(tr, digest, data_dir / chart)
    write_xlsx(tr, digest, data_dir / xlsx)
    lang = tr.language
    dates = {
        "start": format_date(digest.start, lang, weekday=False),
        "end": format_date(digest.end, lang, weekday=False),
    }
    return Rendered(
        render_text(tr, digest, supervisor_name),
        chart,
        xlsx,
        tr.t("digest.chart_caption", **dates),
        tr.t("digest.xlsx_caption", **dates),
        f"digest-{week}.xlsx",
    )


# --- jobs ----------------------------------------------------------------------------------


def _due(local: datetime, day: date, moment: time, zone: ZoneInfo) -> bool:
    scheduled = datetime.combine(day, moment, tzinfo=zone)
    return scheduled <= local < scheduled + GRACE


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


async def enqueue_weekly_digests(
    db: Database,
    *,
    now: datetime,
    calendar: WorkCalendar,
    data_dir: Path,
    default_language: str,
) -> int:
    """Each supervisor's digest at their unit's slot (Monday 07:00 for the week before, or
    Friday 16:00 for the week ending; local time, or up to 12 hours later)."""
    written = 0
    groups = await supervisor_clocks(db)
    for (zone_name, mode), supervisors in sorted(groups.items()):
        zone = ZoneInfo(zone_name)
        local = now.astimezone(zone)
        slot = digest_slot(mode, local.date())
        if not _due(local, slot.send_on, slot.at, zone):
            continue
        week = iso_week(slot.start)
        period = f"{week}:{mode.value}:{zone_name}"
        if await has_run(db, DIGEST_JOB, period):
            continue
        digests = await build_digests(
            db,
            calendar,
            slot.start,
            slot.end,
            # Only this group's teams; every team (no IN list) when all share one clock.
            supervisors if len(groups) > 1 else None,
            zone=zone,
            today=local.date(),
        )
        written += await _enqueue_digests(
            db, digests, now=now, period=period, week=week, data_dir=data_dir,
            default_language=default_language,
        )  # fmt: skip
    return written


async def _enqueue_digests(
    db: Database,
    digests: Sequence[Digest],
    *,
    now: datetime,
    period: str,
    week: str,
    data_dir: Path,
    default_language: str,
) -> int:
    people = await recipients(db, [d.supervisor_id for d in digests])
    rows: list[tuple[str, int, dict[str, object]]] = []
    for digest in digests:
        person = people.get(digest.supervisor_id)
        if person is None:
            continue
        tr = texts(person.language or default_language)
        out = render(tr, digest, person.name, data_dir)
        # Keyed by the week covered, not the slot: a unit that changes its mode mid-week
        # does not get the same week twice.
        base = f"digest:{digest.supervisor_id}:{week}"
        for index, text in enumerate(out.texts):
            suffix = "text" if index == 0 else f"text{index + 1}"
            rows.append((f"{base}:{suffix}", person.telegram_id, text_payload(text)))
        rows.append(
            (
                f"{base}:chart",
                person.telegram_id,
                photo_payload(out.chart, caption=out.chart_caption),
            )
        )
        rows.append(
            (
                f"{base}:xlsx",
                person.telegram_id,
                document_payload(out.xlsx, caption=out.xlsx_caption, filename=out.xlsx_name),
            )
        )
    written = 0
    async with db.write() as session:
        if not await claim_run(session, DIGEST_JOB, period, now, detail=f"{len(rows)}"):
            return 0  # another process got there first
        for key, chat_id, payload in rows:
            if await enqueue(session, key, chat_id, "digest", payload, now=now):  # type: ignore[arg-type]
                written += 1
    return written


def waiting_cutoff(calendar: WorkCalendar, today: date, after: int = NUDGE_AFTER) -> date:
    """The latest day on which an entry must have been submitted to have waited more than
    ``after`` working days by ``today``."""
    day = today - timedelta(days=1)
    while calendar.count_working_days(day, today) <= after:
        day -= timedelta(days=1)
    return day


async def enqueue_nudges(
    db: Database,
    *,
    now: datetime,
    calendar: WorkCalendar,
    default_language: str,
) -> int:
    """Working days 16:00 in each supervisor's unit's time zone: one message to each
    supervisor with entries waiting too long."""
    zones: dict[str, list[int]] = defaultdict(list)
    for (zone_name, _), supervisors in (await supervisor_clocks(db)).items():
        zones[zone_name].extend(supervisors)
    written = 0
    for zone_name, supervisors in sorted(zones.items()):
        written += await _nudge_zone(
            db, ZoneInfo(zone_name), set(supervisors), now=now, calendar=calendar,
            default_language=default_language,
        )  # fmt: skip
    return written


async def _nudge_zone(
    db: Database,
    zone: ZoneInfo,
    supervisors: set[int],
    *,
    now: datetime,
    calendar: WorkCalendar,
    default_language: str,
) -> int:
    local = now.astimezone(zone)
    today = local.date()
    if not calendar.is_working_day(today) or not _due(local, today, NUDGE_TIME, zone):
        return 0
    period = f"{today.isoformat()}:{zone.key}"
    if await has_run(db, NUDGE_JOB, period):
        return 0
    cutoff = waiting_cutoff(calendar, today)
    submitted_before = datetime.combine(cutoff + timedelta(days=1), time(0), tzinfo=zone)
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
        waiting = {
            boss: (int(n), oldest)
            for boss, n, oldest in (await session.execute(stmt)).all()
            if boss in supervisors
        }
    people = await recipients(db, waiting)
    written = 0
    async with db.write() as session:
        if not await claim_run(session, NUDGE_JOB, period, now):
            return 0  # another process got there first
        for boss, (count, oldest) in sorted(waiting.items()):
            person = people.get(boss)
            if person is None:
                continue
            tr = texts(person.language or default_language)
            text = tr.t(
                "digest.nudge",
                name=person.name,
                count=count,
                date=format_date(oldest, tr.language, weekday=False),
            )
            key = f"nudge:{boss}:{today.isoformat()}"
            # One tap opens /persetujuan (handlers.approvals.OPEN; the scheduler does not
            # import handlers).
            review = {"text": tr.plain("digest.nudge_button"), "callback_data": "apv:open"}
            payload = text_payload(text, reply_markup={"inline_keyboard": [[review]]})
            if await enqueue(session, key, person.telegram_id, "nudge", payload, now=now):
                written += 1
    return written
