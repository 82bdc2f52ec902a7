"""Open311 GeoReport v2 under ``/open311/v2/``: a city dashboard lists the services (the
complaint categories), reads the public complaints and files new ones.

- ``GET services.{json,xml}``, ``GET services/{code}.{json,xml}`` (the attributes a client may
  send: kind and privacy);
- ``GET requests.{json,xml}`` with ``service_request_id``, ``service_code``, ``status``,
  ``start_date``/``end_date`` and paging (``page``, ``page_size`` up to 1,000), and
  ``GET requests/{tracking number}.{json,xml}``: public to anyone, as the public page is;
- ``POST requests.{json,xml}`` with a client's ``api_key`` (``sigap open311 key create``):
  files a complaint exactly as the chat does and queues its ticket for the unit's desk;
- ``GET openapi.json``: this API described in OpenAPI 3; ``GET /open311/discovery.{json,xml}``:
  Open311 Service Discovery.

What a response may contain is decided in ``models.open311_requests`` (no rahasia complaint,
no person); each api_key is held to ``SIGAP_OPEN311_REQUESTS_PER_MINUTE`` (429 and
Retry-After beyond it). Errors come in GeoReport's format: a list of ``{code, description}``,
described in the client's language (``Accept-Language``: ``en``, else the office's default).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from domain.complaints import Kind, Privacy
from handlers.desk.render import (
    category_name,
    deadlines,
    desk_texts,
    render_ticket,
    status_name,
    ticket_keyboard,
)
from handlers.web.context import WebContext, web_context
from handlers.web.open311_format import respond
from handlers.web.open311_limits import rate_limited
from handlers.web.open311_openapi import openapi_document
from handlers.web.open311_params import Open311Error, filing, request_number, request_query
from models import activities
from models.complaints import ComplaintDraft, TicketDetails
from models.open311 import ApiClient, client_for_key
from models.open311_requests import (
    PublicRequest,
    file_request,
    public_request,
    public_requests,
    service,
    services,
)
from models.tables import Complaint, ComplaintCategory, Unit
from services.settings import Settings
from texts import Texts, texts
from texts.format import format_date

log = logging.getLogger("sigap.open311")

BASE = "/open311/v2"
_FORMAT = "{format:json|xml}"

Handler = Callable[[web.Request], Awaitable[web.Response]]


def _language(request: web.Request, settings: Settings) -> Texts:
    wanted = request.headers.get("Accept-Language", "").strip().lower()
    if wanted.startswith("en"):
        return texts("en")
    if wanted.startswith("id"):
        return texts("id")
    return texts(settings.default_language)


def _api(body: Callable[[web.Request, WebContext, Texts, str], Awaitable[web.Response]]) -> Handler:
    """The route's body with its context, language and format; an ``Open311Error`` becomes
    GeoReport's error list in that format."""

    async def handler(request: web.Request) -> web.Response:
        context = web_context(request)
        tr = _language(request, context.services.settings)
        fmt = request.match_info.get("format", "json")
        try:
            return await body(request, context, tr, fmt)
        except Open311Error as exc:
            error = {
                "code": exc.status,
                "description": tr.plain(f"open311.{exc.key}", **exc.params),
            }
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
            return respond(
                [error], fmt, root="errors", item="error", status=exc.status, headers=headers
            )

    return handler


async def _client(context: WebContext, key: str | None) -> ApiClient | None:
    """The client of ``key`` (403 when it is wrong or revoked), held to its rate."""
    if key is None:
        return None
    client = await client_for_key(context.services.db, key)
    if client is None:
        raise Open311Error(403, "bad_key")
    rate_limited(context, client, context.services.settings.open311_requests_per_minute)
    return client


# --- services ----------------------------------------------------------------------------------


async def _services(request: web.Request, context: WebContext, tr: Texts, fmt: str) -> web.Response:
    rows = [
        {
            "service_code": found.code,
            "service_name": category_name(found.name, found.name_en, tr),
            "description": tr.plain("open311.service_description", unit=found.unit_name),
            "metadata": True,
            "type": "realtime",
            "keywords": "",
            "group": found.unit_name,
        }
        for found in await services(context.services.db)
    ]
    return respond(rows, fmt, root="services", item="service")


def _choices(tr: Texts, section: str, values: list[str]) -> list[dict[str, str]]:
    return [{"key": value, "name": tr.plain(f"{section}.{value}")} for value in values]


async def _definition(
    request: web.Request, context: WebContext, tr: Texts, fmt: str
) -> web.Response:
    code = request.match_info["code"]
    if "\x00" in code or await service(context.services.db, code) is None:
        raise Open311Error(404, "unknown_service", code=code[:40])
    attributes = [
        {
            "variable": True,
            "code": name,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "",
            "order": order,
            "description": tr.plain(f"open311.attribute_{name}"),
            "values": _choices(tr, f"complaint_{name}", values),
        }
        for order, (name, values) in enumerate(
            (("kind", [k.value for k in Kind]), ("privacy", [p.value for p in Privacy])), start=1
        )
    ]
    row = {"service_code": code, "attributes": attributes}
    return respond(row, fmt, root="service_definition", item=None)


# --- requests ----------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _end_of(day: date | None, zone: str) -> str | None:
    """A due date as the last second of that day in the unit's zone."""
    if day is None:
        return None
    return _stamp(datetime.combine(day, time(23, 59, 59), ZoneInfo(zone)))


