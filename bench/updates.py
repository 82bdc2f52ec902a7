"""Throughput of Sigap's /start path against a bare PTB echo bot, through the project's emulator.

Not part of the test suite (timings on shared machines are noisy): run ``make bench`` or
``python bench/updates.py``. Each case starts a fresh emulator in this process and the bot in a
process of its own (as against the real Telegram, which is another machine), pushes updates from
many private chats, and waits until every update has been answered. Figures are
reported as ratios against the echo bot measured in the same run, which is what to compare
across machines.

Cases
  echo            PTB's echo bot as installed by default (one update at a time)
  sigap           Sigap's real Application (build_application) answering /start and /bantuan,
                  polled by its own poller (every fetched batch kept in the inbox until handled)
  sigap-no-inbox  the same Application polled by PTB's Updater (no inbox): the inbox's cost
  ...+latency     the same with 50 ms added by the emulator to every Bot API call

Checks per case: no update lost (every update answered) and, per chat, answers in the order the
chat sent its messages (Sigap's answers differ for /start and /bantuan, so order is visible).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from domain.roster import read_roster
from emulator import BotApiEmulator
from models.db import Database
from models.migrate import upgrade_database
from models.roster import import_roster
from models.types import utcnow

BOT_CPU: dict[str, float] = {}  # seconds of CPU the bot process used, by case
TOKEN = "123456789:BENCH-token-for-the-emulator_xyz"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    name: str
    updates: int
    chats: int
    seconds: float
    lost: int
    out_of_order: int

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def prepare_database(workdir: Path) -> str:
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    db = Database(url)
    await upgrade_database(db)
    rows = read_roster(ROOT / "examples" / "roster_belawan.csv")
    await import_roster(db, rows, dry_run=False, actor="bench", now=utcnow())
    await db.dispose()
    return url


async def run_case(
    name: str,
    *,
    sigap: bool,
    latency: float,
    chats: int,
    per_chat: int,
    workdir: Path,
    seed: int = 1,
    concurrency: int = 64,
    webhook: bool = False,
    inbox: bool = True,
) -> Result:
    """One measured run: this process plays Telegram (the emulator and the people), the bot
    runs in a process of its own, as it does against the real Telegram."""
    emulator = BotApiEmulator(
        token=TOKEN, bot_username="bench_bot", latency=latency, record_calls=False
    )
    kind = "sigap-webhook" if webhook else "sigap" if inbox else "sigap-no-inbox"
    await emulator.start()
    args = [
        sys.executable,
        str(ROOT / "bench" / "bot_process.py"),
        kind if sigap else "echo",
        emulator.base_url,
        TOKEN,
    ]
    if sigap:
        args += [await prepare_database(workdir), str(concurrency)]
    if webhook:
        args.append(str(free_port()))
    bot = await asyncio.create_subprocess_exec(*args, cwd=workdir)
    try:
        rng = random.Random(seed)
        users = [emulator.user(first_name=f"Warga{i}") for i in range(chats)]
        expected: dict[int, list[str]] = {u.chat_id: [] for u in users}
        # Warm-up (not timed): the process starts, connections open, identities get cached.
        for user in users:
            emulator.inject_text(user, "/start" if sigap else "warm")
        await emulator.wait_idle(expected_sent=chats, timeout=120)
        base = emulator.sent_count
        plan: list[tuple[object, str]] = []
        for round_ in range(per_chat):
            for user in users:
                text = rng.choice(["/start", "/bantuan"]) if sigap else f"m{round_}"
                expected[user.chat_id].append(text)
                plan.append((user, text))
        total = len(plan)
        started = time.perf_counter()
        for user, text in plan:
            emulator.inject_text(user, text)  # type: ignore[arg-type]
        await emulator.wait_idle(expected_sent=base + total, timeout=max(120, total * 0.2))
        seconds = time.perf_counter() - started
        await asyncio.sleep(0.2)  # anything sent twice would arrive now
        lost = total - (emulator.sent_count - base)
        disorder = 0
        for user in users:
            answers = [m.text for m in user.messages][-len(expected[user.chat_id]) :]
            if sigap:
                got = ["/bantuan" if "Bantuan Sigap" in a else "/start" for a in answers]
            else:
                got = answers
            disorder += sum(1 for a, b in zip(got, expected[user.chat_id], strict=False) if a != b)
        return Result(name, total, chats, seconds, lost, disorder)
    finally:
        try:
            fields = Path(f"/proc/{bot.pid}/stat").read_text().rsplit(")", 1)[1].split()
            BOT_CPU[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
        bot.terminate()
        await bot.wait()
        await emulator.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--per-chat", type=int, default=10, help="updates per chat, no latency")
    parser.add_argument(
        "--per-chat-latency",
        type=int,
        default=5,
        help="updates per chat for Sigap with 50 ms latency",
    )
    parser.add_argument(
        "--echo-latency-updates",
        type=int,
        default=300,
        help="updates for the (slow) echo bot with 50 ms latency",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per no-latency case (median)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)

        def median(runs: list[Result]) -> Result:
            return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]

        cases = (("echo", False, True), ("sigap", True, True), ("sigap-no-inbox", True, False))
        for name, sigap, inbox in cases:
            runs = []
            for i in range(args.repeat):
                run_dir = workdir / f"{name}{i}"
                run_dir.mkdir()
                runs.append(
                    await run_case(
                        name,
                        sigap=sigap,
                        latency=0.0,
                        chats=args.chats,
                        per_chat=args.per_chat,
                        workdir=run_dir,
                        seed=i,
                        inbox=inbox,
                    )
                )
            results[name] = median(runs)
        (workdir / "echo-lat").mkdir()
        results["echo+50ms"] = await run_case(
            "echo+50ms",
            sigap=False,
            latency=0.05,
            chats=min(args.chats, args.echo_latency_updates),
            per_chat=1,
            workdir=workdir / "echo-lat",
        )
        (workdir / "sigap-lat").mkdir()
        results["sigap+50ms"] = await run_case(
            "sigap+50ms",
            sigap=True,
            latency=0.05,
            chats=args.chats,
            per_chat=args.per_chat_latency,
            workdir=workdir / "sigap-lat",
        )

    print(
        f"{'case':<15} {'updates':>8} {'chats':>6} {'seconds':>8} {'updates/s':>10} "
        f"{'lost':>5} {'disorder':>8}"
    )
    for r in results.values():
        print(
            f"{r.name:<15} {r.updates:>8} {r.chats:>6} {r.seconds:>8.2f} {r.rate:>10.0f} "
            f"{r.lost:>5} {r.out_of_order:>8}"
        )
    no_latency = results["sigap"].rate / results["echo"].rate
    with_latency = results["sigap+50ms"].rate / results["echo+50ms"].rate
    print()
    print(f"sigap / echo, no added latency : {no_latency:.2f}x   (target >= 1.0x)")
    print(f"sigap / echo, 50 ms per call   : {with_latency:.1f}x")
    inbox_cost = results["sigap"].rate / results["sigap-no-inbox"].rate
    print(f"sigap / PTB's polling, no inbox: {inbox_cost:.2f}x   (what not losing updates costs)")
    print(
        f"sigap with 50 ms per call      : {results['sigap+50ms'].rate:.0f} updates/s "
        f"across {args.chats} chats (target >= 400)"
    )
    print(
        f"median of {args.repeat} runs for the no-latency cases; "
        f"{statistics.fmean(r.lost for r in results.values()):.0f} lost on average"
    )


if __name__ == "__main__":
    asyncio.run(main())
