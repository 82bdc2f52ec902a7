"""What the web routes get from the composition root: one ``WebContext`` per server, stored on
the aiohttp application under ``CONTEXT`` (a typed key, not a string)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from services import Services


def _nothing_runs() -> bool:
    return False


@dataclass(eq=False)
class WebContext:
    services: Services
    # Whether the scheduler and the outbox sender run in this process (leaders only).
    jobs_running: Callable[[], bool] = _nothing_runs
    # One cheap Bot API call (getMe); raises when Telegram cannot be reached. None while this
    # process has not connected to Telegram (a standby of polling mode never does).
    ping_telegram: Callable[[], Awaitable[object]] | None = None


CONTEXT = web.AppKey("sigap", WebContext)


def web_context(request: web.Request) -> WebContext:
    return request.app[CONTEXT]
