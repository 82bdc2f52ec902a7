"""Webhook delivery as the Bot API server does it: per-chat order, chats in parallel, retries
with back-off (or Retry-After) until 2xx, pending count and last error; ``slow_down``."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot

from emulator import BotApiEmulator

Responder = Callable[[dict[str, Any]], Awaitable[web.Response]]


class Hook:
    """A webhook server whose answer the test decides per update."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.respond: Responder = self._ok
        self.url = ""
        self._runner: web.AppRunner | None = None

    @staticmethod
    async def _ok(update: dict[str, Any]) -> web.Response:
        return web.Response()

    async def _handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.received.append(update)
        return await self.respond(update)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def texts(self) -> list[str]:
        return [u["message"]["text"] for u in self.received if "message" in u]


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    server = Hook()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_chats_in_parallel_each_in_order(emu: BotApiEmulator, bot: Bot, hook: Hook) -> None:
    """A slow answer for one chat holds that chat's next update, not the other chats'."""
    release = asyncio.Event()

    async def respond(update: dict[str, Any]) -> web.Response:
        if update["message"]["text"] == "siti 1":
            await release.wait()
        return web.Response()

    hook.respond = respond
    siti, budi = emu.user(first_name="Siti"), emu.user(first_name="Budi")
    await bot.set_webhook(hook.url)
    await siti.send("siti 1")
    await siti.send("siti 2")
    await budi.send("budi 1")
    await budi.send("budi 2")
    await until(lambda: "budi 2" in hook.texts())
    assert "siti 2" not in hook.texts()  # waits for its chat's first update
    assert (await bot.get_webhook_info()).pending_update_count == 2
    release.set()
    await until(lambda: len(hook.received) == 4)
    texts = hook.texts()
    assert texts.index("siti 1") < texts.index("siti 2")
    assert texts.index("budi 1") < texts.index("budi 2")
    await until(lambda: emu.pending_update_count == 0)


async def test_failed_update_is_retried_with_backoff_never_skipped(
    emu: BotApiEmulator, bot: Bot, hook: Hook
) -> None:
    failures = 3
    seen_at: list[float] = []

    async def respond(update: dict[str, Any]) -> web.Response:
        seen_at.append(asyncio.get_running_loop().time())
        if update["message"]["text"] == "satu" and len(seen_at) <= failures:
            return web.Response(status=502, reason="Bad Gateway")
        return web.Response()

    hook.respond = respond
    siti = emu.user(first_name="Siti")
    await bot.set_webhook(hook.url)
    await siti.send("satu")
    await siti.send("dua")
    await until(lambda: "dua" in hook.texts())
    assert hook.texts() == ["satu"] * (failures + 1) + ["dua"]
    # The same update_id every time: a redelivery, not a new update.
    assert len({u["update_id"] for u in hook.received[: failures + 1]}) == 1
    gaps = [b - a for a, b in itertools.pairwise(seen_at[: failures + 1])]
    assert gaps == sorted(gaps) and gaps[-1] >= 2 * 0.05 * 0.9  # doubling from 50 ms
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    assert [(d.update_id, d.error is None) for d in emu.webhook_deliveries][-1][1]


async def test_retry_after_header_is_respected(emu: BotApiEmulator, bot: Bot, hook: Hook) -> None:
    async def respond(update: dict[str, Any]) -> web.Response:
        if len(hook.received) == 1:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response()

    hook.respond = respond
    await bot.set_webhook(hook.url)
    await emu.user(first_name="Siti").send("halo")
    await until(lambda: len(hook.received) == 1)
    started = asyncio.get_running_loop().time()
    await until(lambda: len(hook.received) == 2, timeout=3)
    assert asyncio.get_running_loop().time() - started >= 0.9


async def test_dropped_connection_is_redelivered_and_counted_pending(
    emu: BotApiEmulator, bot: Bot, hook: Hook
) -> None:
    """The process behind the webhook dies mid-request: the update stays pending."""
    first = [True]

    async def respond(update: dict[str, Any]) -> web.Response:
        if first[0]:
            first[0] = False
            raise ConnectionResetError  # aiohttp drops the connection without an answer
        return web.Response()

    hook.respond = respond
    await bot.set_webhook(hook.url, secret_token="rahasia")
    await emu.user(first_name="Siti").send("halo")
    await until(lambda: len(hook.received) == 2)
    ids = {u["update_id"] for u in hook.received}
    assert len(ids) == 1
    assert emu.webhook_deliveries[0].error is not None
    await until(lambda: emu.pending_update_count == 0)


async def test_same_settings_again_keep_delivering(emu: BotApiEmulator, hook: Hook) -> None:
    """A bot restarting calls setWebhook with the same settings: Telegram says so and goes on
    (with its back-off); other settings start delivery over."""
    import aiohttp

    async def set_webhook(**params: Any) -> str:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{emu.base_url}/bot{emu.token}/setWebhook", json=params) as response,
        ):
            return str((await response.json())["description"])

    params = {"url": hook.url, "secret_token": "rahasia", "max_connections": 40}
    assert await set_webhook(**params) == "Webhook was set"
    assert await set_webhook(**params) == "Webhook is already set"
    assert await set_webhook(**params | {"max_connections": 10}) == "Webhook was set"
    await emu.user(first_name="Siti").send("halo")
    await until(lambda: hook.texts() == ["halo"])


async def test_slow_down_holds_calls_for_one_chat_and_drops_abandoned_ones(
    emu: BotApiEmulator, bot: Bot
) -> None:
    siti, budi = emu.user(first_name="Siti"), emu.user(first_name="Budi")
    await siti.send("halo")
    await budi.send("halo")
    emu.slow_down(siti, 0.3, "sendMessage")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await bot.send_message(budi.chat_id, "cepat")
    assert loop.time() - started < 0.25
    await bot.send_message(siti.chat_id, "lambat")
    assert loop.time() - started >= 0.3
    assert siti.last is not None and siti.last.text == "lambat"
    # A caller that gives up during the delay: the message is never sent.
    task = asyncio.create_task(bot.send_message(siti.chat_id, "tidak sampai"))
    await until(lambda: len(emu.calls_by_method("sendMessage")) == 3)
    await asyncio.sleep(0.05)
    task.cancel()
    await until(lambda: bool(emu.abandoned_calls), timeout=2)
    assert emu.abandoned_calls[0][0] == "sendMessage"
    assert siti.last.text == "lambat"
    emu.slow_down(siti, 0)
    started = loop.time()
    await bot.send_message(siti.chat_id, "normal lagi")
    assert loop.time() - started < 0.25
