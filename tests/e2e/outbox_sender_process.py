"""The outbox sender as a process of its own, for the kill -9 test: drains the outbox through
the emulator and exits. ``python tests/e2e/outbox_sender_process.py BASE_URL TOKEN DB_URL
MAX_IN_FLIGHT OVERALL_RATE``; prints the run's counts as JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bot.http import outbox_bot
from domain.clock import SystemClock
from models.db import Database
from scheduler.outbox import OutboxSender


async def main(base_url: str, token: str, db_url: str, max_in_flight: int, rate: float) -> None:
    db = Database(db_url)
    bot = outbox_bot(token, f"{base_url}/bot")
    async with bot:
        sender = OutboxSender(
            db, bot, SystemClock(), max_in_flight=max_in_flight, overall_rate=rate
        )
        stats = await sender.run_until_idle()
    await db.dispose()
    print(json.dumps(dataclasses.asdict(stats)), flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    base_url, token, db_url, in_flight, rate = sys.argv[1:6]
    asyncio.run(main(base_url, token, db_url, int(in_flight), float(rate)))
