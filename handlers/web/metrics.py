"""``/metrics``: the process's figures in Prometheus' text format (``services.metrics``), the
database's own (inbox and outbox depth, the oldest pending notification) read at each scrape."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from handlers.web.context import web_context

log = logging.getLogger("sigap.metrics")


async def metrics(request: web.Request) -> web.Response:
    services = web_context(request).services
    try:
        await services.metrics.refresh(services.db, services.clock.now().timestamp())
    except Exception as exc:
        # The process's own figures still help while the database is away; the database's
        # keep their last values (readyz says the database is unreachable).
        log.warning("metrics: could not read the database: %s", exc)
    response = web.Response(body=services.metrics.exposition())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


ROUTES = [web.get("/metrics", metrics)]
