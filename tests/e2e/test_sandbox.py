"""``sigap sandbox`` without a browser: the seeded data, the page's JSON API and WebSocket, the
clock panel, and the safety of what the page is given to show.

The sandbox runs in-process here (emulator + the real Application + the web server), with its
clock started on Tuesday 24 November 2026, 09:00 WIB; the tests talk to it over HTTP as the
page does.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import struct
import sys
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import app_data
from models.tables import Complaint, ComplaintDesk, Employee, TelegramLink
from sandbox.clock import SandboxClock, next_local_time, next_monday
from sandbox.personas import PERSONAS, persona
from sandbox.render import entities_to_html, safe_href
from sandbox.seed import MARKER, SandboxDataError, prepare_data_dir
from sandbox.server import Sandbox

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY_9 = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small real PNG (one colour), so the page has a picture to show."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


PNG = _png(160, 120, (51, 144, 236))


async def start_sandbox(data_dir: Path, **kwargs: Any) -> Sandbox:
    # The scheduler ticks once at start; later ticks are the tests' own ("run" on the clock
    # panel), so a background tick cannot take a reminder a test is about to count.
    kwargs.setdefault("scheduler_interval", 3600)
    sandbox = Sandbox(data_dir, port=0, start=kwargs.pop("start", TUESDAY_9), **kwargs)
    await sandbox.start()
    return sandbox


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    running = await start_sandbox(tmp_path / "sandbox")
    try:
        yield running
    finally:
        await running.stop()


class Page:
    """What the page does, over the same HTTP API."""

    def __init__(self, sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
        self.sandbox = sandbox
        self.session = session
        self.base = sandbox.url

    async def get(self, path: str) -> Any:
        async with self.session.get(self.base + path) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: Any, status: int = 200) -> Any:
        async with self.session.post(self.base + path, json=body) as response:
            payload = await response.json()
            assert response.status == status, payload
            return payload

    async def chat(self, key: str) -> dict[str, Any]:
        return await self.get(f"/api/chat/{key}")

    async def until(
        self, key: str, condition: Callable[[dict[str, Any]], bool], seconds: float = 5.0
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            chat = await self.chat(key)
            if condition(chat):
                return chat
            if asyncio.get_running_loop().time() > deadline:
                last = [m.get("html", "")[:80] for m in chat["messages"][-3:]]
                raise AssertionError(f"{key}: condition not met; last messages {last}")
            await asyncio.sleep(0.03)

    async def says(self, key: str, text: str, seconds: float = 5.0) -> dict[str, Any]:
        """Wait for a bot message in ``key``'s chat containing ``text``; return it."""
        chat = await self.until(
            key,
            lambda c: any(m["from_bot"] and text in m.get("html", "") for m in c["messages"]),
            seconds,
        )
        return next(m for m in reversed(chat["messages"]) if text in m.get("html", ""))

    async def send(self, key: str, text: str, **extra: Any) -> None:
        await self.post(f"/api/chat/{key}/send", {"text": text, **extra})

    async def press(self, key: str, label: str, **extra: Any) -> dict[str, Any]:
        chat = await self.until(key, lambda c: _button(c, label) is not None)
        message, data = _button(chat, label)  # type: ignore[misc]
        await self.post(
            f"/api/chat/{key}/press", {"message_id": message["id"], "data": data, **extra}
        )
        return message


def _button(chat: dict[str, Any], label: str) -> tuple[dict[str, Any], str] | None:
    for message in reversed(chat["messages"]):
        for row in message.get("buttons", []):
            for button in row:
                if button["text"] == label:
                    return message, button["data"]
    return None


@pytest.fixture
async def page(sandbox: Sandbox) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as session:
        yield Page(sandbox, session)


# --- seeding ------------------------------------------------------------------------------------


