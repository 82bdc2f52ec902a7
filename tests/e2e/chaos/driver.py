"""The chaos driver: random scenarios of every flow against a real ``sigap run`` that is killed
with SIGKILL at a random moment, started again, and checked.

Each round draws a few scenarios (seeded: the same seed draws the same plan) for people who are
free, starts them together, kills the bot at a random moment among them, restarts it after a
random pause, lets every scenario go on to its end, waits until the bot has settled (inbox and
outbox empty) and checks the invariants (``invariants.py``). One kill per round.

    python -m tests.e2e.chaos --kills 100 --mode polling --db sqlite --seed 7
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from domain.calendar import WorkCalendar
from models.inbox import InboxUpdate
from models.outbox import OutboxMessage, OutboxStatus
from tests.e2e.chaos import flows
from tests.e2e.chaos.cluster import Cluster, cluster, link_office
from tests.e2e.chaos.flows import HANDLER, STAFF, Office
from tests.e2e.chaos.invariants import NAMES, check, in_flight_checker
from tests.e2e.chaos.steps import InFlightAtKill, StepLost, Tally, has, step
from texts.format import format_date

Say = Callable[[str], None]
# How far into a round the kill may land (seconds), and how long the bot stays dead.
KILL_WITHIN, DOWN_FOR = 4.0, 1.0
SETTLE_SECONDS = 90.0
KINDS = ["log", "quicklog", "complaint", "desk", "approve", "survey", "clock"]
WEIGHTS = [3, 2, 3, 2, 2, 1, 2]


@dataclass
class Report:
    seed: int
    mode: str
    database: str
    kills: int = 0
    mid: int = 0  # kills that landed while scenarios were going
    scenarios: Counter[str] = field(default_factory=Counter)
    steps: int = 0
    jobs: str = ""  # the clock's runs: reminder days, digest weeks
    violations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NAMES, 0))
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.violations.values())

    def summary(self) -> str:
        drawn = ", ".join(f"{k} {n}" for k, n in sorted(self.scenarios.items()))
        found = ", ".join(f"{k} {n}" for k, n in self.violations.items())
        return (
            f"chaos seed {self.seed} ({self.mode}, {self.database}): {self.kills} kills "
            f"({self.mid} mid-scenario), "
            f"{sum(self.scenarios.values())} scenarios ({drawn}), {self.steps} steps, {self.jobs}, "
            f"{self.seconds:.0f} s; violations: {found}"
        )


class Round:
    """The scenarios drawn for one round, each on people no other scenario of it uses."""

    def __init__(self, run: Run) -> None:
        self.run, self.busy = run, set[int]()
        self.plan: list[tuple[str, Coroutine[Any, Any, None]]] = []

    def take(self, *people: Any) -> bool:
        ids = {p.id for p in people}
        if ids & self.busy:
            return False
        self.busy |= ids
        return True

    def draw(self, rng: Random, count: int) -> None:
        """``count`` scenarios: kinds this run has not played yet first (so that even a short
        run plays every flow it can), then by weight."""
        tries = 0
        while len(self.plan) < count and tries < 20:
            tries += 1
            unseen = [k for k in KINDS if k not in self.run.drawn and tries < 10]
            kind = rng.choice(unseen) if unseen else rng.choices(KINDS, WEIGHTS)[0]
            made = self.run.scenario(self, kind, rng)
            if made is not None:
                self.plan.append((kind, made))
                self.run.drawn.add(kind)


class Run:
    def __init__(self, c: Cluster, office: Office, seed: int, say: Say) -> None:
        self.c, self.office, self.say = c, office, say
        self.tally, self.counter, self.day = Tally(was_in_flight=in_flight_checker(c.db)), 0, 0
        self.drawn: set[str] = set()
        self.rng = Random(seed)

    def token(self) -> str:
        self.counter += 1
        return flows.token(self.counter)

    def scenario(self, r: Round, kind: str, rng: Random) -> Coroutine[Any, Any, None] | None:
        o, t = self.office, self.tally
        if kind in ("log", "quicklog"):
            nip = rng.choice(sorted(STAFF))
            if r.take(o.employees[nip]):
                play = flows.worklog_guided if kind == "log" else flows.worklog_quick
                return play(o, nip, t, self.token())
        if kind == "complaint":
            citizen = self.c.emulator.user(first_name=f"Warga {self.counter}")
            r.take(citizen)
            return flows.complaint(o, citizen, t, self.token())
        if kind == "desk" and o.tickets and r.take(o.employees[HANDLER], o.tickets[0][0]):
            citizen, number = o.tickets.pop(0)
            return flows.desk_work(o, citizen, number, t, self.token(), rng)
        if kind == "approve":
            for nip in sorted(o.waiting):
                boss = o.employees[STAFF[nip][0]]
                if r.take(o.employees[nip], boss):
                    return flows.approve(o, nip, t)
        if kind == "survey":
            citizen = self.c.emulator.user(first_name=f"Responden {self.counter}")
            r.take(citizen)
            return flows.survey(citizen, t, self.token(), rng)
        if kind == "clock" and r.take(*o.employees.values()):
            return self.clock(rng)
        return None

    async def clock(self, rng: Random) -> None:
        """The reminder job at 14:00 of a working day no round used yet (every employee is
        reminded: nobody logged that day), or the weekly digest at Monday 07:00 (every
        supervisor gets theirs), run by ``sigap jobs run`` beside the bot."""
        self.day += 1
        monday = date.today() + timedelta(days=7 * self.day - date.today().weekday())
        # Only the office's working days: a holiday or cuti bersama (24 December) rightly
        # reminds nobody, which the driver would count as a step not answered.
        open_days = [
            d for d in (monday + timedelta(days=n) for n in range(5)) if CALENDAR.is_working_day(d)
        ]
        if open_days and rng.random() < 0.7:
            day = rng.choice(open_days)
            moment, job = day.isoformat() + "T14:00", "reminders"
            people = list(STAFF)
            expect = has("belum melaporkan", format_date(day, "id"))
        else:
            moment, job = monday.isoformat() + "T07:00", "weekly_digest"
            people = sorted({boss for boss, _ in STAFF.values()})
            expect = has("Ringkasan mingguan tim")
        marks = {nip: len(self.office.employees[nip].arrivals) for nip in people}
        code, out = await self.c.run_job(job, moment)
        if code != 0:
            self.tally.lost_steps.append(f"sigap jobs run {job} {moment}: {out.strip()[-200:]}")
            return
        (self.tally.reminders if job == "reminders" else self.tally.digests).append(moment)
        for nip in people:
            person = self.office.employees[nip]
            what = f"{job} {moment} to {nip}"
            await step(self.tally, person, None, expect, what, since=marks[nip])

    async def play(self, kind: str, scenario: Coroutine[Any, Any, None]) -> None:
        try:
            await scenario
        except InFlightAtKill as unknown:
            self.say(f"  in flight at a kill, not sent again (the outbox's rule): {unknown}")
        except StepLost as lost:
            self.say(f"  step not answered: {lost}")
        except LookupError as exc:  # a button never shown
            self.tally.lost_steps.append(f"{kind}: {exc}")
            self.say(f"  {kind}: {exc}")


# The calendar of a unit with no local overrides (the driver's office has none).
CALENDAR = WorkCalendar()


def bot_calls(c: Cluster) -> int:
    """The Bot API calls the bot made so far, its long polls left out."""
    return sum(1 for method, _ in c.emulator.calls if method != "getUpdates")


async def kill_somewhere(c: Cluster, rng: Random, running: list[asyncio.Task[None]]) -> Kill:
    """Kill the bot after a random number of its Bot API calls in this round (so the kill
    lands among its work, in the middle of an update as often as between two), or at a random
    moment when the round does less; start it again after a random pause."""
    loop = asyncio.get_running_loop()
    mark, calls, within = bot_calls(c), rng.randint(0, 40), rng.uniform(0.5, KILL_WITHIN)
    began = loop.time()
    while bot_calls(c) - mark < calls:
        if loop.time() - began > within:
            break
        await asyncio.sleep(0.005)
    mid = sum(not task.done() for task in running)
    c.bot.kill()
    after, down = loop.time() - began, rng.uniform(0.0, DOWN_FOR)
    await asyncio.sleep(down)
    c.bot.start()
    return Kill(after, down, bot_calls(c) - mark, mid)


@dataclass(frozen=True)
class Kill:
    after: float  # seconds into the round
    down: float  # seconds without a bot
    calls: int  # Bot API calls of the round before the kill
    mid: int  # scenarios still going at the kill


async def settled(c: Cluster) -> None:
    """The bot has handled every update and sent everything due (or given up on it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    waiting = (OutboxStatus.PENDING, OutboxStatus.SENDING)
    while loop.time() < deadline:
        async with c.db.read() as session:
            inbox = (
                await session.execute(select(func.count()).select_from(InboxUpdate))
            ).scalar_one()
            outbox = (
                await session.execute(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(col(OutboxMessage.status).in_(waiting))
                )
            ).scalar_one()
        if inbox == 0 and outbox == 0 and c.emulator.pending_update_count == 0:
            return
        await asyncio.sleep(0.1)


async def run_chaos(
    db_url: str,
    workdir: Path,
    *,
    mode: str,
    kills: int,
    seed: int,
    database: str = "",
    per_round: tuple[int, int] = (2, 4),
    say: Say = print,
) -> Report:
    report = Report(seed, mode, database or db_url.split(":")[0])
    started = time.monotonic()
    say(f"chaos: seed {seed}, {kills} kills, {mode}, {report.database}")
    async with cluster(db_url, workdir, mode) as c:
        c.bot.start()
        run = Run(c, await link_office(c), seed, say)
        for k in range(1, kills + 1):
            r = Round(run)
            r.draw(run.rng, run.rng.randint(*per_round))
            playing = [asyncio.create_task(run.play(kind, s)) for kind, s in r.plan]
            kill = await kill_somewhere(c, run.rng, playing)
            await asyncio.gather(*playing)
            await settled(c)
            found = await check(c.db, c.emulator, run.tally)
            report.kills += 1
            report.mid += kill.mid > 0
            report.scenarios.update(kind for kind, _ in r.plan)
            report.violations = {name: len(items) for name, items in found.items()}
            report.details = [f"{n}: {item}" for n, items in found.items() for item in items]
            say(
                f"kill {k}/{kills} at {kill.after:.2f} s ({kill.calls} calls, "
                f"{kill.mid} of {len(r.plan)} scenarios going), {kill.down:.2f} s down; "
                f"{', '.join(kind for kind, _ in r.plan)}; violations so far: "
                + ", ".join(f"{n} {len(v)}" for n, v in found.items())
            )
        report.steps = run.tally.steps
        t = run.tally
        report.jobs = (
            f"{len(t.reminders)} reminder days, {len(t.digests)} digest weeks, "
            f"{len(t.in_flight)} notices in flight at a kill (at most once: not sent again)"
        )
    report.seconds = time.monotonic() - started
    for line in report.details:
        say(f"  violation {line}")
    say(report.summary())
    return report
