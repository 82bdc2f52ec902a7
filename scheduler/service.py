"""The scheduler: looks at the (injected) clock, decides what is due, writes it to the outbox,
and lets the outbox sender deliver it paced to Telegram's limits.

Jobs only decide and enqueue; delivery is the sender's. A tick is safe to run twice or from two
processes: every decision is keyed (outbox keys, ``job_run`` periods). ``sigap jobs run`` and the
tests call ``tick``/``run_job`` with the time they want; the bot runs ``run_forever``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot

from domain.calendar import WorkCalendar
from domain.complaints import Deadlines
from domain.dates import parse_times
from domain.digest import DigestMode, digest_slot
from models import activities
from models.conversation import expire_drafts
from models.digest import supervisor_clocks
from models.identity import mark_blocked
from models.schedule import has_run, unit_timings
from scheduler.digest import NUDGE_TIME, enqueue_nudges, enqueue_weekly_digests
from scheduler.escalations import escalate_complaints
from scheduler.outbox import OutboxSender
from scheduler.reminders import enqueue_reminders
from services import Services

log = logging.getLogger("sigap.scheduler")
STOP_WAIT_SECONDS = 30


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    schedule: str  # for people: when it runs
    run: Callable[[Services, datetime], Awaitable[int]]


async def _reminders(services: Services, now: datetime) -> int:
    settings = services.settings
    return await enqueue_reminders(
        services.db,
        now=now,
        calendar=await activities.work_calendar(services.db),
        default_times=parse_times(settings.reminder_times),
        quiet_from=time.fromisoformat(settings.reminder_quiet_from),
        default_language=settings.default_language,
    )


async def _escalations(services: Services, now: datetime) -> int:
    settings = services.settings
    return await escalate_complaints(
        services.db,
        now=now,
        today=now.astimezone(services.timezone).date(),
        calendar=await activities.work_calendar(services.db),
        deadlines=Deadlines(
            verify_days=settings.complaint_verify_days,
            follow_up_days=settings.complaint_follow_up_days,
            reopen_days=settings.complaint_reopen_days,
        ),
        default_language=settings.default_language,
    )


async def _weekly_digest(services: Services, now: datetime) -> int:
    return await enqueue_weekly_digests(
        services.db,
        now=now,
        calendar=await activities.work_calendar(services.db),
        data_dir=services.settings.data_dir,
        default_language=services.settings.default_language,
    )


async def _draft_expiry(services: Services, now: datetime) -> int:
    period = now.astimezone(services.timezone).date().isoformat()
    if await has_run(services.db, "draft_expiry", period):
        return 0  # once a day; the claim in expire_drafts settles a race between processes
    settings = services.settings
    result = await expire_drafts(
        services.db,
        now=now,
        idle=timedelta(days=settings.draft_retention_days),
        data_dir=settings.data_dir,
        actor="system",
        period=period,
    )
    if result.ran and (result.drafts or result.files.deleted):
        log.info("expired %d drafts, %d files", result.drafts, result.files.deleted)
    return 0  # nothing to send


async def _supervisor_nudge(services: Services, now: datetime) -> int:
    return await enqueue_nudges(
        services.db,
        now=now,
        calendar=await activities.work_calendar(services.db),
        default_language=services.settings.default_language,
    )


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "reminders",
            "daily reminder to employees who logged nothing today",
            "working days, SIGAP_REMINDER_TIMES (default 14:00 and 15:30), the unit's own times"
            " (sigap units schedule) or /pengingat; each unit's time zone",
            _reminders,
        ),
        Job(
            "complaint_deadlines",
            "escalate complaints past their due dates; close unanswered resolved ones",
            "every tick; each escalation once per stage and due date",
            _escalations,
        ),
        Job(
            "weekly_digest",
            "last week's digest to every supervisor (message, chart, XLSX)",
            "Monday 07:00 for the previous week, or Friday 16:00 for the current week per unit"
            " (sigap units schedule); up to 12 hours late after downtime",
            _weekly_digest,
        ),
        Job(
            "supervisor_nudge",
            "supervisors with entries waiting more than 2 working days",
            "working days 16:00 (or up to 12 hours later)",
            _supervisor_nudge,
        ),
        Job(
            "draft_expiry",
            "delete flows left unanswered (abandoned /aduan drafts) with their files",
            "once a day; drafts idle for SIGAP_DRAFT_RETENTION_DAYS (default 30)",
            _draft_expiry,
        ),
    )
}


async def next_run(services: Services, name: str, now: datetime) -> datetime | None:
    """When the job will next have something to decide (for ``sigap jobs list``): the
    earliest over every unit's own time zone and times."""
    if name == "complaint_deadlines":
        return now + timedelta(seconds=services.settings.scheduler_interval)
    if name == "draft_expiry":
        local = now.astimezone(services.timezone)
        return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=services.timezone)
    default_zone = services.settings.timezone
    if name == "weekly_digest":
        groups = list(await supervisor_clocks(services.db)) or [(default_zone, DigestMode.MONDAY)]
        return min(_next_digest(ZoneInfo(zone), mode, now) for zone, mode in groups)
    default_times = parse_times(services.settings.reminder_times)
    if name == "reminders":
        units = await unit_timings(services.db)
        clocks = {
            (
                u.timezone,
                tuple(parse_times(u.reminder_times) if u.reminder_times else default_times),
            )
            for u in units
        } or {(default_zone, tuple(default_times))}
    elif name == "supervisor_nudge":
        zones = {zone for zone, _ in await supervisor_clocks(services.db)} or {default_zone}
        clocks = {(zone, (NUDGE_TIME,)) for zone in zones}
    else:
        return None
    calendar = await activities.work_calendar(services.db)
    found = [
        moment
        for zone, times in clocks
        if (moment := _next_working_moment(calendar, ZoneInfo(zone), times, now)) is not None
    ]
    return min(found, default=None)


