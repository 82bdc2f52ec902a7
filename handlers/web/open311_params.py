"""What an Open311 client sends, read and checked: the filters and paging of ``GET
requests``, and the form of ``POST requests``. Anything wrong raises ``Open311Error`` with the
HTTP status GeoReport v2 gives it and a catalogue key for the description."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.complaints import (
    Kind,
    Privacy,
    Problem,
    contact_allowed,
    parse_tracking_number,
    validate_address,
    validate_story,
)
from models.open311_requests import MAX_RESULTS, RequestQuery

# GeoReport v2: without dates, the last 90 days; a range may not span more than that.
DEFAULT_WINDOW = timedelta(days=90)
MAX_SPAN = timedelta(days=90)
STATUSES = ("open", "closed")
# W3C datetime profile: a date, or a date and time (minutes or more) with its zone.
_W3C = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2}))?"
)
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,24}")
NAME_MAX = 120
PHONE_MIN_DIGITS = 8


class Open311Error(Exception):
    """An answer in GeoReport's error format: ``status`` and the description's catalogue key
    (``open311.<key>``) with its values."""

    def __init__(
        self, status: int, key: str, *, retry_after: int | None = None, **params: object
    ) -> None:
        super().__init__(key)
        self.status, self.key, self.params, self.retry_after = status, key, params, retry_after


def _one(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if "\x00" in value:
        # No text anywhere in Sigap holds one (PostgreSQL refuses it outright).
        raise Open311Error(400, "bad_text", name=name)
    value = value.strip()
    return value or None


def _listed(params: Mapping[str, str], name: str) -> tuple[str, ...]:
    value = _one(params, name)
    if value is None:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def parse_w3c(value: str, name: str) -> datetime:
    """A W3C datetime (``2026-11-24T09:00:00+07:00``, ``2026-11-24T02:00Z``, ``2026-11-24``
    as midnight UTC) in UTC."""
    if not _W3C.fullmatch(value):
        raise Open311Error(400, "bad_date", name=name, value=value[:40])
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, "bad_date", name=name, value=value[:40]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _given(params: Mapping[str, str], name: str) -> str | None:
    """A typed parameter (a number, a date, a status): absent is None, but given empty is as
    wrong as any other value that is not one."""
    if name not in params:
        return None
    return _one(params, name) or ""


def _positive(params: Mapping[str, str], name: str, default: int) -> int:
    value = _given(params, name)
    if value is None:
        return default
    if not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise Open311Error(400, "bad_number", name=name)
    return int(value)


def request_query(params: Mapping[str, str], now: datetime) -> RequestQuery:
    """The filters of ``GET requests``. ``service_request_id`` (comma-separated) overrides the
    others, as the spec says; paging is ``page`` (from 1) and ``page_size`` (at most 1,000)."""
    page = _positive(params, "page", 1)
    size = _positive(params, "page_size", MAX_RESULTS)
    if size > MAX_RESULTS:
        raise Open311Error(400, "too_many", limit=MAX_RESULTS)
    offset = (page - 1) * size
    numbers = _listed(params, "service_request_id")
    if numbers:
        if len(numbers) > MAX_RESULTS:
            raise Open311Error(400, "too_many", limit=MAX_RESULTS)
        return RequestQuery(numbers=numbers, offset=offset, limit=size)
    status_text = _given(params, "status")
    statuses = tuple(status_text.split(",")) if status_text is not None else ()
    if any(status not in STATUSES for status in statuses) or len(statuses) > len(STATUSES):
        raise Open311Error(400, "bad_status")
    start_text, end_text = _given(params, "start_date"), _given(params, "end_date")
    start = parse_w3c(start_text, "start_date") if start_text is not None else None
    end = parse_w3c(end_text, "end_date") if end_text is not None else None
    if start is None and end is None:
        start = now - DEFAULT_WINDOW
    elif start is not None and end is not None:
        if end < start:
            raise Open311Error(400, "dates_reversed")
        if end - start > MAX_SPAN:
            raise Open311Error(400, "span_too_long", days=MAX_SPAN.days)
    return RequestQuery(
        service_codes=_listed(params, "service_code"),
        statuses=frozenset(statuses),
        start=start,
        end=end,
        offset=offset,
        limit=size,
    )


def request_number(value: str) -> str:
    """A tracking number as a client may write it, canonical; 404 when it cannot be one."""
    number = parse_tracking_number(value)
    if number is None:
        raise Open311Error(404, "not_found", id=value[:40])
    return number


@dataclass(frozen=True)
class Filing:
    """A checked ``POST requests``."""

    service_code: str
    story: str
    kind: str
    privacy: str
    name: str | None
    phone: str | None
    address: str | None
    latitude: float | None
    longitude: float | None


def _problem(problem: Problem) -> Open311Error:
    error = Open311Error(400, problem.code)
    error.params = dict(problem.params)
    return error


def filing(form: Mapping[str, str]) -> Filing:
    service_code = _one(form, "service_code")
    if service_code is None:
        raise Open311Error(400, "service_code_missing")
    description = _one(form, "description")
    if description is None:
        raise Open311Error(400, "description_missing")
    story = validate_story(description)
    if isinstance(story, Problem):
        raise _problem(story)
    kind = _one(form, "attribute[kind]") or Kind.PENGADUAN.value
    privacy = _one(form, "attribute[privacy]") or Privacy.BIASA.value
    if kind not in {k.value for k in Kind}:
        raise Open311Error(400, "bad_attribute", name="kind")
    if privacy not in {p.value for p in Privacy}:
        raise Open311Error(400, "bad_attribute", name="privacy")
    latitude, longitude = _coordinates(form)
    address = _one(form, "address_string")
    if address is not None:
        checked = validate_address(address)
        if isinstance(checked, Problem):
            raise _problem(checked)
        address = checked
    name = " ".join(filter(None, (_one(form, "first_name"), _one(form, "last_name")))) or None
    if name is not None and len(name) > NAME_MAX:
        raise Open311Error(400, "name_too_long", limit=NAME_MAX)
    phone = _one(form, "phone")
    if phone is not None and not (
        _PHONE.fullmatch(phone) and sum(c.isdigit() for c in phone) >= PHONE_MIN_DIGITS
    ):
        raise Open311Error(400, "bad_phone")
    if not contact_allowed(Privacy(privacy)):
        phone = None  # an anonymous report keeps no way back to its reporter
    return Filing(service_code, story, kind, privacy, name, phone, address, latitude, longitude)


def _coordinates(form: Mapping[str, str]) -> tuple[float | None, float | None]:
    lat, long = _one(form, "lat"), _one(form, "long")
    if lat is None and long is None:
        return None, None
    try:
        latitude, longitude = float(lat or "x"), float(long or "x")
    except ValueError:
        raise Open311Error(400, "bad_location") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Open311Error(400, "bad_location")
    return latitude, longitude
