"""A Monday-morning digest wave while people keep writing: does anyone's reply slow down?

    python bench/digest_wave.py [--supervisors 500] [--chats 1000] [--rate 40] [--seconds 20]

The bot runs in a process of its own (``bench/bot_process.py sigap-wave``) on a SQLite database
with ``--supervisors`` supervisors, each with 4 employees and a week of their entries. This
process plays Telegram: ``--chats`` citizens send free text at ``--rate`` messages a second,
and each reply's latency (message sent → reply arrived) is recorded. First ``--seconds``
without a wave; then the bot is signalled (SIGUSR1) to run the weekly digest job for all
supervisors: every chart and workbook rendered and queued, and the outbox sending them, while
the citizens keep writing, until every digest has arrived. Prints p50/p99 of both phases;
target: the wave's p99 at most 2x the quiet p99.

SIGAP_BENCH_BOT=/elsewhere/bench/bot_process.py runs another tree's bot on the same database
(built by this tree's migrations) and the same people: a before/after comparison in one sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import roster_gen  # noqa: E402

TOKEN = "123456789:BENCH-token-for-the-emulator_xyz"
PER_UNIT = 4
# Monday 2026-11-30 08:00 WIB: the digest of the week 23-29 November.
WAVE_AT = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
SUPERVISOR_IDS = 800_000_000


async def prepare(url: str, workdir: Path, supervisors: int) -> None:
    from sqlalchemy import insert, select

    from domain.roster import read_roster
    from models.db import Database
    from models.migrate import upgrade_database
    from models.roster import import_roster
    from models.tables import Activity, Employee, TelegramLink, TelegramUser
    from models.types import utcnow

    db = Database(url)
    await upgrade_database(db)
    path = roster_gen.write(workdir / "roster.csv", supervisors, PER_UNIT)
    result = await import_roster(db, read_roster(path), dry_run=False, actor="b", now=utcnow())
    assert result.saved, result.problems[:3]
    heads = {row[0] for row in roster_gen.rows(supervisors, PER_UNIT)[1:] if "atasan" in row[6]}
    async with db.write() as session:
        employees = (await session.execute(select(Employee.id, Employee.nip))).all()
        head_ids = sorted(e_id for e_id, nip in employees if nip in heads)
        users = [{"id": SUPERVISOR_IDS + n, "first_name": f"K{n}"} for n in range(len(head_ids))]
        await session.execute(insert(TelegramUser), users)
        await session.execute(
            insert(TelegramLink),
            [
                {"employee_id": e_id, "telegram_user_id": SUPERVISOR_IDS + n}
                for n, e_id in enumerate(head_ids)
            ],
        )
        week = [date(2026, 11, 23) + timedelta(days=d) for d in range(5)]
        await session.execute(
            insert(Activity),
            [
                {
                    "employee_id": e_id,
                    "work_date": day,
                    "description": "Verifikasi berkas",
                    "minutes": 60 + (e_id % 5) * 30,
                    "status": "approved" if e_id % 3 else "submitted",
                }
                for e_id, nip in employees
                if nip not in heads
                for day in week
            ],
        )
    await db.dispose()


async def load(emulator: Any, citizens: list[Any], rate: float, until: Any) -> list[float]:
    """Free text from the citizens at ``rate`` a second until ``until()``; each latency."""
    latencies: list[float] = []
    tasks: set[asyncio.Task[None]] = set()
    turn = itertools.cycle(citizens)
    busy: set[int] = set()

    async def one(person: Any) -> None:
        busy.add(person.id)
        started = time.perf_counter()
        emulator.inject_text(person, "Selamat pagi, saya mau tanya soal KTP")
        await person.wait_for(1, timeout=120)
        latencies.append(time.perf_counter() - started)
        busy.discard(person.id)

    interval = 1 / rate
    next_at = time.perf_counter()
    while not until():
        person = next(turn)
        if person.id not in busy:  # one message at a time per chat
            task = asyncio.create_task(one(person))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.gather(*tasks)
    return latencies


def _summary(label: str, latencies: list[float]) -> tuple[float, str]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    text = (
        f"{label:<14} {len(ordered):>8} {statistics.median(ordered) * 1000:>8.0f} "
        f"{p99 * 1000:>8.0f} {ordered[-1] * 1000:>8.0f}"
    )
    return p99, text


async def main() -> None:
    from emulator import BotApiEmulator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supervisors", type=int, default=500)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=40, help="citizens' messages per second")
    parser.add_argument("--seconds", type=float, default=20, help="of the quiet phase")
    args = parser.parse_args()
    bot_process = os.environ.get("SIGAP_BENCH_BOT") or str(ROOT / "bench" / "bot_process.py")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite+aiosqlite:///{workdir / 'sigap.db'}"
        await prepare(url, workdir, args.supervisors)
        emulator = BotApiEmulator(token=TOKEN, bot_username="bench_bot", record_calls=False)
        await emulator.start()
        supervisors = [
            emulator.user(first_name=f"K{n}", user_id=SUPERVISOR_IDS + n)
            for n in range(args.supervisors)
        ]
        citizens = [emulator.user(first_name=f"Warga{n}") for n in range(args.chats)]
        env = {**os.environ, "SIGAP_DATA_DIR": str(workdir / "data")}
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            bot_process,
            "sigap-wave",
            emulator.base_url,
            TOKEN,
            url,
            "64",
            WAVE_AT.isoformat(),
            cwd=workdir,
            env=env,
        )
        try:
            # Warm-up: every chat has written once (the bot may write to them), answered.
            for person in supervisors + citizens:
                emulator.inject_text(person, "/start")
            await emulator.wait_idle(expected_sent=len(supervisors) + len(citizens), timeout=600)
            for person in supervisors + citizens:
                await person.wait_for(1, timeout=1)

            quiet_end = time.perf_counter() + args.seconds
            quiet = await load(
                emulator, citizens, args.rate, lambda: time.perf_counter() > quiet_end
            )

            expected = 3 * len(supervisors)  # text, chart, workbook each

            def arrived() -> int:
                return sum(len(p.arrivals) - 1 for p in supervisors)

            wave_started = time.perf_counter()
            os.kill(bot.pid, signal.SIGUSR1)
            wave = await load(emulator, citizens, args.rate, lambda: arrived() >= expected)
            wave_seconds = time.perf_counter() - wave_started
        finally:
            bot.terminate()
            await bot.wait()
            await emulator.stop()

    print(
        f"{args.chats} citizens writing at {args.rate:.0f} messages/s; weekly digests of "
        f"{args.supervisors} supervisors ({PER_UNIT} reports each): {expected} messages "
        f"delivered in {wave_seconds:.0f} s"
    )
    print(f"bot: {bot_process}")
    print(f"{'phase':<14} {'replies':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    quiet_p99, line = _summary("quiet", quiet)
    print(line)
    wave_p99, line = _summary("digest wave", wave)
    print(line)
    print(f"p99 during the wave / quiet p99: {wave_p99 / quiet_p99:.2f}x (target <= 2x)")


if __name__ == "__main__":
    asyncio.run(main())