def _next_digest(zone: ZoneInfo, mode: DigestMode, now: datetime) -> datetime:
    local = now.astimezone(zone)
    for weeks in (0, 1):
        slot = digest_slot(mode, local.date() + timedelta(weeks=weeks))
        candidate = datetime.combine(slot.send_on, slot.at, tzinfo=zone)
        if candidate > local:
            return candidate
    raise AssertionError("a weekly slot is always within two weeks")  # pragma: no cover


def _next_working_moment(
    calendar: WorkCalendar, zone: ZoneInfo, times: Sequence[time], now: datetime
) -> datetime | None:
    local = now.astimezone(zone)
    day = local.date()
    for _ in range(370):
        if calendar.is_working_day(day):
            for moment in times:
                candidate = datetime.combine(day, moment, tzinfo=zone)
                if candidate > local:
                    return candidate
        day += timedelta(days=1)
    return None


class Scheduler:
    def __init__(
        self, services: Services, sender: OutboxSender | None, bot: Bot | None = None
    ) -> None:
        self.services = services
        self.sender = sender
        self._bot = bot  # the sender's own Bot, opened and closed with the scheduler
        self._task: asyncio.Task[None] | None = None
        self._tick: asyncio.Future[None] | None = None

    async def run_job(self, name: str, now: datetime | None = None) -> int:
        metrics = self.services.metrics
        try:
            written = await JOBS[name].run(self.services, now or self.services.clock.now())
        except Exception:
            metrics.job_ran(name, failed=True)
            raise
        metrics.job_ran(name, failed=False)
        # What a job queued wakes the sender by its commit (models/outbox_wake.py).
        return written

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        """Run every job for the time ``now`` (default: the clock's); returns what each wrote."""
        moment = now or self.services.clock.now()
        return {name: await self.run_job(name, moment) for name in JOBS}

    async def run_forever(self) -> None:
        interval = self.services.settings.scheduler_interval
        while True:
            # Shielded: stopping waits for a tick in progress (``stop``) rather than cutting
            # a job's transaction in two; a cut SQLite transaction can keep the database
            # locked for whoever writes next.
            self._tick = asyncio.ensure_future(self._tick_logged())
            await asyncio.shield(self._tick)
            await asyncio.sleep(interval)

    async def _tick_logged(self) -> None:
        try:
            await self.tick()
        except Exception:  # a bad tick must not stop the next one
            log.exception("scheduler tick failed")

    @property
    def running(self) -> bool:
        """Whether the scheduler's loop is alive (the webhook's health check)."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._bot is not None:
            await self._bot.initialize()
        if self.sender is not None:
            self.sender.start()
        self._task = asyncio.create_task(self.run_forever(), name="sigap-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._tick is not None:
            try:  # the tick in progress, to its end (unless it hangs)
                await asyncio.wait_for(self._tick, STOP_WAIT_SECONDS)
            except TimeoutError:
                log.warning("a scheduler tick did not end in %ss; cancelled", STOP_WAIT_SECONDS)
            self._tick = None
        if self.sender is not None:
            await self.sender.stop()
        if self._bot is not None:
            await self._bot.shutdown()


def blocked_hook(services: Services) -> Callable[[int], Awaitable[None]]:
    """The sender met a 403: mark the chat so nothing more is queued for it."""

    async def hook(chat_id: int) -> None:
        if chat_id < 0:
            # A group (a complaint desk) removed the bot: people must fix that, not code.
            log.warning("the bot was removed from group %s; its notifications stop", chat_id)
            return
        await mark_blocked(services.db, chat_id, services.clock.now())
        services.identities.forget(chat_id)

    return hook