async def test_fresh_sandbox_has_linked_people_and_an_installed_desk(sandbox: Sandbox) -> None:
    db = app_data(sandbox.application).require_services().db  # type: ignore[arg-type]
    async with db.read() as session:
        employees = (await session.execute(select(Employee))).scalars().all()
        links = dict(
            (
                await session.execute(
                    select(col(Employee.nip), col(TelegramLink.telegram_user_id)).join(
                        TelegramLink, col(TelegramLink.employee_id) == Employee.id
                    )
                )
            ).all()
        )
        [desk] = (await session.execute(select(ComplaintDesk))).scalars().all()
    assert len(employees) == 28  # the whole sample roster
    assert links == {p.nip: p.user_id for p in PERSONAS if p.nip}
    assert desk.chat_id == sandbox.group.chat_id  # type: ignore[union-attr]
    # The people linked the way employees do, so their chats show it.
    welcome = sandbox.users["pegawai"].messages[0]
    assert "tertaut ke Kevin Gunawan" in welcome.text
    assert "meja aduan Seksi Pelayanan Umum" in sandbox.group.messages[0].text  # type: ignore[union-attr]


async def test_restart_keeps_links_and_the_bot_can_write_first(tmp_path: Path) -> None:
    data = tmp_path / "sandbox"
    first = await start_sandbox(data)
    await first.users["warga"].send("Halo <b>")
    await first.users["warga"].wait_for(1)
    await first.stop()
    again = await start_sandbox(data, start=TUESDAY_9 + timedelta(hours=5))
    try:
        # No new /start: the chats start empty, yet the 14:00 reminder (the scheduler's first
        # tick) reaches every linked employee: the bot may write first, as before the restart.
        for key in ("pegawai", "atasan", "penangan", "admin"):
            [reminder] = await again.users[key].wait_for(1, timeout=10)
            assert "belum melaporkan kegiatan" in reminder.text, key
            assert [m["from"]["id"] for m in again.users[key].history] == [again.emulator.bot_id]
        # The page still shows the earlier run's chats, read-only, above a divider.
        shown = again.chat_json(persona("warga"))["messages"]  # type: ignore[arg-type]
        assert shown[0] == {**shown[0], "archived": True, "out": True, "html": "Halo &lt;b&gt;"}
        assert "buttons" not in shown[1] and shown[1]["archived"]
        assert shown[-1] == {
            "service": "Sandbox dijalankan lagi · Selasa, 24 November 2026, 14.00 WIB"
        }
        desk = again.chat_json(persona("meja"))["messages"]  # type: ignore[arg-type]
        assert desk[0]["sender_key"] == "admin" and "pasang_meja" in desk[0]["html"]
    finally:
        await again.stop()


async def test_a_restart_never_sets_the_clock_back(tmp_path: Path) -> None:
    data = tmp_path / "sandbox"
    first = await start_sandbox(data, start=datetime.now(UTC) - timedelta(days=2))
    await first.clock_action("monday")
    await first.clock_action("monday")  # at least a week ahead of the real time
    reached = first.clock.now()
    await first.stop()
    again = Sandbox(data, port=0, scheduler_interval=3600)  # no --start: "now", but not earlier
    await again.start()
    try:
        assert reached <= again.clock.now() < reached + timedelta(minutes=1)
    finally:
        await again.stop()


async def test_reset_starts_from_nothing_and_other_folders_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "sandbox"
    first = await start_sandbox(data)
    await first.stop()
    (data / "leftover.txt").write_text("x")
    prepare_data_dir(data, reset=True)
    assert [p.name for p in data.iterdir()] == [MARKER]

    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.docx").write_text("do not delete")
    with pytest.raises(SandboxDataError, match="not a sandbox folder"):
        prepare_data_dir(precious, reset=True)
    assert (precious / "thesis.docx").exists()


# --- the command ---------------------------------------------------------------------------------


async def _sigap_sandbox(cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "sandbox",
        *args,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["ctrl-c", "term"])
