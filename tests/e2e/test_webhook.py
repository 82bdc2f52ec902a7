"""Webhook mode in-process: the emulator POSTs updates to ``bot.webhook``'s server.

The Application is the one ``build_application`` makes (as in every e2e test); only the way
updates arrive differs: ``bot.webhook.serve`` runs the aiohttp server, sets the webhook with its
secret, and the emulator delivers like Telegram (per chat in order, retried until answered 2xx).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.app import app_data, build_application
from bot.webhook import SECRET_HEADER, serve
from domain.clock import ManualClock
from emulator import BotApiEmulator
from models.db import Database
from models.tables import Activity
from tests.conftest import EXAMPLES
from tests.e2e.harness import (
    BOT_USERNAME,
    START,
    TOKEN,
    Harness,
    eventually,
    free_port,
    harness_settings,
)
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"
SECRET = "uji-rahasia_webhook-0123456789abcdef"  # 32+ characters, as Sigap requires


class WebhookHarness(Harness):
    url: str
    stop: asyncio.Event
    task: asyncio.Task[None]


@pytest.fixture
async def webhook_office(db_url: str, tmp_path) -> AsyncIterator[WebhookHarness]:
    emulator = BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME)
    await emulator.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = harness_settings(
        emulator,
        db_url,
        SIGAP_DATA_DIR=str(tmp_path / "data"),
        SIGAP_WEBHOOK_URL=url,
        SIGAP_WEBHOOK_PORT=port,
        SIGAP_WEBHOOK_SECRET=SECRET,
    )
    db = Database(db_url)
    clock = ManualClock(START)
    application = build_application(settings, db=db, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(application, settings, stop))
    await eventually(lambda: bool(emulator.calls_by_method("setWebhook")) or task.done())
    if task.done():
        await task  # a start-up failure: show it
    harness = WebhookHarness(
        emulator, application, db, clock, settings, app_data(application).require_scheduler()
    )
    harness.url, harness.stop, harness.task = url, stop, task
    await harness.import_roster(EXAMPLES / "roster_belawan.csv")
    try:
        yield harness
    finally:
        # The harness's, not the first ones: a test may have restarted the server.
        harness.stop.set()
        await asyncio.wait_for(harness.task, 15)
        await emulator.stop()


async def _activity_count(db: Database) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(Activity))).scalar_one()


async def test_start_and_guided_log_over_webhook(webhook_office: WebhookHarness) -> None:
    office = webhook_office
    [set_webhook] = office.emulator.calls_by_method("setWebhook")
    assert set_webhook["url"] == office.url and set_webhook["secret_token"] == SECRET
    assert set_webhook["drop_pending_updates"] is False
    assert set_webhook["allowed_updates"] == [
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
    ]
    assert set_webhook["max_connections"] == office.settings.concurrent_updates == 64

    siti = office.user(first_name="Siti")
    await siti.send("/start")
    [hello] = await siti.wait_for(1)
    assert "Siti" in hello.text

    agus = await office.employee(AGUS)
    await agus.send("/lapor")
    [ask] = await agus.wait_for(1)
    assert "Lapor kegiatan" in ask.text
    await agus.send("Verifikasi berkas KTP warga")
    await agus.wait_for(1)
    await agus.press("berkas")
    await agus.wait_for(1)
    await agus.send("12")
    await agus.wait_for(1)
    await agus.press("1j")
    [evidence] = await agus.wait_for(1)
    assert "bukti" in evidence.text.lower()
    await agus.press("Lewati")
    [summary] = await agus.wait_for(1)
    assert "12 berkas" in summary.text
    await agus.press("✅ Simpan")
    saved = await wait_for_saved(agus)
    assert "Tersimpan" in saved.text
    assert await _activity_count(office.db) == 1
    # Every update was answered 2xx at the first attempt: nothing waits at Telegram.
    deliveries = office.emulator.webhook_deliveries
    assert deliveries and all(d.error is None for d in deliveries)
    await eventually(lambda: office.emulator.pending_update_count == 0)


async def test_wrong_or_missing_secret_is_refused_and_nothing_processed(
    webhook_office: WebhookHarness,
) -> None:
    office = webhook_office
    siti = office.user(first_name="Siti")
    forged = {
        "update_id": 9_000_001,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": siti.id, "type": "private", "first_name": "Siti"},
            "from": {"id": siti.id, "is_bot": False, "first_name": "Siti"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with aiohttp.ClientSession() as session:
        for headers, status in (
            ({}, 401),
            ({SECRET_HEADER: "tebakan"}, 403),
            ({SECRET_HEADER: SECRET[:-1]}, 403),
        ):
            async with session.post(office.url, json=forged, headers=headers) as response:
                assert response.status == status
        # With the secret but not an update: 400, also not processed.
        for body in (b"{not json", json.dumps([1, 2]).encode(), b'{"update_id": "x"}'):
            async with session.post(
                office.url,
                data=body,
                headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
            ) as response:
                assert response.status == 400
    await asyncio.sleep(0.2)
    assert siti.messages == []  # nobody answered the forged /start
    assert not office.emulator.calls_by_method("sendMessage")


async def _raw_post(url: str, secret: bytes, body: bytes) -> int:
    """A POST written byte by byte: HTTP clients refuse to send a header that is not UTF-8."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(
        f"POST {address.path} HTTP/1.1\r\nHost: {address.netloc}\r\n".encode()
        + SECRET_HEADER.encode() + b": " + secret + b"\r\n"
        + b"Content-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )  # fmt: skip
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def test_undecodable_secret_and_bodies_that_are_no_update_are_refused_not_500(
    webhook_office: WebhookHarness,
) -> None:
    office = webhook_office
    update = json.dumps({"update_id": 9_000_002}).encode()
    assert await _raw_post(office.url, b"\xff\xfe" + SECRET.encode()[2:], update) == 403
    assert await _raw_post(office.url, SECRET.encode() + b"\xc3", update) == 403
    for body in (
        b"\xff\xfe not UTF-8",
        b'{"update_id": 9000003, "message": "a string, not a message"}',
        b'{"update_id": 9000004, "message": {"chat": 5}}',
        b'{"update_id": 9000005, "callback_query": []}',
        b"[" * 100_000,  # nested past the parser's recursion limit
    ):
        assert await _raw_post(office.url, SECRET.encode(), body) == 400, body[:60]
    # The server goes on as before.
    siti = office.user(first_name="Siti")
    await siti.send("/start")
    [hello] = await siti.wait_for(1)
    assert "Siti" in hello.text


