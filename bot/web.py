"""Sigap's own small web server (``SIGAP_METRICS_LISTEN``, loopback by default), in polling
and webhook mode alike, from the first moment of the process (a standby answers too).

The server is composed here from the route modules of ``handlers/web/``: each exposes its
``ROUTES``, and ``WEB_MODULES`` lists those mounted. Adding a page or an API (a public page, an
Open311 API) is a module with its ``ROUTES`` under ``handlers/web/`` and one entry in
``WEB_MODULES``; what its routes need beyond the services goes into ``WebContext``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import ModuleType

from aiohttp import web

from bot.app import SigapApplication, app_data
from handlers.web import health, metrics, open311, public
from handlers.web.context import CONTEXT, WebContext
from services.metrics import ErrorCounter
from services.settings import ConfigError

log = logging.getLogger("sigap.web")

WEB_MODULES: tuple[ModuleType, ...] = (health, metrics, public, open311)
SHUTDOWN_GRACE_SECONDS = 5.0


def build_web_app(
    context: WebContext, modules: Sequence[ModuleType] = WEB_MODULES
) -> web.Application:
    app = web.Application()
    app[CONTEXT] = context
    for module in modules:
        app.add_routes(module.ROUTES)
    return app


class WebServer:
    """Started before anything else of the process and stopped last, so monitoring sees a
    standby wait and a leader start. While it runs, every line logged at ERROR or above under
    ``sigap`` is counted (``sigap_errors_total``)."""

    def __init__(self, context: WebContext, listen: tuple[str, int] | None) -> None:
        self.context = context
        self._listen = listen
        self._runner: web.AppRunner | None = None
        self._errors = ErrorCounter(context.services.metrics)

    async def start(self) -> None:
        logging.getLogger("sigap").addHandler(self._errors)
        if self._listen is None:
            return  # SIGAP_METRICS_LISTEN set empty: no server
        host, port = self._listen
        runner = web.AppRunner(
            build_web_app(self.context),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(
                f"cannot listen on {host}:{port} (SIGAP_METRICS_LISTEN): {exc.strerror or exc}"
            ) from None
        self._runner = runner
        log.info("health and metrics on http://%s:%s (/healthz, /readyz, /metrics)", host, port)

    async def stop(self) -> None:
        logging.getLogger("sigap").removeHandler(self._errors)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def web_server(application: SigapApplication) -> WebServer:
    """The server of ``application``'s process, on ``SIGAP_METRICS_LISTEN``."""
    data = app_data(application)
    services = data.require_services()
    scheduler = data.require_scheduler()
    context = WebContext(services, jobs_running=lambda: scheduler.running)
    return WebServer(context, services.settings.metrics_address)
