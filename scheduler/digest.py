"""The weekly digest to supervisors and the supervisor nudge.

Figures come from ``models.digest`` (aggregated in SQL), the message, chart and spreadsheet from
``services.digest``. The weekly job runs once per ISO week
(a ``JobRun`` for the week), Monday 07:00 local for the previous week, or within 12 hours after
that moment if the bot was down; it writes the message (split under 4096 characters), a chart
(PNG) and an XLSX per supervisor to the outbox, keyed
``digest:<supervisor>:<week>:text|chart|xlsx``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.digest import digest_slot, iso_week
from models.db import Database
from models.digest import (
    Digest,
    build_digests,
    recipients,
    supervisor_clocks,
    waiting_entries,
)
from models.outbox import (
    document_payload,
    enqueue,
    enqueue_many,
    photo_payload,
    text_payload,
)
from models.schedule import claim_run, has_run
from services import offload
from services.buttons import OPEN_APPROVALS
from services.digest import render
from texts import texts
from texts.format import format_date

DIGEST_TIME = time(7, 0)
NUDGE_TIME = time(16, 0)
GRACE = timedelta(hours=12)
NUDGE_AFTER = 2  # working days an entry may wait before its supervisor is nudged
DIGEST_JOB = "weekly_digest"
NUDGE_JOB = "supervisor_nudge"


def _due(local: datetime, day: date, moment: time, zone: ZoneInfo) -> bool:
    scheduled = datetime.combine(day, moment, tzinfo=zone)
    return scheduled <= local < scheduled + GRACE


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
        # The chart and the spreadsheet are CPU work: in the rendering process.
        out = await offload.run(render, tr, digest, person.name, data_dir)
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
    # The claim and every row in one short transaction (a few multi-row INSERTs): queued all
    # or none, so a crash before the commit leaves the week to run again, and people writing
    # to the bot meanwhile wait milliseconds for the database's writer, not a statement per row.
    async with db.write() as session:
        if not await claim_run(session, DIGEST_JOB, period, now, detail=f"{len(rows)}"):
            return 0  # another process got there first
        return await enqueue_many(session, rows, "digest", now=now)


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
    waiting = {
        boss: found
        for boss, found in (await waiting_entries(db, submitted_before)).items()
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
            # One tap opens /persetujuan (read by handlers.approvals).
            review = {"text": tr.plain("digest.nudge_button"), "callback_data": OPEN_APPROVALS}
            payload = text_payload(text, reply_markup={"inline_keyboard": [[review]]})
            if await enqueue(session, key, person.telegram_id, "nudge", payload, now=now):
                written += 1
    return written
