"""From one person's tap to the other person's message: how long a notice takes.

    python bench/notify_latency.py [--units 50] [--actions 4] [--databases sqlite,postgres]

Three processes, as against the real Telegram: this one prepares the database and runs the
cases; the Telegram side (the emulator, with 50 ms added to every Bot API call, and the people,
``--telegram`` below) is a process of its own; the bot is another (``bench/bot_process.py``).

``--units`` units act at once, each with a head (supervisor and complaint handler), an employee,
``--actions`` employees, a citizen and a desk group; each does ``--actions`` actions of every
kind:

  approval      the head taps ✅ on an entry → its employee's notice (through the outbox; one
                entry per employee, so Telegram's 1 message/s per chat does not pace them)
  complaint     the citizen taps "Kirim aduan" → the ticket in the unit's desk group
  status        the head taps "Verifikasi" on the ticket → the citizen's notice
  answer        the head replies to the ticket in the group → the answer in the citizen's chat

Each case runs with the sender woken by commits (``wake``) and, in the same run, as before this
change: woken only by its 30 s poll (``poll-30s``). Prints p50/p95/max per kind; target
p95 ≤ 1 s and max ≤ 2 s. Checks that every notice arrived once, and prints the CPU the bot
used (one event loop: a saturated bot is at one core, whatever the load average says).

``--think SECONDS`` (default 1): each person pauses about that long (0.5 to 1.5 times it)
before each step, as someone reading the bot's answer does; the target is about people. 0 is
people who tap the instant the answer arrives, a stress figure: the load is then as high as the
bot's own speed lets it be (a faster bot is pressed harder), and at 50 units the heads approve
faster than Telegram's ~30 messages a second lets any bot send their notices (the lines below
say what that alone costs).

The approval's notice is a message of the outbox, which keeps to 25 messages a second overall
(bot/app.py; Telegram's own limit is about 30). Two lines per run say what that allows at
best: the run's approval taps, each notice one message through a 25/s (then a 30/s) token
bucket and otherwise as fast as the run's fastest approval. When people tap faster than the
bucket drains, no bot held to it can do better than those lines.

SIGAP_BENCH_BOT=/elsewhere/bench/bot_process.py runs another tree's bot against the same
people (a before/after comparison); ``--timeline FILE`` shows where the time went.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import roster_gen  # noqa: E402

TOKEN = "123456789:BENCH-token-for-the-emulator_xyz"
OPERATOR_ID = 990_000_001
KINDS = ("approval", "complaint", "status", "answer")
# Different enough that none reads as a repeat of another (the bot would offer to merge them).
STORIES = (
    "Lampu jalan di gang masjid mati sejak Senin malam, jalan jadi gelap sekali.",
    "Sampah di pasar tidak diangkut tiga hari, baunya sampai ke rumah warga.",
    "Saluran air depan sekolah tersumbat, setiap hujan halaman sekolah banjir.",
    "Pengurusan KTP saya belum selesai padahal sudah sebulan sejak perekaman.",
    "Jembatan kayu ke dermaga rusak papannya, anak-anak takut menyeberang pagi.",
    "Antrean di loket kelurahan tidak tertib, nomor antrean sering dilewati petugas.",
)
POSTGRES_URL = os.environ.get(
    "SIGAP_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

# --- the Telegram side (a process of its own) -----------------------------------------------


async def _linked(emulator: Any, token: str, name: str) -> Any:
    person = emulator.user(first_name=name)
    await person.send(f"/start {token}")
    await person.wait_for(1, timeout=120)
    return person


async def _until_button(person: Any, label: str, timeout: float) -> Any:  # noqa: ASYNC109
    """The first new message in the person's chat that carries the button ``label``. Other
    messages may come first: the head's own complaint work runs at the same time, and verifying
    a ticket brings an offer to log it as an activity ("Catat sebagai kegiatan?") to the same
    private chat. Taking the next message for the answer pressed a button that was not there."""
    while True:
        for message in await person.wait_for(1, timeout=timeout):
            if label in message.button_texts:
                return message


async def _timed(
    action: Any,
    arrived: Any,
    timeout: float,  # noqa: ASYNC109
    setup: dict[str, Any],
    kind: str,
    target: int,
) -> float:
    """Seconds from ``action`` (which returns what triggered the bot: ``q:<query id>`` or
    ``m:<chat>:<message id>``) until ``arrived`` returns; noted in the timeline, if kept."""
    started = time.perf_counter()
    trigger = await action()
    await arrived(timeout)
    ended = time.perf_counter()
    timeline = setup.get("_timeline")
    if timeline is not None:
        timeline.action(kind, started, ended, trigger, target)
    setup["_taps"][kind].append(started)
    return ended - started


async def _unit(
    emulator: Any, operator: Any, setup: dict[str, Any], unit: dict[str, Any]
) -> dict[str, Any]:
    timeout = setup["timeout"]
    rng = random.Random(unit["n"])  # the same pauses in every run

    async def pause() -> None:
        if setup["think"]:
            await asyncio.sleep(setup["think"] * rng.uniform(0.5, 1.5))

    head = await _linked(emulator, unit["head_token"], f"Kepala{unit['n']}")
    employees = [
        await _linked(emulator, token, f"Pegawai{unit['n']}-{index}")
        for index, token in enumerate(unit["employee_tokens"])
    ]
    citizen = emulator.user(first_name=f"Warga{unit['n']}")
    desk = emulator.group(f"Meja {unit['code']}", privacy_mode=True)
    await operator.send(f"/pasang_meja {unit['code']}", chat=desk)
    await desk.wait_for(1, timeout=60)
    await citizen.send("/start")
    await citizen.wait_for(1, timeout=60)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}

    async def approvals() -> None:
        # One entry of each of the head's employees: each notice goes to a chat of its own, so
        # what is measured is the wake-up, not Telegram's one message a second per chat.
        for index, employee in enumerate(employees):
            label = f"Pegawai {unit['n']:03d}-{index:03d} (1)"
            await pause()
            await head.send("/persetujuan")
            waiting = await _until_button(head, label, timeout=60)
            await pause()
            await head.press(label, message_id=waiting.message_id)
            view = await head.wait_for_edit(timeout=60)
            await pause()

            async def tap(message_id: int = view.message_id) -> str:
                return f"q:{await head.press('✅ 1', message_id=message_id)}"

            async def told(seconds: float, employee: Any = employee) -> None:
                [notice] = await employee.wait_for(1, timeout=seconds)
                assert "disetujui" in notice.text, notice.text

            times["approval"].append(
                await _timed(tap, told, timeout, setup, "approval", employee.chat_id)
            )
            await head.wait_for_edit(timeout=60)

    async def complaints() -> None:
        for number in range(setup["actions"]):
            steps: list[tuple[str, str, int]] = [
                ("send", "/aduan", 1),
                ("press", "Pengaduan", 1),
                ("press", unit["category"], 1),
                ("send", STORIES[number % len(STORIES)], 1),
                ("send", "Lewati", 2),
                ("press", "Lewati", 1),
                ("press", "Biasa", 1),
                ("send", "Tidak usah", 2),
            ]
            for how, what, answers in steps:
                await pause()
                await (citizen.send(what) if how == "send" else citizen.press(what))
                await citizen.wait_for(answers, timeout=60)
            await pause()

            async def submit() -> str:
                return f"q:{await citizen.press('✅ Kirim aduan')}"

            tickets: list[Any] = []

            async def ticket(seconds: float, tickets: list[Any] = tickets) -> None:
                while not tickets:
                    arrived = await desk.wait_for(1, timeout=seconds)
                    tickets += [m for m in arrived if "✅ Verifikasi" in m.button_texts]

            times["complaint"].append(
                await _timed(submit, ticket, timeout, setup, "complaint", desk.chat_id)
            )
            await citizen.wait_for(1, timeout=60)  # the receipt
            ticket_id = tickets[0].message_id
            await pause()

            async def verify(ticket_id: int = ticket_id) -> str:
                return f"q:{await head.press('✅ Verifikasi', chat=desk, message_id=ticket_id)}"

            async def citizen_told(seconds: float) -> None:
                [notice] = await citizen.wait_for(1, timeout=seconds)
                assert "diverifikasi" in notice.text, notice.text

            times["status"].append(
                await _timed(verify, citizen_told, timeout, setup, "status", citizen.chat_id)
            )
            await desk.wait_for_edit(timeout=60)
            await pause()

            async def answer(ticket: Any = tickets[0]) -> str:
                sent = await head.send("Mohon kirim foto lokasi.", chat=desk, reply_to=ticket)
                return f"m:{desk.chat_id}:{sent['message_id']}"

            async def relayed(seconds: float) -> None:
                [told] = await citizen.wait_for(1, timeout=seconds)
                assert "Mohon kirim foto lokasi." in told.text, told.text

            times["answer"].append(
                await _timed(answer, relayed, timeout, setup, "answer", citizen.chat_id)
            )

    await asyncio.gather(approvals(), complaints())
    # Anything sent twice would be here by now.
    await asyncio.sleep(1.0)
    approvals_seen = sum("disetujui" in m.text for e in employees for m in e.arrivals)
    tickets_seen = sum(any(story in m.text for story in STORIES) for m in desk.arrivals)
    duplicates = (approvals_seen - setup["actions"]) + (tickets_seen - setup["actions"])
    return {"times": times, "duplicates": [duplicates]}


async def telegram_side(setup_path: Path) -> None:
    from emulator import BotApiEmulator

    setup = json.loads(setup_path.read_text())
    setup["_taps"] = {kind: [] for kind in KINDS}
    emulator = BotApiEmulator(
        token=TOKEN, bot_username="bench_bot", latency=setup["latency"], record_calls=False
    )
    if setup.get("timeline"):
        from bench.call_timeline import CallTimeline

        setup["_timeline"] = CallTimeline(emulator)
    await emulator.start()
    print(json.dumps({"base_url": emulator.base_url}), flush=True)
    operator = emulator.user(first_name="Operator", user_id=OPERATOR_ID)
    results = await asyncio.gather(
        *(_unit(emulator, operator, setup, unit) for unit in setup["units"])
    )
    merged: dict[str, list[float]] = {kind: [] for kind in KINDS}
    duplicates = 0
    for result in results:
        for kind in KINDS:
            merged[kind] += result["times"][kind]
        duplicates += sum(result["duplicates"])
    if setup.get("timeline"):
        Path(setup["timeline"]).write_text(json.dumps(setup["_timeline"].dump()))
    result = {"times": merged, "taps": setup["_taps"], "duplicates": duplicates}
    print(json.dumps(result), flush=True)
    # Serve until the bench has stopped the bot (it closes our stdin then): stopping first
    # dropped the bot's open connections under it, and its log read like a network fault.
    await asyncio.to_thread(sys.stdin.read)
    await emulator.stop()


# --- the bench ------------------------------------------------------------------------------


async def _database(kind: str, workdir: Path) -> tuple[str, Any]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from models.db import Database

    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}", None
    name = f"sigap_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        db = Database(POSTGRES_URL)
        async with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as c:
            await c.execute(text(sql))
        await db.dispose()

    await admin(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    return url, lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _prepare(url: str, workdir: Path, units: int, actions: int) -> list[dict[str, Any]]:
    from domain.complaints import CategoryRow
    from domain.roster import read_roster
    from models import complaints
    from models.db import Database
    from models.identity import issue_invites
    from models.migrate import upgrade_database
    from models.roster import import_roster
    from models.tables import Activity, Employee

    db = Database(url)
    await upgrade_database(db)
    now = datetime.now(UTC)
    path = roster_gen.write(workdir / "roster.csv", units, actions)
    result = await import_roster(db, read_roster(path), dry_run=False, actor="bench", now=now)
    assert not result.problems, result.problems[:3]
    categories = [
        CategoryRow(
            f"kat{n:03d}", f"Kategori {n:03d}", f"Category {n:03d}", roster_gen.unit_code(n), n
        )
        for n in range(1, units + 1)
    ]
    imported = await complaints.import_categories(
        db, categories, dry_run=False, actor="bench", now=now
    )
    assert not imported.problems
    today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
    invites = await issue_invites(
        db, now=now, ttl=timedelta(days=1), actor="bench", include_linked=True
    )
    tokens = {invite.employee.nip: invite.token for invite in invites}
    from sqlalchemy import select

    async with db.write() as session:
        staff = (await session.execute(select(Employee))).scalars().all()
        ids = {e.nip: e.id for e in staff if e.id is not None}
        for row in roster_gen.rows(units, actions)[1:]:
            if row[6] == "pegawai":
                session.add(
                    Activity(
                        employee_id=ids[row[0]],
                        work_date=today,
                        description="Verifikasi berkas KTP",
                        minutes=60,
                    )
                )
    await db.dispose()
    plan = []
    rows = roster_gen.rows(units, actions)[1:]
    for n in range(1, units + 1):
        head, *employees = rows[(n - 1) * (actions + 1) : n * (actions + 1)]
        plan.append(
            {
                "n": n,
                "code": roster_gen.unit_code(n),
                "category": f"Kategori {n:03d}",
                "head_token": tokens[head[0]],
                "employee_tokens": [tokens[employee[0]] for employee in employees],
            }
        )
    return plan


async def run_case(
    database: str,
    mode: str,
    units: int,
    actions: int,
    latency: float,
    timeline: str = "",
    think: float = 0.0,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = await _database(database, workdir)
        try:
            plan = await _prepare(url, workdir, units, actions)
            setup = {
                "units": plan,
                "actions": actions,
                "latency": latency,
                "timeout": 120.0,  # generous: a slow arrival is measured, not a crash
                "timeline": timeline,
                "think": think,
            }
            (workdir / "setup.json").write_text(json.dumps(setup))
            telegram = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--telegram",
                str(workdir / "setup.json"),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            assert telegram.stdin is not None and telegram.stdout is not None
            base_url = json.loads(await telegram.stdout.readline())["base_url"]
            env = {
                **os.environ,
                "SIGAP_ADMIN_IDS": str(OPERATOR_ID),
                "SIGAP_COMPLAINTS_PER_DAY": "100",
                "SIGAP_DATA_DIR": str(workdir / "data"),
                # No reminder wave in the middle of the measurement, whatever the hour.
                "SIGAP_REMINDER_TIMES": "23:58",
                "SIGAP_REMINDER_QUIET_FROM": "23:59",
            }
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                os.environ.get("SIGAP_BENCH_BOT") or str(ROOT / "bench" / "bot_process.py"),
                "sigap" if mode == "wake" else "sigap-poll-only",
                base_url,
                TOKEN,
                url,
                "64",
                cwd=workdir,
                env=env,
            )
            line = b""
            started = time.perf_counter()
            cpu = 0.0
            try:
                line = await asyncio.wait_for(telegram.stdout.readline(), 900)
                cpu = _cpu_seconds(bot.pid)
            finally:
                bot.terminate()
                await bot.wait()
                telegram.stdin.close()
                if not line:  # no results: the Telegram side failed or is stuck
                    with contextlib.suppress(ProcessLookupError):
                        telegram.kill()
                await telegram.wait()
            if not line:
                raise RuntimeError("the Telegram side ended without results (its log is above)")
            result: dict[str, Any] = json.loads(line)
            result["bot_cpu"] = (cpu, time.perf_counter() - started)
            return result
        finally:
            if drop is not None:
                await drop()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux; 0 elsewhere). The bot is one
    event loop: at one core's worth it is saturated whatever the load average says."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _row(label: str, seconds: list[float]) -> str:
    if not seconds:
        return f"{label:<26} {'-':>6}"
    ordered = sorted(seconds)
    return (
        f"{label:<26} {len(ordered):>6} {statistics.median(ordered):>7.3f} "
        f"{_p95(ordered):>7.3f} {ordered[-1]:>7.3f}"
    )


def paced_floor(taps: list[float], fastest: float, rate: float, burst: float) -> list[float]:
    """The least each tap's notice could wait if every notice is one message through one overall
    token bucket (``rate`` a second, ``burst`` at once; first come, first served) and otherwise
    took ``fastest``: what any bot held to that limit would show for these taps. Nothing else
    the bot sends counts here, so the real figure can only be higher."""
    waits: list[float] = []
    tokens, stamp = burst, -math.inf
    for tap in sorted(taps):
        at = max(tap + fastest, stamp)
        tokens = min(burst, tokens + (at - stamp) * rate) if stamp > -math.inf else burst
        if tokens < 1:
            at += (1 - tokens) / rate
            tokens = 1.0
        tokens -= 1
        stamp = at
        waits.append(at - tap)
    return waits


def _floor_line(label: str, result: dict[str, Any], rate: float, burst: float) -> str:
    times, taps = result["times"]["approval"], result["taps"]["approval"]
    if not times:
        return ""
    waits = sorted(paced_floor(taps, min(times), rate, burst))
    return (
        f"{label}: these {len(taps)} taps' notices through {rate:g}/s (burst {burst:g}) at best:"
        f" p95 {_p95(waits):.3f}, max {waits[-1]:.3f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=50, help="people of each role acting at once")
    parser.add_argument("--actions", type=int, default=4, help="actions of each kind per unit")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--modes", default="wake,poll-30s")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    parser.add_argument(
        "--timeline",
        default="",
        help="keep every call's time (bench/call_timeline.py) in FILE-<database>-<mode>.json"
        " and print where the time went",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="seconds a person pauses before each step (0.5 to 1.5 times it; 0: none)",
    )
    args = parser.parse_args()
    paced = (
        f", people pausing ~{args.think:g} s before each step"
        if args.think
        else ", people tapping the instant the bot answers (a stress figure, not the target's)"
    )
    print(
        f"{args.units} units at once, {args.actions} actions of each kind per unit, "
        f"{args.latency * 1000:.0f} ms per Bot API call{paced}; seconds from the tap to the"
        " message"
    )
    print(f"{'case':<26} {'n':>6} {'p50':>7} {'p95':>7} {'max':>7}")
    for database in args.databases.split(","):
        for mode in args.modes.split(","):
            timeline = f"{args.timeline}-{database}-{mode}.json" if args.timeline else ""
            result = await run_case(
                database, mode, args.units, args.actions, args.latency, timeline, args.think
            )
            for kind in KINDS:
                print(_row(f"{database} {mode} {kind}", result["times"][kind]), flush=True)
            print(f"{database} {mode}: {result['duplicates']} notices more than expected")
            # The approval's notice is a message of the outbox, paced to 25/s (bot/app.py);
            # Telegram's own overall limit is ~30/s. What these taps allow at best under each:
            for rate in (25.0, 30.0):
                print(_floor_line(f"{database} {mode} approval", result, rate, rate))
            cpu, wall = result["bot_cpu"]
            load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
            print(
                f"{database} {mode}: the bot used {cpu:.1f} s of CPU in {wall:.1f} s"
                f" ({cpu / wall:.0%} of one core), load average now {load}"
            )
            if timeline:
                from bench.call_timeline import report

                for line in report(json.loads(Path(timeline).read_text())):
                    print(f"  {line}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--telegram":
        asyncio.run(telegram_side(Path(sys.argv[2])))
    else:
        asyncio.run(main())
