"""Health and metrics, scraped as Prometheus and a load balancer would: the bot runs as
``sigap run`` does (``bot.polling.poll``: the health and metrics server, the lock, the poller)
against the emulator, and the figures must move with what people and jobs do."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot.app import ALLOWED_UPDATES, app_data, build_application
from bot.polling import poll
from domain.clock import ManualClock
from emulator import BotApiEmulator
from emulator.faults import FaultPlan
from models.db import Database
from models.identity import IdentityCache
from models.outbox import enqueue, text_payload
from tests.e2e.harness import (
    BOT_USERNAME,
    START,
    TOKEN,
    eventually,
    free_port,
    harness_settings,
)

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class Running:
    def __init__(self, emulator: BotApiEmulator, application: Any, url: str) -> None:
        self.emulator = emulator
        self.application = application
        self.url = url
        self.services = app_data(application).require_services()

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.url + path) as response:
            return response.status, await response.text()

    async def json(self, path: str) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session, session.get(self.url + path) as response:
            return response.status, await response.json()

    async def figure(self, name: str, **labels: str) -> float:
        """One sample of /metrics (0 when the series does not exist yet)."""
        _, body = await self.get("/metrics")
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in body.splitlines():
            match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
            if match is None or match.group(1) != name:
                continue
            found = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if found == wanted:
                return float(match.group(3))
        return 0.0

    async def reaches(self, value: float, name: str, **labels: str) -> float:
        """The figure once it reaches ``value`` (counted after the reply went out), or as it
        stands after a few seconds."""
        for _ in range(250):
            found = await self.figure(name, **labels)
            if found >= value:
                return found
            await asyncio.sleep(0.02)
        return found


@pytest.fixture
async def running(db_url: str, tmp_path: Any) -> AsyncIterator[Running]:
    emulator = BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME)
    await emulator.start()
    port = free_port()
    settings = harness_settings(
        emulator,
        db_url,
        SIGAP_DATA_DIR=str(tmp_path / "data"),
        SIGAP_METRICS_LISTEN=f"127.0.0.1:{port}",
    )
    db = Database(db_url)
    application = build_application(settings, db=db, clock=ManualClock(START))
    stop = asyncio.Event()
    task = asyncio.create_task(poll(application, ALLOWED_UPDATES, stop))
    await eventually(lambda: bool(emulator.calls_by_method("getUpdates")) or task.done(), 10)
    if task.done():
        await task
    try:
        yield Running(emulator, application, f"http://127.0.0.1:{port}")
    finally:
        stop.set()
        await asyncio.wait_for(task, 40)
        await emulator.stop()


async def test_health_readiness_and_figures_move(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, health = await running.json("/healthz")
    assert (status, health["role"], health["mode"], health["scheduler"]) == (
        200,
        "leader",
        "polling",
        "running",
    )
    status, ready = await running.json("/readyz")
    assert status == 200, ready
    assert (ready["database"], ready["migrations"], ready["telegram"]) == ("ok", "current", "ok")
    assert await running.figure("sigap_leader") == 1

    # An update handled: counted by kind and outcome, and timed.
    siti = running.emulator.user(first_name="Siti")
    await siti.send("/start")
    await siti.wait_for(1)
    ok = {"kind": "message", "outcome": "ok"}
    assert await running.reaches(1, "sigap_updates_total", **ok) == 1
    assert await running.figure("sigap_update_seconds_count") == 1

    # A handler that fails: the update counts as an error, and so does the line logged.
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the identity store is down")

    monkeypatch.setattr(IdentityCache, "get", broken)
    await siti.send("/bantuan")
    await siti.wait_for(1)  # the apology
    monkeypatch.undo()
    failed = {"kind": "message", "outcome": "error"}
    assert await running.reaches(1, "sigap_updates_total", **failed) == 1
    assert await running.figure("sigap_errors_total", logger="sigap.errors") >= 1

    # A 429 on a reply: counted, waited out, retried.
    running.emulator.faults.enable(FaultPlan({"429": 1.0}, methods=frozenset({"sendMessage"})))
    await siti.send("/bantuan")
    refused = {"code": "429", "client": "replies"}
    await running.reaches(1, "sigap_telegram_refusals_total", **refused)
    running.emulator.faults.plan = None
    await siti.wait_for(1, timeout=10)
    assert await running.figure("sigap_telegram_refusals_total", **refused) >= 1

    # The outbox while its sender is stopped: its depth and the age of its oldest row; then a
    # 403 from a person who blocked the bot, and a job's runs.
    scheduler = app_data(running.application).require_scheduler()
    await scheduler.stop()
    status, health = await running.json("/healthz")
    assert (status, health["status"]) == (503, "failing")
    services = running.services
    late = services.clock.now() - timedelta(minutes=10)
    blocked = running.emulator.user(first_name="Budi")
    blocked.open_private_chat()
    blocked.block()
    async with services.db.write() as session:
        await enqueue(
            session, key="test:blocked", chat_id=blocked.id, kind="test",
            payload=text_payload("Halo"), now=late, not_before=late,
        )  # fmt: skip
    assert await running.figure("sigap_outbox_pending") == 1
    assert 590 <= await running.figure("sigap_outbox_oldest_pending_seconds") <= 610
    runs = await running.figure("sigap_job_runs_total", job="reminders")
    await scheduler.tick()
    assert await running.figure("sigap_job_runs_total", job="reminders") == runs + 1
    await scheduler.start()
    assert scheduler.sender is not None
    scheduler.sender.notify()  # the row was committed before the sender started
    outcome = {"code": "403", "client": "outbox"}
    assert await running.reaches(1, "sigap_telegram_refusals_total", **outcome) == 1
    assert await running.figure("sigap_outbox_pending") == 0
    assert await running.figure("sigap_outbox_oldest_pending_seconds") == 0
    assert await running.figure("sigap_inbox_depth") == 0
