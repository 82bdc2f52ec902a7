"""A reminder wave through the outbox: messages/s against Telegram's 30/s, 429s, lost, duplicated.

Not part of the test suite (timings on shared machines are noisy): run
``python bench/reminders.py``. This process plays Telegram (the emulator, flood limits on: 30/s
overall, 1/s per chat, 20/min per group) and the scheduled job (one transaction enqueues a
reminder for every employee); the sender runs in a process of its own, as in production, and
drains the outbox with its default settings.

Reported: sustained rate (from the 10th to the 90th percentile of deliveries, so start-up and
the last straggler do not count) and overall rate (first to last delivery), both also as a
fraction of 30/s; 429s the emulator answered; messages lost (a reminder that never arrived)
and duplicated (arrived more than once); the rows' final statuses.
Target (issue 5): ≥ 27 messages/s sustained, 0 lost, 0 duplicated.

    python bench/reminders.py [--employees 2000] [--latency 0.05] [--database-url URL]
    python bench/reminders.py --sender BASE_URL TOKEN DATABASE_URL   (the sender process)

``--database-url`` must name a throw-away database: its outbox table is emptied first.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete

from bot.http import outbox_bot
from domain.clock import SystemClock
from emulator import BotApiEmulator
from models.db import Database
from models.outbox import (
    OutboxMessage,
    enqueue,
    ensure_outbox_table,
    status_counts,
    text_payload,
)
from scheduler.outbox import OutboxSender

TOKEN = "123456789:BENCH-token-for-the-emulator_xyz"
TELEGRAM_LIMIT = 30.0
ROOT = Path(__file__).resolve().parent.parent


async def run_sender(base_url: str, token: str, db_url: str) -> None:
    """The sender process: production defaults, until the outbox is drained."""
    db = Database(db_url)
    bot = outbox_bot(token, f"{base_url}/bot")
    async with bot:
        stats = await OutboxSender(db, bot, SystemClock()).run_until_idle()
    await db.dispose()
    print(json.dumps(dataclasses.asdict(stats)), flush=True)


async def prepare(db: Database, chat_ids: list[int]) -> list[str]:
    await ensure_outbox_table(db)
    keys = [f"reminder:{i}:2026-11-24:1" for i in range(len(chat_ids))]
    button = {"inline_keyboard": [[{"text": "Lapor sekarang", "callback_data": "log:start"}]]}
    async with db.write() as session:
        await session.execute(delete(OutboxMessage))
        for key, chat_id in zip(keys, chat_ids, strict=True):
            text = (
                f"Selamat siang. Hari ini belum ada kegiatan yang dilaporkan.\n<code>{key}</code>"
            )
            await enqueue(
                session, key, chat_id, "reminder", text_payload(text, reply_markup=button)
            )
    return keys


async def bench(employees: int, latency: float, database_url: str | None) -> dict[str, object]:
    emulator = BotApiEmulator(
        token=TOKEN,
        bot_username="bench_bot",
        flood_limits=True,
        latency=latency,
        record_calls=False,
    )
    await emulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(db_url)
        try:
            users = [emulator.user(first_name=f"Pegawai{i}") for i in range(employees)]
            for user in users:
                emulator.inject_text(user, "/start")  # the bot may write to people who wrote
            keys = await prepare(db, [user.chat_id for user in users])

            # Deliveries over time, sampled; the emulator counts every stored message.
            samples: list[tuple[float, int]] = []
            started = time.monotonic()
            sender = await asyncio.create_subprocess_exec(
                sys.executable,
                str(Path(__file__).resolve()),
                "--sender",
                emulator.base_url,
                TOKEN,
                db_url,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            output = asyncio.create_task(sender.communicate())
            while not output.done():
                samples.append((time.monotonic(), emulator.sent_count))
                await asyncio.sleep(0.02)
            out, _ = await output
            samples.append((time.monotonic(), emulator.sent_count))
            wall = time.monotonic() - started
            if sender.returncode != 0:
                raise SystemExit(f"sender process failed with exit code {sender.returncode}")
            sender_stats = json.loads(out)

            # Per person: their own reminder, once; anything else in their chat is wrong.
            delivered: Counter[str] = Counter()
            misdelivered = 0
            for user, key in zip(users, keys, strict=True):
                for message in user.messages:
                    if message.text.rsplit("\n", 1)[-1] == key:
                        delivered[key] += 1
                    else:
                        misdelivered += 1
            statuses = await status_counts(db)
        finally:
            await db.dispose()
            await emulator.stop()

    total = emulator.sent_count

    def time_at(count: float) -> float:
        return next(at for at, sent in samples if sent >= count)

    first, last = time_at(1), time_at(total)
    low, high = time_at(0.1 * total), time_at(0.9 * total)
    sustained = (0.8 * total) / (high - low) if high > low else float("nan")
    overall = (total - 1) / (last - first) if last > first else float("nan")
    return {
        "employees": employees,
        "latency_s": latency,
        "database": "postgresql" if database_url and "postgres" in database_url else "sqlite",
        "delivered": total,
        "sustained_msg_s": round(sustained, 2),
        "sustained_of_limit": round(sustained / TELEGRAM_LIMIT, 3),
        "overall_msg_s": round(overall, 2),
        "overall_of_limit": round(overall / TELEGRAM_LIMIT, 3),
        "wall_s_including_process_start": round(wall, 1),
        "answered_429": emulator.count_429,
        "lost": sum(1 for key in keys if delivered[key] == 0),
        "duplicated": sum(count - 1 for count in delivered.values() if count > 1),
        "misdelivered": misdelivered,
        "statuses": statuses,
        "sender": sender_stats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per API call")
    parser.add_argument("--database-url", default=None, help="a throw-away database")
    parser.add_argument("--sender", nargs=3, metavar=("BASE_URL", "TOKEN", "DATABASE_URL"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.sender:
        asyncio.run(run_sender(*args.sender))
        return
    result = asyncio.run(bench(args.employees, args.latency, args.database_url))
    width = max(len(name) for name in result)
    for name, value in result.items():
        print(f"{name:<{width}}  {value}")
    ok = (
        float(result["sustained_msg_s"]) >= 27  # type: ignore[arg-type]
        and result["lost"] == 0
        and result["duplicated"] == 0
        and result["misdelivered"] == 0
    )
    print("target (≥ 27 msg/s sustained, 0 lost, 0 duplicated):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