async def test_the_command_serves_the_page_and_stops_cleanly(tmp_path: Path, stop: str) -> None:
    port = _free_port()
    data = tmp_path / "sb"
    process = await _sigap_sandbox(
        tmp_path, "--port", str(port), "--data-dir", str(data), "--start", "2026-11-24T09:00"
    )
    try:
        async with asyncio.timeout(60):
            assert process.stdout is not None
            line = (await process.stdout.readline()).decode()
        assert line.strip() == f"Sigap sandbox: open http://127.0.0.1:{port} in a browser " + (
            "(Ctrl+C stops it)"
        ), line
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/api/state") as response,
        ):
            state = await response.json()
        assert state["clock"]["display"] == "Selasa, 24 November 2026, 09.00 WIB"
        process.send_signal(signal.SIGTERM if stop == "term" else signal.SIGINT)
        try:
            async with asyncio.timeout(20):
                out, _ = await process.communicate()
        except TimeoutError:
            # Once seen on a machine at load 6: say what the process was doing (its output, and
            # whether it had exited while something it started still held its stdout).
            running = process.returncode is None
            process.kill()
            try:
                async with asyncio.timeout(10):
                    out, err = await process.communicate()
            except TimeoutError:
                out, err = b"(its stdout still held open by a process it started)", b""
            pytest.fail(
                f"not stopped within 20 s (still running: {running}); stdout: "
                f"{out.decode()[-2000:]!r}; stderr: {err.decode()[-4000:]!r}"
            )
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert "Sigap sandbox stopped." in out.decode()
    assert (data / "sigap.db").exists() and (data / MARKER).read_text() == "seeded\n"
    assert (
        "tertaut ke <b>Kevin Gunawan</b>" in (data / "chats.json").read_text()
    )  # saved on the way out


async def test_a_taken_port_or_a_bad_one_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await _sigap_sandbox(tmp_path, "--port", str(port), "--data-dir", "sb")
        _, err = await process.communicate()
    assert process.returncode == 1
    [line] = err.decode().strip().splitlines()
    assert line.startswith(f"sigap: cannot serve on 127.0.0.1:{port}"), line
    assert not (tmp_path / "sb").exists()  # nothing was touched
    process = await _sigap_sandbox(tmp_path, "--port", "70000")
    _, err = await process.communicate()
    assert process.returncode == 2 and "not a port number" in err.decode()


# --- the page's API -----------------------------------------------------------------------------


async def test_state_lists_personas_and_the_clock_in_indonesian(page: Page) -> None:
    state = await page.get("/api/state")
    assert [p["key"] for p in state["personas"]] == [p.key for p in PERSONAS]
    assert state["clock"]["display"] == "Selasa, 24 November 2026, 09.00 WIB"
    assert state["clock"]["jump_14"] == "14:00 hari ini"
    assert state["clock"]["jump_monday"] == "Senin 30 Nov, 07:00"


async def test_guided_log_through_the_api_with_live_updates(page: Page) -> None:
    async with page.session.ws_connect(page.base + "/ws") as ws:
        first = await ws.receive_json(timeout=5)
        assert first["type"] == "clock"
        await page.send("pegawai", "📝 Lapor kegiatan")
        event = await _next_chat_event(ws, "pegawai", "Apa yang Anda kerjakan")
        assert event["chat"]["messages"][-2]["out"] is True  # the person's own message
    await page.send("pegawai", "Melayani warga mengurus <KTP> & KK")
    await page.press("pegawai", "orang dilayani")
    await page.says("pegawai", "Berapa orang dilayani")
    await page.send("pegawai", "12")
    await page.press("pegawai", "2j")
    await page.press("pegawai", "Jumlah permohonan layanan yang diinput ke aplikasi")
    await page.says("pegawai", "sebagai bukti")
    await page.press("pegawai", "Lewati")
    summary = await page.says("pegawai", "Periksa dulu")
    assert "Melayani warga mengurus &lt;KTP&gt; &amp; KK" in summary["html"]
    await page.press("pegawai", "✅ Simpan")
    saved = await page.says("pegawai", "Tersimpan")
    chat = await page.chat("pegawai")
    # The summary itself became the confirmation (what was saved, without its buttons); its
    # text changed, so it is "edited", as Telegram marks it.
    assert saved["id"] == summary["id"]
    edited = next(m for m in chat["messages"] if m["id"] == summary["id"])
    assert "buttons" not in edited and edited["edited"] is True
    assert "Melayani warga mengurus &lt;KTP&gt; &amp; KK" in edited["html"]
    assert "Periksa dulu" not in edited["html"]
    # The invite link's "/start <token>" shows as "/start", as in Telegram.
    assert chat["messages"][0]["html"] == '<a data-command="/start">/start</a>'


