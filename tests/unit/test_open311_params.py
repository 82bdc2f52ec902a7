"""What an Open311 client sends, read without a server: W3C dates in any zone, the filters'
defaults and limits, a filing's checks, the XML escaping, and each key's token bucket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast
from xml.etree import ElementTree

import pytest

from handlers.web.context import WebContext
from handlers.web.open311_format import to_xml
from handlers.web.open311_limits import rate_limited
from handlers.web.open311_params import Open311Error, filing, parse_w3c, request_query
from models.open311 import ApiClient
from services import Services

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
STORY = "Jalan di depan pasar Belawan berlubang besar dan tergenang air setiap hujan turun."


def _refused(call: Callable[..., object], *args: object) -> Open311Error:
    with pytest.raises(Open311Error) as caught:
        call(*args)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T09:00:00+07:00", datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),
        ("2026-11-24T02:00Z", datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),
        ("2026-11-24T02:00:00.5Z", datetime(2026, 11, 24, 2, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-24", datetime(2026, 11, 24, tzinfo=UTC)),
    ],
)
def test_w3c_datetimes_in_any_zone(text: str, expected: datetime) -> None:
    assert parse_w3c(text, "start_date") == expected


@pytest.mark.parametrize(
    "text", ["kemarin", "2026-11-24T09:00:00", "2026-13-01", "24-11-2026", "2026-11-24T25:00Z"]
)
def test_bad_dates_are_400(text: str) -> None:
    error = _refused(parse_w3c, text, "end_date")
    assert (error.status, error.key, error.params["name"]) == (400, "bad_date", "end_date")


def test_the_filters_defaults_and_limits() -> None:
    default = request_query({}, NOW)
    assert (default.start, default.end, default.offset, default.limit) == (
        NOW - timedelta(days=90),
        None,
        0,
        1000,
    )
    paged = request_query({"page": "3", "page_size": "50", "status": "closed"}, NOW)
    assert (paged.offset, paged.limit, paged.statuses) == (100, 50, frozenset({"closed"}))
    by_number = request_query({"service_request_id": "A, B,A", "status": "nonsense"}, NOW)
    assert by_number.numbers == ("A", "B")  # overrides the other filters, as the spec says
    for params, key in [
        ({"page_size": "1001"}, "too_many"),
        ({"page": "-1"}, "bad_number"),
        ({"status": "pending"}, "bad_status"),
        ({"start_date": "2026-11-24", "end_date": "2026-11-23"}, "dates_reversed"),
        ({"start_date": "2026-01-01", "end_date": "2026-11-01"}, "span_too_long"),
        ({"service_code": "jal\x00an"}, "bad_text"),
        ({"start_date": ""}, "bad_date"),  # given empty: as wrong as any non-date
        ({"page_size": " "}, "bad_number"),
        ({"status": ""}, "bad_status"),
        ({"status": "open,closed,open"}, "bad_status"),
    ]:
        assert _refused(request_query, params, NOW).key == key, params


def test_a_filing_is_checked_and_anonymity_drops_the_phone() -> None:
    form = {"service_code": "jalan", "description": STORY, "first_name": "Ani", "phone": "0812 1"}
    assert _refused(filing, form).key == "bad_phone"
    checked = filing(form | {"phone": "+62 812 7777 1234", "lat": "3.7", "long": "98.6"})
    assert (checked.kind, checked.privacy, checked.name) == ("pengaduan", "biasa", "Ani")
    assert (checked.phone, checked.latitude) == ("+62 812 7777 1234", 3.7)
    anonymous = filing(form | {"phone": "+62 812 7777 1234", "attribute[privacy]": "anonim"})
    assert anonymous.phone is None
    for changed, key in [
        ({"service_code": " "}, "service_code_missing"),
        ({"description": ""}, "description_missing"),
        ({"description": "terlalu pendek"}, "story_too_short"),
        ({"lat": "3.7"}, "bad_location"),
        ({"lat": "nan", "long": "98"}, "bad_location"),
        ({"address_string": "x" * 301}, "address_too_long"),
        ({"attribute[kind]": "keluhan"}, "bad_attribute"),
    ]:
        assert _refused(filing, form | changed).key == key, changed


def test_xml_is_escaped_and_control_characters_dropped() -> None:
    text = to_xml([{"description": 'a < b & "c" \x07', "lat": None, "ok": True}], "rows", "row")
    row = ElementTree.fromstring(text).find("row")
    assert row is not None
    assert (row.findtext("description"), row.findtext("lat"), row.findtext("ok")) == (
        'a < b & "c" ',
        "",  # an empty element
        "true",
    )


def test_each_key_has_its_own_bucket() -> None:
    context = WebContext(services=cast(Services, None))  # the buckets need no services
    busy, calm = ApiClient(1, "busy"), ApiClient(2, "calm")
    for _ in range(3):
        rate_limited(context, busy, 3, now=100.0)
    error = _refused(rate_limited, context, busy, 3, 100.0)
    assert (error.status, error.retry_after) == (429, 20)  # one request every 20 s
    rate_limited(context, calm, 3, now=100.0)
    rate_limited(context, busy, 3, now=120.0)  # refilled by then
    assert _refused(rate_limited, context, busy, 3, 121.0).retry_after == 19
