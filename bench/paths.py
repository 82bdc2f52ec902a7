"""Updates/s of Sigap's busiest paths beside bare echo bots, the Bot API server in a process of
its own.

    python bench/paths.py [--chats 1000] [--per-chat 10] [--repeat 3]

Three processes per case, as against the real Telegram: this one (plans the messages, checks
the answers), the emulator (``bench/telegram_process.py``) and the bot. Each case sends
``--per-chat`` messages from each of ``--chats`` private chats at once and times until every
one is answered; the cases are interleaved, ``--repeat`` rounds, median reported.

  echo      PTB 22's echo bot as installed by default (one update at a time)
  aiogram   aiogram 3's echo bot (needs ``make bench-aiogram``; skipped without it)
  citizen   Sigap: free text from people who are not employees (their most common first
            contact): who is talking, no open conversation, no complaint awaiting them, the
            polite answer
  quicklog  Sigap: employees logging their day in one message ("Rapat koordinasi 2 jam"):
            parsed, a draft kept in their conversation, the summary with its buttons, then
            "✅ Simpan" pressed on it (saved, the summary edited): half the updates are the
            presses. Each chat waits for its summary before pressing, as a person does; a
            summary that shows another message's activity counts as out of order

BENCH_SHOW=1 in the environment prints the bot's process id once its warm-up is over (for
``py-spy record -p PID``) and the first chat's answers.

Checks: nothing lost (every message answered once) and, where the answers tell (echo, aiogram,
quicklog, which repeat what was sent), each chat's answers in the order it wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import roster_gen  # noqa: E402

TOKEN = "123456789:BENCH-token-for-the-emulator_xyz"
AIOGRAM_PYTHON = ROOT / ".venv-aiogram" / "bin" / "python"
EMPLOYEE_IDS = 5_000_000
CITIZEN_IDS = 6_000_000
BOT_CPU: dict[str, list[float]] = {}


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far (0 where /proc cannot tell)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


async def prepare(url: str, workdir: Path, chats: int) -> None:
    """A roster with ``chats`` employees, each linked to the Telegram id EMPLOYEE_IDS + n."""
    from sqlalchemy import insert, select

    from domain.roster import read_roster
    from models.db import Database
    from models.migrate import upgrade_database
    from models.roster import import_roster
    from models.tables import Employee, TelegramLink, TelegramUser
    from models.types import utcnow

    db = Database(url)
    await upgrade_database(db)
    path = roster_gen.write(workdir / "roster.csv", chats // 19 + 1, 19)
    result = await import_roster(db, read_roster(path), dry_run=False, actor="b", now=utcnow())
    assert result.saved, result.problems[:3]
    async with db.write() as session:
        ids = (await session.execute(select(Employee.id).order_by(Employee.id))).scalars().all()
        await session.execute(
            insert(TelegramUser),
            [{"id": EMPLOYEE_IDS + n, "first_name": f"P{n}"} for n in range(chats)],
        )
        await session.execute(
            insert(TelegramLink),
            [
                {"employee_id": ids[n + 1], "telegram_user_id": EMPLOYEE_IDS + n}
                for n in range(chats)
            ],
        )
    await db.dispose()


def _text(case: str, chat: int, k: int) -> str:
    if case == "quicklog":
        return f"Verifikasi berkas KTP nomor {chat}-{k} 1 jam"
    if case == "citizen":
        return "Selamat pagi, saya mau tanya cara mengurus KTP"
    return f"m{chat}-{k}"


def _in_order(case: str, chat: int, answers: list[str], per_chat: int) -> int:
    """How many of this chat's answers are out of place (0 when the answers cannot tell)."""
    if case == "citizen":
        return 0
    marks = [
        f"nomor {chat}-{k} " if case == "quicklog" else f"m{chat}-{k}" for k in range(per_chat)
    ]
    tail = answers[-per_chat:]
    if case == "quicklog":
        return sum(1 for mark, answer in zip(marks, tail, strict=False) if mark not in answer + " ")
    return sum(1 for mark, answer in zip(marks, tail, strict=False) if mark != answer)