async def _next_chat_event(ws: aiohttp.ClientWebSocketResponse, key: str, text: str) -> Any:
    while True:
        event = await ws.receive_json(timeout=5)
        if event["type"] == "chat" and event["chat"]["persona"] == key:
            if any(text in m.get("html", "") for m in event["chat"]["messages"]):
                return event


async def test_complaint_with_location_reaches_the_desk_and_is_verified(page: Page) -> None:
    await page.send("warga", "/aduan")
    await page.press("warga", "Pengaduan")
    await page.press("warga", "Administrasi Kependudukan (KTP, KK, surat)")
    await page.send("warga", "Sudah tiga minggu KTP elektronik saya belum dicetak di kecamatan.")
    chat = await page.until("warga", lambda c: c["keyboard"] is not None)
    [[location_button], _] = chat["keyboard"]["rows"]
    assert location_button["request_location"] is True
    await page.post("/api/chat/warga/location", {"latitude": 3.7765, "longitude": 98.6836})
    await page.says("warga", "Lokasi dicatat")
    chat = await page.chat("warga")
    assert chat["keyboard"] is None  # a one-time keyboard hides once used
    shared = next(m for m in chat["messages"] if "location" in m)
    assert shared["out"] and shared["location"]["latitude"] == pytest.approx(3.7765)
    await page.press("warga", "Lewati")
    await page.press("warga", "Biasa")
    await page.send("warga", "Tidak usah")
    await page.press("warga", "✅ Kirim aduan")
    received = await page.says("warga", "Aduan Anda diterima")
    assert "BLW-2611-0001" in received["html"]

    ticket = await page.says("meja", "Aduan BLW-2611-0001")
    # Fitriani (admin, not a complaint handler) may sit in the group but not verify: the
    # refusal arrives as a toast in the group's view and nothing changes.
    async with page.session.ws_connect(page.base + "/ws") as ws:
        await page.press("meja", "✅ Verifikasi", **{"as": "admin"})
        toast = await _next_event(ws, "toast")
        assert toast["persona"] == "meja" and toast["text"]
    await page.press("meja", "✅ Verifikasi", **{"as": "penangan"})
    chat = await page.until(
        "meja",
        lambda c: any("Terverifikasi" in m.get("html", "") for m in c["messages"]),
    )
    verified = next(m for m in chat["messages"] if m["id"] == ticket["id"])
    assert verified["edited"] and "Terverifikasi" in verified["html"]
    assert any("location" in m for m in chat["messages"])  # the ticket's map pin
    await page.says("warga", "sudah <b>diverifikasi</b>")
    db = app_data(page.sandbox.application).require_services().db  # type: ignore[arg-type]
    async with db.read() as session:
        [complaint] = (await session.execute(select(Complaint))).scalars().all()
    assert complaint.status == "terverifikasi"


async def _next_event(ws: aiohttp.ClientWebSocketResponse, kind: str) -> Any:
    while True:
        event = await ws.receive_json(timeout=5)
        if event["type"] == kind:
            return event


async def test_photo_and_document_upload_and_download(page: Page) -> None:
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="bukti.png", content_type="image/png")
    form.add_field("kind", "photo")
    form.add_field("caption", "Foto bukti")
    async with page.session.post(page.base + "/api/chat/warga2/upload", data=form) as response:
        assert response.status == 200, await response.text()
    chat = await page.until("warga2", lambda c: any("photo" in m for m in c["messages"]))
    photo = next(m for m in chat["messages"] if "photo" in m)
    assert photo["html"] == "Foto bukti" and photo["photo"]["width"] == 160
    async with page.session.get(page.base + photo["photo"]["url"]) as response:
        assert response.content_type == "image/png" and await response.read() == PNG

    form = aiohttp.FormData()
    form.add_field("file", b"a;b\n1;2\n", filename="data.csv", content_type="text/csv")
    form.add_field("kind", "document")
    async with page.session.post(page.base + "/api/chat/warga2/upload", data=form) as response:
        assert response.status == 200
    chat = await page.until("warga2", lambda c: any("document" in m for m in c["messages"]))
    document = next(m for m in chat["messages"] if "document" in m)
    assert document["document"]["name"] == "data.csv"
    async with page.session.get(page.base + document["document"]["url"]) as response:
        assert 'filename="data.csv"' in response.headers["Content-Disposition"]
        assert await response.read() == b"a;b\n1;2\n"

    form = aiohttp.FormData()
    form.add_field("file", b"MZ not an image", filename="x.exe", content_type="application/x")
    form.add_field("kind", "photo")
    async with page.session.post(page.base + "/api/chat/warga2/upload", data=form) as response:
        assert response.status == 400
        assert "gambar" in (await response.json())["error"]


