"""``/publik``: what the office publishes about its service, read-only and without a login:
per unit and quarter the survey index (IKM) with its grade, respondents, the nine element means
and the unit's written follow-up; per month the complaints received (by kind and category),
verified and answered within the deadline, the median days to an answer and the reopened ones.
``/publik/ikm.csv``, ``/publik/aduan.csv`` and ``/publik/aduan-kategori.csv`` hold the same
tables. ``?lang=en`` for English, ``?q=2026Q3`` for another quarter.

Nothing here identifies a person (``models.public_stats`` reads no names, stories, places or
ids; ``domain.public_stats`` hides small counts). Each request runs five queries (four
quarters' answers, their follow-ups, their units, a year's complaint dates, the categories);
proxies and browsers may keep the result for ``MAX_AGE`` seconds.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from aiohttp import web

from domain.skm import parse_period, period_of, previous_periods
from handlers.web.context import web_context
from services import Services
from texts import LANGUAGES, texts

if TYPE_CHECKING:
    from handlers.web.public_tables import PublicData

# The page, its tables and their queries are imported at the first request (inside the
# functions below), not in every bot process: most offices' pages are read rarely.

MAX_AGE = 300  # seconds: the figures move with complaints handled, not by the second
QUARTERS = 4  # shown side by side, ending with the one asked for
MONTHS = 12


async def _gather(services: Services, period: str) -> PublicData:
    from domain.public_stats import month_figures, months_back
    from handlers.web.public_tables import PublicData
    from models import public_stats

    settings, zone = services.settings, services.timezone
    now = services.clock.now()
    today = now.astimezone(zone).date()
    months = months_back(today, MONTHS)
    first = datetime.combine(date(int(months[-1][:4]), int(months[-1][5:]), 1), time(), zone)
    periods = previous_periods(period, QUARTERS)
    facts = await public_stats.complaint_facts(services.db, first)
    return PublicData(
        organization=settings.organization,
        period=period,
        current=period_of(today),
        periods=periods,
        units=await public_stats.unit_surveys(services.db, periods),
        # Pure Python over a year of complaints: in a thread, so the bot's loop keeps turning.
        months=await asyncio.to_thread(month_figures, facts, months, today, zone),
        categories=await public_stats.category_names(services.db),
        verify_days=settings.complaint_verify_days,
        answer_days=settings.complaint_follow_up_days,
        generated=now,
        zone=zone,
    )


def _request(request: web.Request, services: Services) -> tuple[str, str]:
    """The language and quarter asked for; a quarter that is no quarter is a 400."""
    language = request.query.get("lang", "id")
    language = language if language in LANGUAGES else "id"
    asked = request.query.get("q")
    period = parse_period(asked) if asked else period_of(services.today())
    if period is None:
        raise web.HTTPBadRequest(text=texts(language).plain("public.bad_quarter"))
    return language, period


def _cached(response: web.Response) -> web.Response:
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def page(request: web.Request) -> web.Response:
    from handlers.web.public_page import render_page

    services = web_context(request).services
    language, period = _request(request, services)
    data = await _gather(services, period)
    html = await asyncio.to_thread(render_page, data, texts(language))
    response = web.Response(text=html, content_type="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    response.headers["Content-Language"] = language
    return _cached(response)


async def table(request: web.Request) -> web.Response:
    from handlers.web.public_tables import CSV_TABLES

    name = request.match_info["name"]
    render = CSV_TABLES.get(name)
    if render is None:
        raise web.HTTPNotFound()
    services = web_context(request).services
    language, period = _request(request, services)
    data = await _gather(services, period)
    # A BOM: spreadsheet programs then read the file as UTF-8 ("–", "Triwulan", names).
    rows = await asyncio.to_thread(render, data, texts(language))
    response = web.Response(
        body=("\ufeff" + rows).encode(),
        content_type="text/csv",
        charset="utf-8",
    )
    suffix = "" if language == "id" else f"-{language}"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="sigap-{name}-{period}{suffix}.csv"'
    )
    return _cached(response)


ROUTES = [
    web.get("/publik", page),
    web.get("/publik/", page),
    web.get("/publik/{name}.csv", table),
]
