"""A round-robin load balancer in front of several webhook receivers, as a reverse proxy in
front of several ``sigap run --webhook`` does: each POST goes to the next receiver in turn and
its answer goes back to the caller (the emulator, playing Telegram). A receiver that cannot be
reached answers 502, so Telegram delivers the update again."""

from __future__ import annotations

import itertools
import socket

import aiohttp
from aiohttp import web


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RoundRobin:
    def __init__(self, backends: list[str], path: str = "/telegram") -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self._path = path
        self._next = itertools.cycle(backends)
        self.taken: list[str] = []  # the backend of each POST, in order
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self._path, self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        backend = next(self._next)
        self.taken.append(backend)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        try:
            async with self._session.post(
                backend, data=await request.read(), headers=headers
            ) as answer:
                return web.Response(status=answer.status, body=await answer.read())
        except aiohttp.ClientError:
            return web.Response(status=502)
