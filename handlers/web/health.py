"""``/healthz`` and ``/readyz`` for monitoring, systemd watchdogs and load balancers.

``/healthz``: the process is alive, and which role it has (leader, standby, or starting); 503
when a leader has lost its scheduler (its notifications would stop). ``/readyz``: it can do its
work: the database answers, its schema is the one this version expects, and Telegram answered
within the last minute (asked once more if it has been quiet). A standby of polling mode is
ready when the database is: it connects to Telegram only once it leads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web

from handlers.web.context import web_context
from models.migrate import current_revision, head_revision
from services.metrics import Role

log = logging.getLogger("sigap.health")

CHECK_TIMEOUT_SECONDS = 5.0
# Telegram counts as reachable if it answered within this long (the "last minute").
TELEGRAM_FRESH_SECONDS = 60.0


async def healthz(request: web.Request) -> web.Response:
    context = web_context(request)
    metrics = context.services.metrics
    jobs = context.jobs_running()
    report: dict[str, Any] = {
        "role": metrics.role.value,
        "mode": metrics.mode,
        "scheduler": "running" if jobs else "stopped",
    }
    healthy = metrics.role is not Role.LEADER or jobs
    report["status"] = "ok" if healthy else "failing"
    return web.json_response(report, status=200 if healthy else 503)


async def readyz(request: web.Request) -> web.Response:
    context = web_context(request)
    services = context.services
    report: dict[str, Any] = {"role": services.metrics.role.value}
    ready = True
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            # Reading the schema's revision is the round trip that shows the database answers.
            current = await current_revision(services.db)
        report["database"] = "ok"
        head = head_revision()
        report["migrations"] = "current" if current == head else f"at {current}, expected {head}"
        ready = current == head
    except Exception as exc:  # whatever keeps it from answering is what monitoring wants
        log.warning("readiness: database unreachable: %s", exc)
        report["database"] = "unreachable"
        ready = False
    report["telegram"] = await _telegram(context)
    if report["telegram"] == "unreachable":
        ready = False
    report["status"] = "ready" if ready else "not ready"
    return web.json_response(report, status=200 if ready else 503)


async def _telegram(context: Any) -> str:
    metrics = context.services.metrics
    if context.ping_telegram is None:
        return "not connected (standby)"
    answered = metrics.telegram_answered_at
    if answered is not None and time.monotonic() - answered < TELEGRAM_FRESH_SECONDS:
        return "ok"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await context.ping_telegram()
    except Exception as exc:
        log.warning("readiness: Telegram unreachable: %s", exc)
        return "unreachable"
    return "ok"


ROUTES = [web.get("/healthz", healthz), web.get("/readyz", readyz)]
