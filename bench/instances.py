"""Several instances on one PostgreSQL: updates/s with 1 and 2 webhook receivers, and the time a
hot standby takes to take over, measured in the same run.

Not part of the test suite: ``python bench/instances.py``. The bots run in processes of their
own (``bench/bot_process.py``), the emulator plays Telegram in this one with 50 ms added to every
Bot API call and every webhook call (the network), and a round-robin balancer
(``emulator.balancer``) stands in front of the receivers, in both cases, so they differ only in
the number of receivers. Each case has a fresh database on the PostgreSQL server named by
``SIGAP_BENCH_POSTGRES_URL`` (default: the tests' local server).

Takeover: two polling ``sigap run`` on one database; the leader is killed with SIGKILL, and the
time from the kill to the standby's answer to a person's message is taken, 10 times (the killed
process is started again each time and becomes the standby). Reported: median and max.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from updates import ROOT, TOKEN, free_port

from domain.roster import read_roster
from emulator import BotApiEmulator
from emulator.balancer import RoundRobin
from models.db import Database
from models.migrate import upgrade_database
from models.roster import import_roster
from models.types import utcnow

POSTGRES_URL = os.environ.get(
    "SIGAP_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
LATENCY = 0.05


async def _admin(sql: str) -> None:
    db = Database(POSTGRES_URL)
    async with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        await conn.execute(text(sql))
    await db.dispose()


async def fresh_database() -> tuple[str, str]:
    name = f"sigap_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    await upgrade_database(db)
    rows = read_roster(ROOT / "examples" / "roster_belawan.csv")
    await import_roster(db, rows, dry_run=False, actor="bench", now=utcnow())
    await db.dispose()
    return name, url


async def _bot(
    args: list[str], workdir: Path, metrics_port: int | None = None
) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    if metrics_port is not None:
        env["SIGAP_METRICS_LISTEN"] = f"127.0.0.1:{metrics_port}"
    with (workdir / f"bot-{uuid.uuid4().hex[:6]}.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "bot_process.py"),
            *args,
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )


async def receivers_case(count: int, chats: int, per_chat: int, workdir: Path) -> float:
    """Updates/s through ``count`` webhook receivers behind the balancer."""
    name, url = await fresh_database()
    emulator = BotApiEmulator(
        token=TOKEN, bot_username="bench_bot", latency=LATENCY, record_calls=False
    )
    await emulator.start()
    ports = [free_port() for _ in range(count)]
    balancer = RoundRobin([f"http://127.0.0.1:{port}/telegram" for port in ports])
    await balancer.start()
    bots = []
    try:
        for port in ports:
            bots.append(
                await _bot(
                    ["sigap-webhook", emulator.base_url, TOKEN, url, "64", str(port), balancer.url],
                    workdir,
                )
            )
        rng = random.Random(count)
        users = [emulator.user(first_name=f"Warga{i}") for i in range(chats)]
        for user in users:  # warm-up, not timed: processes start, identities get cached
            emulator.inject_text(user, "/start")
        await emulator.wait_idle(expected_sent=chats, timeout=300)
        base = emulator.sent_count
        total = chats * per_chat
        started = time.perf_counter()
        for _ in range(per_chat):
            for user in users:
                emulator.inject_text(user, rng.choice(["/start", "/bantuan"]))
        await emulator.wait_idle(expected_sent=base + total, timeout=max(300, total * 0.5))
        seconds = time.perf_counter() - started
        assert emulator.sent_count - base == total, "updates lost"
        return total / seconds
    finally:
        for bot in bots:
            bot.terminate()
            await bot.wait()
        await balancer.stop()
        await emulator.stop()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _role(port: int) -> str | None:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            return str((await response.json())["role"])
    except aiohttp.ClientError:
        return None


async def _until_role(port: int, role: str) -> None:
    deadline = time.monotonic() + 120
    while await _role(port) != role:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the bot on {port} never became {role}")
        await asyncio.sleep(0.05)


async def takeover_case(kills: int, workdir: Path) -> list[float]:
    name, url = await fresh_database()
    emulator = BotApiEmulator(token=TOKEN, bot_username="bench_bot", record_calls=False)
    await emulator.start()
    ports = [free_port(), free_port()]
    bots: dict[int, asyncio.subprocess.Process] = {}
    command = ["sigap", emulator.base_url, TOKEN, url, "64"]
    person = emulator.user(first_name="Warga")
    times: list[float] = []
    try:
        for port in ports:
            bots[port] = await _bot(command, workdir, port)
            await _until_role(port, "leader" if port == ports[0] else "standby")
        leader, standby = ports
        for _ in range(kills):
            bots[leader].send_signal(signal.SIGKILL)
            await bots[leader].wait()
            killed_at = time.monotonic()
            answered = len(person.messages)
            emulator.inject_text(person, "/bantuan")
            while len(person.messages) == answered:
                if time.monotonic() - killed_at > 120:
                    raise TimeoutError("the standby did not take over")
                await asyncio.sleep(0.005)
            times.append(time.monotonic() - killed_at)
            await _until_role(standby, "leader")
            bots[leader] = await _bot(command, workdir, leader)
            await _until_role(leader, "standby")
            leader, standby = standby, leader
        return times
    finally:
        for bot in bots.values():
            if bot.returncode is None:
                bot.terminate()
                await bot.wait()
        await emulator.stop()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--per-chat", type=int, default=3, help="updates per chat")
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"sigap-bench-{uuid.uuid4().hex[:6]}"
    workdir.mkdir()
    rates = {n: await receivers_case(n, args.chats, args.per_chat, workdir) for n in (1, 2)}
    print(f"webhook receivers on PostgreSQL, {LATENCY * 1000:.0f} ms per Bot API call:")
    for n, rate in rates.items():
        print(f"  {n} receiver(s): {rate:7.0f} updates/s")
    print(f"  2 / 1: {rates[2] / rates[1]:.2f}x")
    times = await takeover_case(args.kills, workdir)
    print(
        f"takeover after kill -9 (kill to the standby's answer), {len(times)} kills: "
        f"median {statistics.median(times):.2f} s, max {max(times):.2f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
