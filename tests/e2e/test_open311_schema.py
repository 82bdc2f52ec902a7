"""The running server against the OpenAPI document it serves, with schemathesis: generated
requests for every operation (a fixed number of examples, derandomized, so the run is the same
each time and takes seconds) must get a documented status, content type and body, never a
server error; requests the document forbids (schemathesis' negative mode) must get a 4xx. POSTs
carry a valid key half the time, so filing is exercised, not only the 403."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Err

from tests.e2e.open311_api import Api, api  # noqa: F401 (fixture)

EXAMPLES_PER_OPERATION = 15  # in each mode
# A 400 for input each of whose fields the schema allows is right when the fields disagree
# (end_date before start_date, a span over 90 days) or the text fails a rule JSON Schema cannot
# say (five words at least): every other check stays on.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def _check_operations(document: dict[str, Any], base_url: str, key: str) -> dict[str, set[int]]:
    """Run in a thread: schemathesis' client is synchronous and the server is on the test's
    event loop. Returns the statuses seen per operation."""
    schema = schemathesis.openapi.from_dict(document)
    checked = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"the document does not load: {result.err()}")
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            checked[f"{label} {mode.value}"] = _check(operation, mode, base_url, key)
    return checked


def _check(operation: Any, mode: GenerationMode, base_url: str, key: str) -> set[int]:
    statuses: set[int] = set()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: Any) -> None:
        body = case.body
        if isinstance(body, dict) and (
            body.get("api_key") == "YOUR_API_KEY"  # the document's example
            or zlib.crc32(repr(sorted(body.items())).encode()) % 2
        ):
            body["api_key"] = key
        response = case.call_and_validate(base_url=base_url, timeout=10, excluded_checks=EXCLUDED)
        statuses.add(response.status_code)

    conforms()
    return statuses


async def test_the_server_conforms_to_its_openapi_document(api: Api) -> None:  # noqa: F811
    api.town.settings.open311_requests_per_minute = 10_000
    key = await api.key("schema")
    await api.file(key)
    reply = await api.get("/openapi.json")
    assert reply.status == 200
    document = reply.json()
    checked = await asyncio.to_thread(_check_operations, document, api.url, key)
    # Filing worked through the API (the document's example), and bad input was refused.
    assert {201, 400, 403} <= checked["POST /open311/v2/requests.{format} positive"]
    # Input the document does not allow (negative mode) was sent and refused: schemathesis'
    # negative_data_rejection check failed the run on any that was accepted.
    negative = set().union(*(seen for name, seen in checked.items() if name.endswith("negative")))
    assert {400, 404} <= negative and not any(status >= 500 for status in negative), negative
    assert sorted({name.rsplit(" ", 1)[0] for name in checked}) == [
        "GET /open311/discovery.{format}",
        "GET /open311/v2/requests.{format}",
        "GET /open311/v2/requests/{service_request_id}.{format}",
        "GET /open311/v2/services.{format}",
        "GET /open311/v2/services/{service_code}.{format}",
        "POST /open311/v2/requests.{format}",
    ]
