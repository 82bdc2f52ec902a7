"""What the Open311 tests share: the bot with its web server on a free port (as ``sigap run``
serves it), the Belawan roster and the default categories, and a client that speaks HTTP to
it as a city dashboard would."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.web import web_server
from domain.complaints import DEFAULT_CATEGORIES
from models import complaints
from models.open311 import create_client
from tests.e2e.harness import Harness, free_port, start_harness, stop_harness

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = "/open311/v2"
NUMBER = re.compile(r"BLW-\d{4}-\d{4}")
STORY = "Jalan di depan pasar Belawan berlubang besar dan tergenang air setiap hujan turun."


@dataclass
class Reply:
    status: int
    text: str
    headers: Mapping[str, str]

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Api:
    town: Harness
    url: str

    async def get(
        self,
        path: str,
        query: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        base: str = BASE,
        **params: str,
    ) -> Reply:
        params = dict(query or {}) | params
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.url + base + path, params=params, headers=headers) as response,
        ):
            return Reply(response.status, await response.text(), dict(response.headers))

    async def post(self, path: str, form: Mapping[str, Any]) -> Reply:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url + BASE + path, data=dict(form)) as response,
        ):
            return Reply(response.status, await response.text(), dict(response.headers))

    async def key(self, name: str) -> str:
        return await create_client(self.town.db, name, now=self.town.clock.now(), actor="test")

    async def file(self, key: str, **form: Any) -> str:
        """POST a complaint; its tracking number."""
        fields = {"api_key": key, "service_code": "adminduk", "description": STORY} | form
        reply = await self.post("/requests.json", fields)
        assert reply.status == 201, reply.text
        [created] = reply.json()
        return str(created["service_request_id"])


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    port = free_port()
    town = await start_harness(
        db_url,
        SIGAP_DATA_DIR=str(tmp_path / "data"),
        SIGAP_METRICS_LISTEN=f"127.0.0.1:{port}",
    )
    server = web_server(town.application)
    try:
        await town.import_roster(EXAMPLES / "roster_belawan.csv")
        await complaints.import_categories(
            town.db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=town.clock.now()
        )
        await server.start()
        yield Api(town, f"http://127.0.0.1:{port}")
    finally:
        await server.stop()
        await stop_harness(town)
