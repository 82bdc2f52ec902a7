"""Webhook mode: Telegram POSTs each update to our own small aiohttp server, and we answer 200
only once the update has been handled.

Telegram keeps an update queued until the webhook answers it with 2xx and redelivers it
otherwise (an error status, a refused or dropped connection, a time-out). Answering after
handling therefore means that a process killed in the middle of an update loses nothing: the
update comes again after the restart, and the handlers' own guards (a conversation's
``last_update_id``, compare-and-set steps, unique keys) keep the redelivery from saving anything
twice. Long polling keeps the same promise through the inbox (``bot.polling``).

Routes: ``POST <path of SIGAP_WEBHOOK_URL>`` takes updates (only with the secret header Telegram
sends back); ``GET /healthz`` answers the office's monitoring.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError

from bot.app import ALLOWED_UPDATES, SigapApplication, app_data
from bot.lifecycle import (
    only_instance,
    run_until_signalled,
    start_application,
    stop_application,
)
from models.outbox import pending_count
from services.settings import ConfigError, Settings

log = logging.getLogger("sigap.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram opens up to max_connections connections at once (at most 100), each waiting for its
# update to be handled: as many as the updates we handle at once (SIGAP_CONCURRENT_UPDATES).
MAX_CONNECTIONS = 100
# On a clean stop, updates being handled get this long to finish and be answered; the rest are
# left unanswered and Telegram delivers them again after the restart.
SHUTDOWN_GRACE_SECONDS = 10.0
HEALTH_TIMEOUT_SECONDS = 5.0


def webhook_path(url: str) -> str:
    """Where the local server takes updates: the path of the public URL (the reverse proxy
    passes it through unchanged)."""
    return urlsplit(url).path or "/"


class WebhookServer:
    """The aiohttp application: one route for updates, one for health."""

    def __init__(self, application: SigapApplication, *, secret: str, path: str) -> None:
        self._application = application
        self._secret = secret.encode()
        self._path = path

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self._path, self._take_update)
        app.router.add_get("/healthz", self._health)
        return app

    async def _take_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text="secret token missing")
        # Constant time: the comparison must not tell a prober how much of a guess was right.
        # aiohttp keeps header bytes that are not UTF-8 as surrogates: no secret of ours.
        if not hmac.compare_digest(given.encode(errors="surrogateescape"), self._secret):
            log.warning("webhook request with a wrong secret token from %s", request.remote)
            return web.Response(status=403, text="wrong secret token")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self._application.bot)
        except Exception:
            # Whatever the body is (not UTF-8, nested too deep, an object PTB cannot read:
            # ValueError, RecursionError, AttributeError, ...), it is not an update: 400,
            # and nothing of it in the log.
            return web.Response(status=400, text="not a Telegram update")
        application = self._application
        # The same path as polling: PTB hands every fetched update to the update processor
        # (ChatOrderedProcessor: chats concurrently, each chat in order) with this coroutine.
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        # 200 also when a handler raised. PTB has already passed the error to our error handler,
        # which apologised to the person and told the operators; a redelivery would run the same
        # code on the same input, apologise again, and, since Telegram sends a chat's next
        # update only after this one is answered, hold that chat's later messages (and, once
        # Telegram's small buffer is full of them, everyone's) until it gives up a day later.
        return web.Response(status=200)

    async def _health(self, request: web.Request) -> web.Response:
        healthy, report = await health_report(self._application)
        return web.json_response(report, status=200 if healthy else 503)


async def health_report(application: SigapApplication) -> tuple[bool, dict[str, Any]]:
    """Database reachable, scheduler running, notifications waiting in the outbox."""
    data = app_data(application)
    services, scheduler = data.require_services(), data.scheduler
    report: dict[str, Any] = {"database": "ok", "scheduler": "running", "outbox_pending": None}
    healthy = True
    try:
        report["outbox_pending"] = await asyncio.wait_for(
            pending_count(services.db), HEALTH_TIMEOUT_SECONDS
        )
    except Exception as exc:  # any failure to answer is what monitoring wants to see
        log.warning("health check: database unreachable: %s", exc)
        report["database"] = "unreachable"
        healthy = False
    if scheduler is None or not scheduler.running:
        report["scheduler"] = "stopped"
        healthy = False
    report["status"] = "ok" if healthy else "failing"
    return healthy, report


def run_webhook(application: SigapApplication, settings: Settings) -> None:
    """``sigap run --webhook``: serve until SIGINT or SIGTERM."""

    async def serve_alone(stop: asyncio.Event) -> None:
        async with only_instance(app_data(application).require_services().db):
            await serve(application, settings, stop)

    run_until_signalled(serve_alone)


async def serve(
    application: SigapApplication,
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    """Start the bot, its server and the webhook; on ``stop``, finish what is in progress and
    shut down, leaving the webhook set."""
    url, secret = settings.require_webhook()
    server = WebhookServer(application, secret=secret, path=webhook_path(url))
    try:
        await start_application(application)
        runner = web.AppRunner(
            server.make_app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.webhook_listen, settings.webhook_port)
            try:
                await site.start()
            except OSError as exc:
                raise ConfigError(
                    f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} "
                    f"(SIGAP_WEBHOOK_LISTEN, SIGAP_WEBHOOK_PORT): {exc.strerror or exc}"
                ) from None
            await _set_webhook(application, url, secret, settings.concurrent_updates)
            log.info(
                "webhook mode: Telegram calls %s; listening on %s:%s",
                url,
                settings.webhook_listen,
                settings.webhook_port,
            )
            await stop.wait()
        finally:
            # The webhook stays set: Telegram keeps queueing updates while we restart.
            await runner.cleanup()
    finally:
        await stop_application(application)


async def _set_webhook(
    application: SigapApplication,
    url: str,
    secret: str,
    concurrent_updates: int,
) -> None:
    try:
        await application.bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=max(1, min(MAX_CONNECTIONS, concurrent_updates)),
            # Updates that arrived while we were down are exactly what must not be lost.
            drop_pending_updates=False,
        )
    except TelegramError as exc:
        raise ConfigError(f"setWebhook {url} failed: {exc.message}") from None