async def health(office: WebhookHarness) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(office.url.replace("/telegram", "/healthz")) as response,
    ):
        return response.status, await response.json()


async def test_health_for_monitoring(webhook_office: WebhookHarness) -> None:
    office = webhook_office
    assert await health(office) == (
        200,
        {"role": "leader", "mode": "webhook", "scheduler": "running", "status": "ok"},
    )
    await office.scheduler.stop()
    status, report = await health(office)
    assert (status, report["scheduler"], report["status"]) == (503, "stopped", "failing")


async def test_failing_webhook_is_retried_until_answered(webhook_office: WebhookHarness) -> None:
    """While the bot's server refuses (here: stopped), Telegram keeps the update and retries;
    getWebhookInfo shows the pending count and the last error."""
    office = webhook_office
    office.stop.set()
    await asyncio.wait_for(office.task, 15)
    siti = office.user(first_name="Siti")
    await siti.send("/start")
    info: dict[str, object] = {}

    async def webhook_info() -> None:
        nonlocal info
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{office.emulator.base_url}/bot{TOKEN}/getWebhookInfo") as response,
        ):
            info = (await response.json())["result"]

    for _ in range(200):
        await webhook_info()
        if info.get("last_error_message"):
            break
        await asyncio.sleep(0.02)
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Connection refused"
    assert siti.messages == []
    # The bot comes back (a new process would build a new Application the same way).
    application = build_application(office.settings, db=office.db, clock=office.clock)
    office.stop = asyncio.Event()
    office.task = asyncio.create_task(serve(application, office.settings, office.stop))
    [hello] = await siti.wait_for(1, timeout=10)
    assert "Siti" in hello.text
    await eventually(lambda: office.emulator.pending_update_count == 0)


async def test_invite_link_again_from_the_linked_person_is_answered_not_refused(
    webhook_office: WebhookHarness,
) -> None:
    """What a redelivered ``/start <token>`` looks like to the bot: the same person, the same
    link, already redeemed. They are told they are linked (the first answer may never have
    gone out), and nothing is written twice."""
    from models.tables import AuditEntry, TelegramLink

    office = webhook_office
    token = await office.invite_token(AGUS)
    agus = office.user(first_name="Agus")
    await agus.send(f"/start {token}")
    [first] = await agus.wait_for(1)
    await agus.send(f"/start {token}")
    [again] = await agus.wait_for(1)
    assert "sekarang tertaut ke Agus Salim Daulay" in first.text
    assert "sekarang tertaut ke Agus Salim Daulay" in again.text
    async with office.db.read() as session:
        links = (await session.execute(select(TelegramLink))).scalars().all()
        actions = (await session.execute(select(col(AuditEntry.action)))).scalars().all()
    assert [link.telegram_user_id for link in links] == [agus.chat_id]
    assert actions.count("account.linked") == 1 and "invite.rejected" not in actions


async def test_failing_handler_is_answered_200_and_not_redelivered(
    webhook_office: WebhookHarness,
) -> None:
    """The error handler apologises once; Telegram is told the update is done, so the same
    failure and apology do not repeat and the chat's next message is not held back."""
    from telegram.ext import MessageHandler, filters

    async def boom(update: object, context: object) -> None:
        raise RuntimeError("a bug in a handler")

    office = webhook_office
    # First in group 0: the one handler that answers this message, and it fails.
    office.application.handlers[0].insert(0, MessageHandler(filters.Regex("^meledak$"), boom))
    siti = office.user(first_name="Siti")
    await siti.send("meledak")
    [apology] = await siti.wait_for(1)
    assert "maaf" in apology.text.lower()
    await siti.send("/start")
    [hello] = await siti.wait_for(1)
    assert "Siti" in hello.text
    await eventually(lambda: office.emulator.pending_update_count == 0)
    deliveries = office.emulator.webhook_deliveries
    assert len(deliveries) == 2 and all(d.error is None for d in deliveries)
    assert sum("maaf" in m.text.lower() for m in siti.messages) == 1


async def test_port_in_use_stops_with_one_line(
    webhook_office: WebhookHarness, tmp_path: Path
) -> None:
    """A second bot on the same port (the first still runs) stops with the reason, and the
    webhook Telegram knows is left as it was."""
    from services.settings import ConfigError

    office = webhook_office
    settings = office.settings
    if office.db.is_sqlite:
        # One process per SQLite database: the second would stop at that, before the port.
        second_db = f"sqlite+aiosqlite:///{tmp_path / 'second.db'}"
        settings = settings.model_copy(update={"database_url": second_db})
    second = build_application(settings)  # its own Database: the first keeps running
    with pytest.raises(ConfigError) as caught:
        await serve(second, settings, asyncio.Event())
    message = str(caught.value)
    assert message.startswith(f"cannot listen on 127.0.0.1:{office.settings.webhook_port}")
    assert "\n" not in message
    assert len(office.emulator.calls_by_method("setWebhook")) == 1
