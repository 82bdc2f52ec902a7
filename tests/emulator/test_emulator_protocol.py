"""The HTTP side of the emulator: tokens, encodings, long polling, webhooks, latency."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeChat, Update
from telegram.error import Conflict, EndPointNotFound, InvalidToken

from emulator import BotApiEmulator


async def raw_call(emu: BotApiEmulator, method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """Call the emulator without PTB, to see exactly what goes over the wire."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            kwargs.pop("http_method", "POST"), f"{emu.base_url}/bot{emu.token}/{method}", **kwargs
        ) as response,
    ):
        return response.status, await response.json()


async def parked(emu: BotApiEmulator) -> None:
    """Wait until a getUpdates call has reached the emulator (it parks as it is recorded)."""
    for _ in range(1000):
        if emu.calls_by_method("getUpdates"):
            return
        await asyncio.sleep(0.005)
    raise AssertionError("getUpdates never reached the emulator")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_get_me_answers_the_bot_user(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        123456,
        True,
        "sigap_test_bot",
        "Sigap",
    )


async def test_wrong_token_is_401_unauthorized(
    emu: BotApiEmulator, make_bot: Callable[..., Bot]
) -> None:
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await make_bot("999:wrong").get_me()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emu.base_url}/bot999:wrong/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }


async def test_unknown_method_is_404_not_found_and_recorded(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTeleportation", api_kwargs={"chat_id": 1})
    status, body = await raw_call(emu, "sendTeleportation")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert emu.calls_by_method("sendTeleportation")[0] == {"chat_id": 1}


async def test_harmless_setters_are_accepted(bot: Bot) -> None:
    assert await bot.set_my_description("Layanan aduan Kecamatan Medan Belawan")


async def test_json_body_query_string_get_and_case_insensitive_methods(
    emu: BotApiEmulator,
) -> None:
    siti = emu.user(first_name="Siti")
    await siti.send("halo")
    status, body = await raw_call(
        emu,
        "SENDMESSAGE",
        json={"chat_id": siti.chat_id, "text": "<i>json</i>", "parse_mode": "HTML"},
    )
    assert status == 200 and body["result"]["entities"][0]["type"] == "italic"
    status, body = await raw_call(
        emu, "sendmessage", http_method="GET", params={"chat_id": siti.chat_id, "text": "query"}
    )
    assert status == 200 and body["result"]["text"] == "query"
    assert [m.text for m in siti.messages] == ["json", "query"]
    assert emu.calls[-1][0] == "sendMessage"  # recorded under its canonical name


async def test_long_poll_returns_a_message_as_soon_as_it_is_sent(
    emu: BotApiEmulator, bot: Bot
) -> None:
    siti = emu.user(first_name="Siti", username="siti_a", language_code="id")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await parked(emu)
    assert not poll.done()
    started = time.perf_counter()
    sent = await siti.send("/start abc")
    updates = await poll
    assert time.perf_counter() - started < 1
    [update] = updates
    message = update.message
    assert message is not None and message.message_id == sent["message_id"]
    assert message.text == "/start abc"
    assert message.from_user is not None
    assert (message.from_user.is_bot, message.from_user.username) == (False, "siti_a")
    assert message.from_user.language_code == "id"
    assert message.chat.type == "private" and message.chat.id == siti.chat_id
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6


async def test_offset_confirms_and_negative_offset_keeps_the_tail(
    emu: BotApiEmulator, bot: Bot
) -> None:
    siti = emu.user(first_name="Siti")
    for text in ("satu", "dua", "tiga"):
        await siti.send(text)
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first if u.message] == ["satu", "dua", "tiga"]
    assert first[1].update_id == first[0].update_id + 1
    again = await bot.get_updates(offset=first[1].update_id, timeout=0)
    assert [u.message.text for u in again if u.message] == ["dua", "tiga"]
    assert await bot.get_updates(offset=first[-1].update_id + 1, timeout=0) == ()
    for text in ("empat", "lima", "enam"):
        await siti.send(text)
    tail = await bot.get_updates(offset=-1, timeout=0)
    assert [u.message.text for u in tail if u.message] == ["enam"]
    assert emu.pending_update_count == 1
    limited = await bot.get_updates(timeout=0, limit=1)
    assert len(limited) == 1


async def test_allowed_updates_filters_future_updates(emu: BotApiEmulator, bot: Bot) -> None:
    siti = emu.user(first_name="Siti")
    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    await siti.send("not delivered")
    assert await bot.get_updates(timeout=0) == ()
    await bot.get_updates(timeout=0, allowed_updates=[])  # back to the default set
    await siti.send("delivered")
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.text == "delivered"


