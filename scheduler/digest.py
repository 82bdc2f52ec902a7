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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook
from sqlalchemy import case, func, select

from bot.i18n import Texts, texts
from domain.calendar import Leave as DomainLeave
from domain.calendar import WorkCalendar
from domain.dates import format_date
from domain.digest import (
    Change,
    PersonWeek,
    Totals,
    compliance_per_day,
    iso_week,
    previous_week,
    split_message,
    totals,
    trailing_silent_days,
    week_of,
)
from models.db import Database
from models.outbox import document_payload, enqueue, photo_payload, text_payload
from models.schedule import JobRun
from models.tables import Activity, Employee, Leave, TelegramLink, TelegramUser

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

    @property
    def totals(self) -> Totals:
        return totals(self.people)


# --- figures (SQL) -------------------------------------------------------------------------


async def team_weeks(
    db: Database,
    calendar: WorkCalendar,
    start: date,
    end: date,
    supervisor_id: int | None = None,
) -> dict[int, list[PersonWeek]]:
    """Each supervisor's direct reports' weeks (``start``..``end``), by supervisor id."""
    reports_stmt = (
        select(Employee.id, Employee.name, Employee.supervisor_id, TelegramUser.blocked_at)
        .outerjoin(TelegramLink, TelegramLink.employee_id == Employee.id)
        .outerjoin(TelegramUser, TelegramUser.id == TelegramLink.telegram_user_id)
        .where(Employee.active, Employee.supervisor_id.is_not(None))
        .order_by(Employee.name)
    )
    in_scope = Employee.supervisor_id.is_not(None)
    if supervisor_id is not None:
        reports_stmt = reports_stmt.where(Employee.supervisor_id == supervisor_id)
        in_scope = Employee.supervisor_id == supervisor_id
    kept = Activity.status != "rejected"  # rejected entries count for nothing
    # One row per employee and day (conditional sums per status), not one per activity.
    activity_stmt = (
        select(
            Activity.employee_id,
            Activity.work_date,
            func.sum(case((Activity.status == "approved", 1), else_=0)),
            func.sum(case((Activity.status == "submitted", 1), else_=0)),
            func.sum(case((Activity.status == "revision_requested", 1), else_=0)),
            func.sum(case((kept, 1), else_=0)),
            func.coalesce(func.sum(case((kept, Activity.minutes), else_=0)), 0),
            func.sum(case((kept & Activity.late, 1), else_=0)),
        )
        .join(Employee, Employee.id == Activity.employee_id)
        .where(
            in_scope,
            Employee.active,
            Activity.work_date >= start,
            Activity.work_date <= end,
            Activity.deleted_at.is_(None),
        )
        .group_by(Activity.employee_id, Activity.work_date)
    )
    leave_stmt = (
        select(Leave.employee_id, Leave.start, Leave.end, Leave.kind)
        .join(Employee, Employee.id == Leave.employee_id)
        .where(
            in_scope,
            Employee.active,
            Leave.cancelled_at.is_(None),
            Leave.start <= end,
            Leave.end >= start,
        )
    )
    async with db.read() as session:
        # Plain column rows: the Core connection skips the ORM's per-row result processing,
        # which was most of the time at 10,000 employees (~100k rows).
        connection = await session.connection()
        reports = (await connection.execute(reports_stmt)).all()
        groups = (await connection.execute(activity_stmt)).all()
        leave_rows = (await connection.execute(leave_stmt)).all()

    leaves: dict[int, list[DomainLeave]] = defaultdict(list)
    for employee_id, leave_start, leave_end, kind in leave_rows:
        leaves[employee_id].append(DomainLeave(leave_start, leave_end, kind))
    working = calendar.working_days(start, end)
    people: dict[int, PersonWeek] = {}
    result: dict[int, list[PersonWeek]] = defaultdict(list)
    for employee_id, name, boss, blocked_at in reports:
        if employee_id in people:  # one link per employee; be safe anyway
            continue
        # The calendar walk only for those with leave; everyone else has the unit's working days.
        on_leave = leaves.get(employee_id)
        expected = calendar.working_days(start, end, leaves=on_leave) if on_leave else list(working)
        person = PersonWeek(
            employee_id=employee_id,
            name=name,
            expected_days=len(expected),
            leave_days=len(working) - len(expected),
            unreachable=blocked_at is not None,
            expected_on=expected,
        )
        people[employee_id] = person
        result[boss].append(person)
    logged: dict[int, set[date]] = defaultdict(set)
    for employee_id, work_date, approved, waiting, revision, entries, minutes, late in groups:
        person = people.get(employee_id)
        if person is None:
            continue
        person.approved += int(approved)
        person.waiting += int(waiting)
        person.revision += int(revision)
        if entries:
            person.entries += int(entries)
            person.minutes += int(minutes)
            person.late += int(late)
            logged[employee_id].add(work_date)
    for employee_id, person in people.items():
        days = logged[employee_id]
        person.logged_on = sorted(days)
        person.days_with_entries = len(days)
        person.silent_days = trailing_silent_days(person.expected_on, days)
    return dict(result)