async def run_case(case: str, chats: int, per_chat: int, workdir: Path) -> dict[str, Any]:
    telegram = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "telegram_process.py"),
        TOKEN,
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    assert telegram.stdout is not None
    where = json.loads(await telegram.stdout.readline())
    control = where["control"]
    first = EMPLOYEE_IDS if case == "quicklog" else CITIZEN_IDS
    ids = list(range(first, first + chats))
    bot: asyncio.subprocess.Process | None = None
    cpu_before: float | None = None
    async with aiohttp.ClientSession() as http:

        async def call(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with http.post(f"{control}{path}", json=body) as response:
                result: dict[str, Any] = await response.json()
                return result

        try:
            await call("/users", {"ids": ids})
            if case == "aiogram":
                args = [str(AIOGRAM_PYTHON), str(ROOT / "bench" / "aiogram_echo.py")]
                args += [where["base_url"], TOKEN]
            else:
                kind = "echo" if case == "echo" else "sigap"
                args = [sys.executable, str(ROOT / "bench" / "bot_process.py"), kind]
                args += [where["base_url"], TOKEN]
                if kind == "sigap":
                    url = f"sqlite+aiosqlite:///{workdir / 'sigap.db'}"
                    if not (workdir / "sigap.db").exists():
                        await prepare(url, workdir, chats)
                    args += [url, "64"]
            env = {
                **os.environ,
                "SIGAP_DATA_DIR": str(workdir / "data"),
                # No reminder wave in the middle of the measurement, whatever the hour.
                "SIGAP_REMINDER_TIMES": "23:58",
                "SIGAP_REMINDER_QUIET_FROM": "23:59",
            }
            bot = await asyncio.create_subprocess_exec(*args, cwd=workdir, env=env)
            # Warm-up (not timed): the process starts, connections open, identities cached.
            warm = "/start" if case in ("citizen", "quicklog") else "warm"
            await call("/inject", {"messages": [[i, warm] for i in ids]})
            done = await call("/wait", {"sent": chats, "timeout": 600})
            assert "error" not in done, done
            # CPU from here on: the measured updates only (not start-up nor warm-up).
            cpu_before = _cpu_seconds(bot.pid)
            if os.environ.get("BENCH_SHOW"):
                # For a profiler to attach to the measured updates only (py-spy record -p PID).
                print(f"measuring {case}: bot pid {bot.pid}", flush=True)
            if case == "quicklog":
                # Closed loop per chat: a message, then the save button on its summary.
                result = await call("/quicklog", {"rounds": per_chat // 2})
                total = 2 * (per_chat // 2) * chats
                return {
                    "case": case,
                    "updates": total,
                    "seconds": result["seconds"],
                    "rate": total / result["seconds"],
                    "lost": 0,
                    "extra": 0,
                    "disorder": result["disorder"],
                    "error": None,
                }
            plan = [[i, _text(case, i, k)] for k in range(per_chat) for i in ids]
            base = (await call("/inject", {"messages": plan}))["base"]
            total = len(plan)
            done = await call("/wait", {"sent": base + total, "timeout": max(600, total * 0.2)})
            seconds = done.get("seconds", float("nan"))
            await asyncio.sleep(0.5)  # anything sent twice arrives now
            answers = await call("/answers", {"ids": ids})
            if os.environ.get("BENCH_SHOW"):
                print(json.dumps(answers[str(ids[0])], ensure_ascii=False, indent=1))
            got = sum(len(a) for a in answers.values()) - chats
            disorder = sum(_in_order(case, i, answers[str(i)], per_chat) for i in ids)
            return {
                "case": case,
                "updates": total,
                "seconds": seconds,
                "rate": total / seconds,
                "lost": max(0, total - got),
                "extra": max(0, got - total),
                "disorder": disorder,
                "error": done.get("error"),
            }
        finally:
            if bot is not None:
                if cpu_before is not None:
                    BOT_CPU.setdefault(case, []).append(_cpu_seconds(bot.pid) - cpu_before)
                bot.terminate()
                await bot.wait()
            telegram.terminate()
            await telegram.wait()


def cpu_per_update(case: str, found: list[dict[str, Any]]) -> float:
    """The bot process's CPU per measured update (after the warm-up), median."""
    spent = BOT_CPU.get(case, [])
    per = [cpu / run["updates"] * 1000 for cpu, run in zip(spent, found, strict=False)]
    return statistics.median(per) if per else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default="echo,aiogram,citizen,quicklog")
    args = parser.parse_args()
    cases = args.cases.split(",")
    if "aiogram" in cases and not AIOGRAM_PYTHON.exists():
        print("aiogram: skipped (make bench-aiogram installs it in .venv-aiogram)")
        cases.remove("aiogram")
    runs: dict[str, list[dict[str, Any]]] = {case: [] for case in cases}
    for round_ in range(args.repeat):
        for case in cases:  # interleaved: every case meets the same machine
            with tempfile.TemporaryDirectory() as tmp:
                runs[case].append(await run_case(case, args.chats, args.per_chat, Path(tmp)))
            print(f"round {round_ + 1} {case}: {runs[case][-1]['rate']:.0f}/s", flush=True)
    print()
    print(
        f"{args.chats} chats x {args.per_chat} messages, emulator and bot each in a process of "
        f"their own; median of {args.repeat}"
    )
    print(
        f"{'case':<10} {'updates/s':>10} {'x echo':>7} {'CPU ms/update':>14} {'lost':>5} "
        f"{'extra':>6} {'disorder':>9}"
    )
    rates = {case: statistics.median(r["rate"] for r in found) for case, found in runs.items()}
    echo = rates.get("echo", float("nan"))
    for case, found in runs.items():
        print(
            f"{case:<10} {rates[case]:>10.0f} {rates[case] / echo:>7.2f} "
            f"{cpu_per_update(case, found):>14.2f} "
            f"{sum(r['lost'] for r in found):>5} {sum(r['extra'] for r in found):>6} "
            f"{sum(r['disorder'] for r in found):>9}"
        )


if __name__ == "__main__":
    asyncio.run(main())