async def test_bad_requests_get_a_clear_answer(page: Page) -> None:
    assert "no persona" in (await page.post("/api/chat/nobody/send", {"text": "x"}, 404))["error"]
    assert "kosong" in (await page.post("/api/chat/warga/send", {"text": "   "}, 400))["error"]
    long = await page.post("/api/chat/warga/send", {"text": "x" * 4097}, 400)
    assert "4096" in long["error"]
    async with page.session.post(
        page.base + "/api/chat/warga/send", data=b"{not json", headers={"Content-Type": "x"}
    ) as response:
        assert response.status == 400
    gone = await page.post("/api/chat/warga/press", {"message_id": 999, "data": "x"}, 409)
    assert "no inline button" in gone["error"]
    far = await page.post("/api/chat/warga/location", {"latitude": 91, "longitude": 0}, 400)
    assert "Lintang" in far["error"]
    stranger = await page.post("/api/chat/meja/send", {"text": "hai", "as": "warga"}, 400)
    assert "not a member" in stranger["error"]
    assert "unknown clock" in (await page.post("/api/clock", {"action": "back"}, 400))["error"]
    async with page.session.get(page.base + "/api/file/nope") as response:
        assert response.status == 404


async def test_other_sites_and_hosts_are_refused(page: Page) -> None:
    async with page.session.post(
        page.base + "/api/chat/warga/send",
        json={"text": "/start"},
        headers={"Origin": "http://evil.example"},
    ) as response:
        assert response.status == 403
    async with page.session.get(
        page.base + "/api/state", headers={"Host": "rebound.example:8080"}
    ) as response:
        assert response.status == 403
    assert page.sandbox.users["warga"].history == []  # nothing was sent


async def test_page_and_assets_are_served(page: Page) -> None:
    for path, kind in (
        ("/", "text/html"),
        ("/static/app.js", "javascript"),
        ("/static/style.css", "text/css"),
    ):
        async with page.session.get(page.base + path) as response:
            assert response.status == 200 and kind in response.content_type, path


# --- the clock panel ----------------------------------------------------------------------------


async def test_clock_jumps_and_run_delivers_reminders_to_those_who_did_not_log(
    page: Page,
) -> None:
    await page.send("pegawai", "Rapat koordinasi pelayanan 2 jam")
    await page.press("pegawai", "✅ Simpan")
    await page.says("pegawai", "Tersimpan")

    hour = await page.post("/api/clock", {"action": "hour"})
    assert hour["clock"]["time"] == "10.00" and hour["ran"] is None
    two = await page.post("/api/clock", {"action": "14"})
    assert two["clock"]["display"] == "Selasa, 24 November 2026, 14.00 WIB"
    assert two["clock"]["jump_14"] == "14:00 besok"
    ran = await page.post("/api/clock", {"action": "run"})
    assert ran["ran"]["reminders"] == 3  # every linked employee but Kevin, who logged
    reminder = await page.says("penangan", "belum melaporkan kegiatan hari ini")
    assert [b["text"] for b in reminder["buttons"][0]] == [
        "📝 Lapor sekarang",
        "🔕 Jangan ingatkan lagi hari ini",
    ]
    await asyncio.sleep(0.3)
    assert not any(
        "belum melaporkan" in m.get("html", "") for m in (await page.chat("pegawai"))["messages"]
    )
    monday = await page.post("/api/clock", {"action": "monday"})
    assert monday["clock"]["display"] == "Senin, 30 November 2026, 07.00 WIB"