async def build_digests(
    db: Database, calendar: WorkCalendar, day: date, supervisor_id: int | None = None
) -> list[Digest]:
    """Digests for the week before the one holding ``day``, with the week before that."""
    start, end = previous_week(day)
    current = await team_weeks(db, calendar, start, end, supervisor_id)
    before_start, before_end = previous_week(start)
    before = await team_weeks(db, calendar, before_start, before_end, supervisor_id)
    return [
        Digest(boss, start, end, people, totals(before.get(boss, [])))
        for boss, people in sorted(current.items())
    ]


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
    return split_message(blocks)


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
    sheet.append([tr.plain(f"digest.col_{c}") for c in columns])
    yes = tr.plain("digest.yes")
    for p in digest.people:
        sheet.append(
            [
                p.name, p.expected_days, p.days_with_entries, p.entries, p.hours, p.approved,
                p.waiting, p.revision, p.late, p.leave_days, p.silent_days,
                yes if p.unreachable else "",
            ]
        )  # fmt: skip
    t = digest.totals
    sheet.append(
        [
            tr.plain("digest.total_row"), t.expected_days, t.days_with_entries, t.entries,
            t.hours, t.approved, t.waiting, t.revision, t.late, t.leave_days, t.silent, "",
        ]
    )  # fmt: skip
    sheet.column_dimensions["A"].width = 40
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


async def _has_run(db: Database, job: str, period: str) -> bool:
    stmt = select(JobRun.id).where(JobRun.job == job, JobRun.period == period)
    async with db.read() as session:
        return (await session.execute(stmt)).first() is not None


async def enqueue_weekly_digests(
    db: Database,
    *,
    now: datetime,
    zone: ZoneInfo,
    calendar: WorkCalendar,
    data_dir: Path,
    default_language: str,
) -> int:
    """Monday 07:00 local (or up to 12 hours later): last week's digest to every supervisor."""
    local = now.astimezone(zone)
    monday, _ = week_of(local.date())
    if not _due(local, monday, DIGEST_TIME, zone):
        return 0
    period = iso_week(previous_week(local.date())[0])
    if await _has_run(db, DIGEST_JOB, period):
        return 0
    digests = await build_digests(db, calendar, local.date())
    people = await recipients(db, [d.supervisor_id for d in digests])
    rows: list[tuple[str, int, dict[str, object]]] = []
    for digest in digests:
        person = people.get(digest.supervisor_id)
        if person is None:
            continue
        tr = texts(person.language or default_language)
        out = render(tr, digest, person.name, data_dir)
        base = f"digest:{digest.supervisor_id}:{period}"
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
        session.add(JobRun(job=DIGEST_JOB, period=period, started_at=now, detail=f"{len(rows)}"))
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
    zone: ZoneInfo,
    calendar: WorkCalendar,
    default_language: str,
) -> int:
    """Working days 16:00: one message to each supervisor with entries waiting too long."""
    local = now.astimezone(zone)
    today = local.date()
    if not calendar.is_working_day(today) or not _due(local, today, NUDGE_TIME, zone):
        return 0
    period = today.isoformat()
    if await _has_run(db, NUDGE_JOB, period):
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
            boss: (int(n), oldest) for boss, n, oldest in (await session.execute(stmt)).all()
        }
    people = await recipients(db, waiting)
    written = 0
    async with db.write() as session:
        session.add(JobRun(job=NUDGE_JOB, period=period, started_at=now))
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
            key = f"nudge:{boss}:{period}"
            if await enqueue(
                session, key, person.telegram_id, "nudge", text_payload(text), now=now
            ):
                written += 1
    return written