def _request_row(found: PublicRequest, tr: Texts) -> dict[str, Any]:
    notes = status_name(found.status, tr)
    if found.public_note:
        notes = f"{notes}: {found.public_note}"
    name = category_name(found.service_name, found.service_name_en, tr)
    return {
        "service_request_id": found.number,
        "status": "open" if found.open else "closed",
        "status_notes": notes,
        "service_name": name,
        "service_code": found.service_code,
        "description": found.description or None,  # empty once purged
        "agency_responsible": found.agency,
        "service_notice": None,
        "requested_datetime": _stamp(found.requested_at),
        "updated_datetime": _stamp(found.updated_at),
        "expected_datetime": _end_of(found.expected_by, found.timezone),
        "address": found.address,
        "address_id": None,
        "zipcode": None,
        "lat": found.latitude,
        "long": found.longitude,
        "media_url": None,
    }


async def _requests(request: web.Request, context: WebContext, tr: Texts, fmt: str) -> web.Response:
    await _client(context, request.query.get("api_key"))
    query = request_query(request.query, context.services.clock.now())
    found = await public_requests(context.services.db, query)
    rows = [_request_row(item, tr) for item in found]
    return respond(rows, fmt, root="service_requests", item="request")


async def _request(request: web.Request, context: WebContext, tr: Texts, fmt: str) -> web.Response:
    await _client(context, request.query.get("api_key"))
    number = request_number(request.match_info["id"])
    found = await public_request(context.services.db, number)
    if found is None:
        # Unknown and rahasia alike: a secret complaint's existence is not confirmed either.
        raise Open311Error(404, "not_found", id=number)
    return respond([_request_row(found, tr)], fmt, root="service_requests", item="request")


async def _create(request: web.Request, context: WebContext, tr: Texts, fmt: str) -> web.Response:
    try:
        form = await request.post()
    except ValueError:  # not UTF-8, or not a form at all (UnicodeDecodeError is one)
        raise Open311Error(400, "bad_text", name="body") from None
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    client = await _client(context, fields.get("api_key") or request.query.get("api_key"))
    if client is None:
        raise Open311Error(403, "bad_key")
    checked = filing(fields)
    services_ = context.services
    target = await service(services_.db, checked.service_code)
    if target is None:
        raise Open311Error(400, "unknown_service", code=checked.service_code[:40])
    draft = ComplaintDraft(
        reporter_telegram_id=None,
        reporter_name=checked.name or "",
        kind=checked.kind,
        category_id=target.category_id,
        story=checked.story,
        privacy=checked.privacy,
        location_text=checked.address,
        latitude=checked.latitude,
        longitude=checked.longitude,
        contact_phone=checked.phone,
    )
    desk_tr = desk_texts(services_)

    def ticket(
        complaint: Complaint, category: ComplaintCategory, unit: Unit
    ) -> tuple[str, dict[str, Any] | None]:
        details = TicketDetails(category, unit, None, 0, None)
        markup = ticket_keyboard(complaint, desk_tr)
        return render_ticket(complaint, details, desk_tr), markup.to_dict() if markup else None

    try:
        complaint = await file_request(
            services_.db,
            client,
            draft,
            now=services_.clock.now(),
            today=services_.today(),
            calendar=await activities.work_calendar(services_.db),
            deadlines=deadlines(services_),
            ticket=ticket,
        )
    except LookupError:  # the category was retired meanwhile
        raise Open311Error(400, "unknown_service", code=checked.service_code[:40]) from None
    log.info("open311: %s filed %s", client.name, complaint.tracking_number)
    notice = tr.plain(
        "open311.filed_notice",
        number=complaint.tracking_number,
        date=format_date(complaint.verification_due, tr.language),
    )
    row = {
        "service_request_id": complaint.tracking_number,
        "service_notice": notice,
        "account_id": None,
    }
    return respond([row], fmt, root="service_requests", item="request", status=201)


# When this API's description last changed (Service Discovery's "changeset").
CHANGESET = "2026-12-03T00:00:00Z"


async def _discovery(
    request: web.Request, context: WebContext, tr: Texts, fmt: str
) -> web.Response:
    """Open311 Service Discovery: where the GeoReport v2 endpoint is and how to get a key. The
    address is the one the client used (through the reverse proxy: its Host)."""
    endpoint = {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": f"{request.url.origin()}{BASE}",
        "changeset": CHANGESET,
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    row = {
        "changeset": CHANGESET,
        "contact": tr.plain("open311.discovery_contact"),
        "key_service": tr.plain("open311.discovery_key_service"),
        "endpoints": [endpoint],
    }
    return respond(row, fmt, root="discovery", item=None)


async def _unknown(request: web.Request, context: WebContext, tr: Texts, fmt: str) -> web.Response:
    """Any other path or method under /open311/: the spec's error format, not aiohttp's text."""
    raise Open311Error(404, "unknown_path")


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


ROUTES = [
    web.get(f"{BASE}/services.{_FORMAT}", _api(_services)),
    web.get(f"{BASE}/services/{{code}}.{_FORMAT}", _api(_definition)),
    web.get(f"{BASE}/requests.{_FORMAT}", _api(_requests)),
    web.post(f"{BASE}/requests.{_FORMAT}", _api(_create)),
    web.get(f"{BASE}/requests/{{id}}.{_FORMAT}", _api(_request)),
    web.get(f"{BASE}/openapi.json", _openapi),
    web.get(f"/open311/discovery.{_FORMAT}", _api(_discovery)),
    # Last: only what no route above takes.
    web.route("*", r"/open311/{tail:[\s\S]*}", _api(_unknown)),
]