async def test_second_poller_terminates_the_first_with_409(
    emu: BotApiEmulator, bot: Bot, make_bot: Callable[..., Bot]
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await parked(emu)
    async with make_bot() as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict) as raised:
        await first
    assert raised.value.message == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance"
        " is running"
    )


async def test_get_updates_while_webhook_is_set_is_409(emu: BotApiEmulator, bot: Bot) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict) as raised:
        await bot.get_updates(timeout=0)
    assert raised.value.message == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to"
        " delete the webhook first"
    )
    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_webhook_delivers_in_order_with_secret_and_records_failures(
    emu: BotApiEmulator, bot: Bot
) -> None:
    received: list[dict[str, Any]] = []
    secrets: list[str | None] = []
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first[0]:
            fail_first[0] = False
            return web.Response(status=500)
        secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        siti = emu.user(first_name="Siti")
        await siti.send("sebelum webhook")
        await bot.set_webhook(
            f"http://127.0.0.1:{port}/hook", secret_token="rahasia-123", drop_pending_updates=True
        )
        await siti.send("satu")
        await siti.send("dua")
        for _ in range(200):
            if len(received) == 2:
                break
            await asyncio.sleep(0.01)
        assert [Update.de_json(u, bot).message.text for u in received] == ["satu", "dua"]  # type: ignore[union-attr]
        assert secrets == ["rahasia-123", "rahasia-123"]
        info = await bot.get_webhook_info()
        assert info.url == f"http://127.0.0.1:{port}/hook"
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert info.last_error_date is not None
        assert info.max_connections == 40
    finally:
        await bot.delete_webhook()
        await runner.cleanup()
    info = await bot.get_webhook_info()
    assert info.url == "" and info.last_error_message is None


async def test_unreachable_webhook_keeps_updates_pending(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_webhook(f"http://127.0.0.1:{closed_port()}/unreachable")
    await emu.user(first_name="Siti").send("halo")
    for _ in range(100):
        info = await bot.get_webhook_info()
        if info.last_error_message:
            break
        await asyncio.sleep(0.01)
    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1
    await bot.delete_webhook()
    [update] = await bot.get_updates(timeout=0)  # nothing was lost
    assert update.message is not None and update.message.text == "halo"


async def test_commands_are_stored_per_scope_and_language(emu: BotApiEmulator, bot: Bot) -> None:
    officer = emu.user(first_name="Budi")
    await bot.set_my_commands([BotCommand("start", "Mulai"), BotCommand("bantuan", "Bantuan")])
    await bot.set_my_commands(
        [BotCommand("laporan", "Laporan harian")], scope=BotCommandScopeChat(officer.chat_id)
    )
    await bot.set_my_commands(
        [BotCommand("start", "Start")], language_code="en", scope=BotCommandScopeAllGroupChats()
    )
    assert emu.commands() == [
        {"command": "start", "description": "Mulai"},
        {"command": "bantuan", "description": "Bantuan"},
    ]
    assert emu.commands({"type": "chat", "chat_id": officer.chat_id}) == [
        {"command": "laporan", "description": "Laporan harian"}
    ]
    assert emu.commands({"type": "all_group_chats"}, language_code="en") == [
        {"command": "start", "description": "Start"}
    ]
    assert emu.commands({"type": "all_group_chats"}) == []
    fetched = await bot.get_my_commands(scope=BotCommandScopeChat(officer.chat_id))
    assert [c.command for c in fetched] == ["laporan"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(officer.chat_id))
    assert emu.commands({"type": "chat", "chat_id": officer.chat_id}) == []
    status, body = await raw_call(
        emu, "setMyCommands", json={"commands": [{"command": "Bad Command", "description": "x"}]}
    )
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")


async def test_latency_is_added_to_every_call(emu: BotApiEmulator, bot: Bot) -> None:
    emu.latency = 0.15
    started = time.perf_counter()
    await bot.get_me()
    await bot.get_updates(timeout=0)
    assert time.perf_counter() - started >= 0.3


async def test_async_context_manager_and_standalone_entry_point() -> None:
    async with BotApiEmulator(token="42:abc") as emu:
        assert emu.bot_id == 42 and emu.base_url.startswith("http://127.0.0.1:")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "--port",
        "0",
        "--token",
        "7:xyz",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        assert line.decode().startswith("Bot API emulator at http://127.0.0.1:")
    finally:
        assert process.stdin is not None
        process.stdin.write(b"!quit\n")
        await process.stdin.drain()
        await asyncio.wait_for(process.wait(), 10)