async def test_messages_are_stamped_with_sandbox_time(page: Page) -> None:
    await page.post("/api/clock", {"action": "hour"})
    await page.send("warga", "/start")
    await page.until("warga", lambda c: len(c["messages"]) >= 2)
    chat = await page.chat("warga")
    assert {m["time"] for m in chat["messages"]} == {"10.00"}


# --- pieces -------------------------------------------------------------------------------------


def test_sandbox_clock_runs_with_real_time_and_only_jumps_forward() -> None:
    real = [datetime(2026, 11, 24, 1, 0, tzinfo=UTC)]
    clock = SandboxClock(TUESDAY_9, real=lambda: real[0])
    assert clock.now() == TUESDAY_9
    real[0] += timedelta(minutes=5)
    assert clock.now() == TUESDAY_9 + timedelta(minutes=5)
    clock.advance(timedelta(hours=1))
    assert clock.now().astimezone(WIB).hour == 10
    with pytest.raises(ValueError, match="past"):
        clock.jump_to(TUESDAY_9)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
    assert SandboxClock().now().tzinfo is not None  # default: now


def test_jump_targets() -> None:
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=WIB)
    assert next_local_time(noon, datetime.min.time().replace(hour=14), WIB).day == 24
    late = datetime(2026, 11, 24, 15, 0, tzinfo=WIB)
    assert next_local_time(late, datetime.min.time().replace(hour=14), WIB).day == 25
    monday = datetime(2026, 11, 30, 6, 0, tzinfo=WIB)
    seven = datetime.min.time().replace(hour=7)
    assert next_monday(monday, seven, WIB) == datetime(2026, 12, 7, 7, 0, tzinfo=WIB)
    assert next_monday(noon, seven, WIB) == datetime(2026, 11, 30, 7, 0, tzinfo=WIB)


@pytest.mark.parametrize(
    ("text", "entities", "html"),
    [
        ("a <b> & c", [], "a &lt;b&gt; &amp; c"),
        ("bold it", [{"type": "bold", "offset": 0, "length": 4}], "<b>bold</b> it"),
        (
            "nested!",
            [
                {"type": "bold", "offset": 0, "length": 7},
                {"type": "italic", "offset": 2, "length": 3},
            ],
            "<b>ne<i>ste</i>d!</b>",
        ),
        # UTF-16 offsets: the emoji is two code units.
        ("🙂 hi", [{"type": "underline", "offset": 3, "length": 2}], "🙂 <u>hi</u>"),
        (
            "crossing",
            [
                {"type": "bold", "offset": 0, "length": 5},
                {"type": "italic", "offset": 3, "length": 5},
            ],
            "<b>cro<i>ss</i></b><i>ing</i>",
        ),
        (
            "click",
            [{"type": "text_link", "offset": 0, "length": 5, "url": "javascript:alert(1)"}],
            "click",
        ),
        (
            "site",
            [{"type": "text_link", "offset": 0, "length": 4, "url": 'https://x.id/"><script>'}],
            "site",
        ),
        (
            "see x.id",
            [{"type": "url", "offset": 4, "length": 4}],
            'see <a href="http://x.id" target="_blank" rel="noopener noreferrer">x.id</a>',
        ),
        (
            "/lapor",
            [{"type": "bot_command", "offset": 0, "length": 6}],
            '<a data-command="/lapor">/lapor</a>',
        ),
        (
            "secret code",
            [
                {"type": "spoiler", "offset": 0, "length": 6},
                {"type": "code", "offset": 7, "length": 4},
            ],
            "<tg-spoiler>secret</tg-spoiler> <code>code</code>",
        ),
        (
            "quote\nline",
            [{"type": "expandable_blockquote", "offset": 0, "length": 10}],
            "<blockquote>quote\nline</blockquote>",
        ),
        ("x", [{"type": "custom_emoji", "offset": 0, "length": 1, "custom_emoji_id": "1"}], "x"),
        ("bad", [{"type": "bold", "offset": "?", "length": 2}], "bad"),
    ],
)
def test_entities_become_safe_html(text: str, entities: list[Any], html: str) -> None:
    assert entities_to_html(text, entities) == html


