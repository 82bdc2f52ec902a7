"""Footprint: memory of an idle bot, time to its first poll, and the roster importer at a city's
size.

    python bench/footprint.py [--employees 10000] [--repeat 3]

``sigap run`` (the production command, on a SQLite database holding ``--employees`` employees)
and a bare PTB echo bot each start in a process of their own against the emulator, in the same
run; printed: seconds from the process's start to its first getUpdates, and its resident memory
(RSS) once idle. Targets: Sigap ≤ 110 MB and ≤ 2 s.

Both bots start from bytecode: before measuring, the project's packages are compiled
(``compileall``, into their ``__pycache__``) as a production install has them compiled (pip
compiles what it installs), and as the echo bot's library (PTB, in site-packages) already is.
Without this, a machine that sets ``PYTHONDONTWRITEBYTECODE`` (or a fresh checkout) makes Sigap
compile its ~170 modules on every start, which the echo bot never does. The machine's load
average is printed beside the figures: they are comparable only as ratios within one run.

Then a roster of 20,000 rows (a city such as Kota Medan) and one of 50,000 are read and imported
into empty databases; target < 15 s for the 20,000 (``--starts-only`` skips this).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import roster_gen  # noqa: E402

TOKEN = "123456789:BENCH-token-for-the-emulator_xyz"
# What ``sigap run`` imports of the project (compiled before measuring, see above).
PACKAGES = ("bot", "handlers", "models", "scheduler", "services", "texts", "domain")
IDLE_SECONDS = 3.0


def compile_project() -> None:
    for package in PACKAGES:
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise RuntimeError(f"{package} does not compile")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far: start-up is CPU-bound, and on a shared machine
    this moves far less with the load than the wall-clock time does."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def _import(url: str, path: Path) -> tuple[int, float, float]:
    from domain.roster import read_roster
    from models.db import Database
    from models.migrate import upgrade_database
    from models.roster import import_roster
    from models.types import utcnow

    db = Database(url)
    await upgrade_database(db)
    started = time.perf_counter()
    rows = read_roster(path)
    read = time.perf_counter() - started
    result = await import_roster(db, rows, dry_run=False, actor="bench", now=utcnow())
    total = time.perf_counter() - started
    await db.dispose()
    assert result.saved and not result.problems, result.problems[:3]
    return len(rows), read, total


async def start_once(kind: str, workdir: Path, db_url: str) -> tuple[float, float, float]:
    """(seconds to the first getUpdates, CPU seconds by then, idle RSS in MB) of one bot
    process."""
    from emulator import BotApiEmulator

    emulator = BotApiEmulator(token=TOKEN, bot_username="bench_bot")
    await emulator.start()
    if kind == "sigap":
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.base_url,
            "DATABASE_URL": db_url,
            "SIGAP_DATA_DIR": str(workdir / "data"),
            "SIGAP_LOG_LEVEL": "WARNING",
        }
        args = [str(Path(sys.executable).with_name("sigap")), "run"]
    else:
        env = dict(os.environ)
        args = [sys.executable, str(ROOT / "bench" / "bot_process.py"), "echo"]
        args += [emulator.base_url, TOKEN]
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(*args, cwd=workdir, env=env)
    try:
        while not emulator.calls_by_method("getUpdates"):
            if process.returncode is not None:
                raise RuntimeError(f"{kind} exited with {process.returncode}")
            await asyncio.sleep(0.005)
        first_poll = time.perf_counter() - started
        cpu = cpu_seconds(process.pid)
        await asyncio.sleep(IDLE_SECONDS)
        return first_poll, cpu, rss_mb(process.pid)
    finally:
        process.terminate()
        await process.wait()
        await emulator.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="starts per bot (median)")
    parser.add_argument(
        "--starts-only", action="store_true", help="measure the idle bots, not the importer"
    )
    args = parser.parse_args()
    compile_project()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite+aiosqlite:///{workdir / 'sigap.db'}"
        roster = roster_gen.write(workdir / "roster.csv", args.employees // 20, 19)
        await _import(url, roster)

        starts: dict[str, list[tuple[float, float, float]]] = {"echo": [], "sigap": []}
        load_before = load_average()
        for _ in range(args.repeat):
            for kind in starts:  # interleaved, so both meet the same machine
                starts[kind].append(await start_once(kind, workdir, url))
        print(
            f"idle bots ({args.employees:,} employees in Sigap's database), median of "
            f"{args.repeat} starts, RSS after {IDLE_SECONDS:.0f} s idle, from bytecode"
        )
        print(f"load average (1, 5, 15 min): {load_before} before, {load_average()} after")
        print(f"{'bot':<10} {'first poll s':>13} {'CPU s by then':>14} {'RSS MB':>8}")
        medians = {}
        for kind, runs in starts.items():
            first, cpu, rss = (statistics.median(r[i] for r in runs) for i in range(3))
            medians[kind] = (first, cpu, rss)
            print(f"{kind:<10} {first:>13.2f} {cpu:>14.2f} {rss:>8.1f}")
        (echo_first, echo_cpu, echo_rss) = medians["echo"]
        (sigap_first, sigap_cpu, sigap_rss) = medians["sigap"]
        print(
            f"sigap / echo: start-up {sigap_first / echo_first:.2f}x "
            f"(CPU {sigap_cpu / echo_cpu:.2f}x), RSS {sigap_rss / echo_rss:.2f}x"
            f"  (targets: sigap <= 2 s and <= 110 MB)"
        )
        if args.starts_only:
            return

        print()
        print(f"{'roster rows':>12} {'read s':>8} {'read+import s':>14}")
        for rows in (20_000, 50_000):
            path = roster_gen.write(workdir / f"roster{rows}.csv", rows // 20, 19)
            count, read, total = await _import(
                f"sqlite+aiosqlite:///{workdir / f'import{rows}.db'}", path
            )
            print(f"{count:>12,} {read:>8.2f} {total:>14.2f}")
        print("target: 20,000 rows in < 15 s")


if __name__ == "__main__":
    asyncio.run(main())