def test_only_safe_links() -> None:
    assert safe_href("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_href("example.com:8080/x") == "http://example.com:8080/x"
    assert safe_href("tg://user?id=1") == "tg://user?id=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "vbscript:x", "", "http://a\nb"):
        assert safe_href(bad) is None, bad


def test_what_the_bot_sent_is_rendered_from_entities_not_its_markup() -> None:
    # A bot message's source HTML never reaches the page; only text + entities do.
    raw = json.dumps(entities_to_html("<script>alert(1)</script>", []))
    assert "<script>" not in raw


async def test_monday_digest_arrives_with_its_chart_and_spreadsheet(page: Page) -> None:
    await page.send("pegawai", "Rapat koordinasi pelayanan 2 jam")
    await page.press("pegawai", "✅ Simpan")
    await page.says("pegawai", "Tersimpan")
    await page.post("/api/clock", {"action": "monday"})
    ran = await page.post("/api/clock", {"action": "run"})
    assert ran["ran"]["weekly_digest"] >= 1
    chat = await page.until(
        "atasan",
        lambda c: (
            any("photo" in m for m in c["messages"]) and any("document" in m for m in c["messages"])
        ),
        seconds=20,
    )
    photo = next(m for m in chat["messages"] if "photo" in m)
    document = next(m for m in chat["messages"] if "document" in m)
    async with page.session.get(page.base + photo["photo"]["url"]) as response:
        assert response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")
    assert document["document"]["name"].endswith(".xlsx")
    async with page.session.get(page.base + document["document"]["url"]) as response:
        assert "attachment" in response.headers["Content-Disposition"]
        assert (await response.read()).startswith(b"PK")  # a zip: the XLSX
    assert any("Kevin Gunawan" in m.get("html", "") for m in chat["messages"])


async def test_a_reason_the_desk_asks_for_is_answered_by_replying(page: Page) -> None:
    await page.send("warga2", "/aduan")
    await page.press("warga2", "Aspirasi")
    await page.press("warga2", "Lainnya")
    await page.send("warga2", "Mohon jam layanan kantor camat diperpanjang sampai sore hari.")
    await page.says("warga2", "Di mana lokasinya")
    await page.send("warga2", "Lewati")
    await page.press("warga2", "Lewati")
    await page.press("warga2", "Rahasia")
    await page.send("warga2", "Tidak usah")
    await page.press("warga2", "✅ Kirim aduan")
    await page.says("meja", "Aduan BLW-2611-0001")
    await page.press("meja", "⛔ Tolak", **{"as": "penangan"})
    chat = await page.until("meja", lambda c: any(m.get("force_reply") for m in c["messages"]))
    asking = next(m for m in chat["messages"] if m.get("force_reply"))
    await page.send(
        "meja", "Di luar kewenangan kecamatan.", reply_to=asking["id"], **{"as": "penangan"}
    )
    await page.says("meja", "Ditolak")
    notice = await page.says("warga2", "Di luar kewenangan kecamatan.")
    assert notice["from_bot"]
    chat = await page.chat("meja")
    reply = next(m for m in chat["messages"] if m.get("reply_to", {}).get("id") == asking["id"])
    assert reply["sender_key"] == "penangan" and not reply["from_bot"]


async def test_emulator_hooks_the_sandbox_relies_on() -> None:
    """The emulator's additive client helpers: change listeners, the whole chat history, and a
    private chat the bot may open first. Nothing else about the emulator changes."""
    from telegram import Bot
    from telegram.error import BadRequest

    from emulator import BotApiEmulator

    async with BotApiEmulator() as emulator:
        changed: list[int] = []
        emulator.listeners.append(changed.append)
        siti = emulator.user(first_name="Siti")
        bot = Bot(emulator.token, base_url=f"{emulator.base_url}/bot")
        async with bot:
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(siti.id, "first?")
            siti.open_private_chat()
            sent = await bot.send_message(siti.id, "Halo <b>Siti</b>", parse_mode="HTML")
            await siti.send("Terima kasih")
            await bot.edit_message_text("Halo lagi", chat_id=siti.id, message_id=sent.message_id)
            await bot.delete_message(siti.id, sent.message_id)
        assert changed == [siti.id] * 4  # send, user message, edit, delete
        assert [m["text"] for m in siti.history] == ["Terima kasih"]
        assert siti.keyboard_markup is None
