"""The sandbox in a real headless browser: Debian's chromium driven by Python playwright.

One walk through the product as a newcomer would take it: pick the employee and log an activity
with the buttons, switch to a citizen and file a complaint with a location, switch to the desk
group and verify it, jump the clock to 14:00 and watch the reminder arrive; then the same page
on a phone, 360 px wide, with the people list behind its button and the survey's services. A
screenshot of each step is saved to ``$SIGAP_ARTIFACTS_DIR`` (default: the test's temporary
folder) and the paths are printed. Playwright never downloads a browser here: ``make browser``
installs chromium from Debian; without it the test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import Sandbox
from tests.e2e.test_sandbox import PNG, TUESDAY_9, start_sandbox

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    wanted = os.environ.get("SIGAP_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).exists() else None
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


async_api = pytest.importorskip(
    "playwright.async_api", reason="playwright is not installed (pip install -e '.[dev]')"
)
CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium found (install it with `make browser`, or set SIGAP_CHROMIUM)",
)


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SIGAP_ARTIFACTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Sandbox]:
    sandbox = await start_sandbox(tmp_path / "sandbox", start=TUESDAY_9)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


class Browser:
    def __init__(self, page: Any, artifacts: Path) -> None:
        self.page = page
        self.artifacts = artifacts
        self.shots: list[Path] = []

    async def shot(self, name: str) -> None:
        path = self.artifacts / f"{len(self.shots) + 1:02d}-{name}.png"
        await self.page.screenshot(path=str(path))
        self.shots.append(path)
        print(f"screenshot: {path}")

    async def persona(self, key: str) -> None:
        await self.page.click(f"[data-persona={key}]")
        await self.page.locator(f"[data-persona={key}].active").wait_for()
        # The chat itself loads after the highlight moves: wait until it is this person's.
        await self.page.locator(f"#messages[data-persona={key}]").wait_for(state="attached")

    async def bot_says(self, text: str) -> Any:
        message = self.page.locator("#messages .msg[data-from-bot]", has_text=text).last
        await message.wait_for()
        return message

    async def type(self, text: str) -> None:
        await self.page.fill("#text", text)
        await self.page.press("#text", "Enter")

    async def inline(self, label: str) -> None:
        await self.page.locator(".inline-keyboard button", has_text=label).last.click()

    async def keyboard(self, label: str) -> None:
        await self.page.locator("#keyboard button", has_text=label).click()


@asynccontextmanager
async def _browser(
    running: Sandbox, artifacts: Path
) -> AsyncIterator[tuple[Any, Browser, list[str]]]:
    """Chromium on the sandbox's page once it is live: the page, its helper, and the page's
    JavaScript errors (a test ends by asserting there were none)."""
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=20_000
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 860})
            page.set_default_timeout(10_000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(running.url)
            await page.locator("body[data-live='1']").wait_for()
            yield page, Browser(page, artifacts), errors
        finally:
            await browser.close()


async def test_a_newcomer_walks_through_the_product(running: Sandbox, artifacts: Path) -> None:
    async with _browser(running, artifacts) as (page, b, errors):
        await page.locator("#clock-time", has_text="09.00 WIB").wait_for()

        # 1. The employee logs an activity with the buttons (/lapor guided flow).
        await b.persona("pegawai")
        await b.bot_says("tertaut ke")
        await b.shot("pegawai-linked")
        await b.keyboard("Lapor kegiatan")
        await b.bot_says("Apa yang Anda kerjakan")
        await b.type("Melayani warga mengurus KTP")
        await b.bot_says("Berapa hasilnya")
        await b.inline("orang dilayani")
        await b.bot_says("Berapa orang dilayani")
        await b.type("12")
        await b.bot_says("Berapa lama")
        await b.inline("2j")
        await b.bot_says("target SKP yang mana")
        await b.inline("Jumlah permohonan layanan yang diinput ke aplikasi")
        await b.bot_says("sebagai bukti")
        # Evidence: a photo from the attach button, as a person picks one from their files.
        await page.set_input_files(
            "#file-input",
            files=[{"name": "bukti.png", "mimeType": "image/png", "buffer": PNG}],
        )
        await page.locator("#attach-dialog[open]").wait_for()
        await page.click("#attach-send")
        await b.bot_says("Bukti diterima")
        await page.locator("#messages .msg.out img.photo").wait_for()
        await b.inline("Selesai")
        summary = await b.bot_says("Periksa dulu")
        assert "Bukti: 1" in await summary.inner_text()
        assert await summary.locator("b", has_text="Periksa dulu").count() == 1  # bold shown
        await b.inline("Simpan")
        await b.bot_says("Tersimpan")
        await b.shot("pegawai-activity-saved")

        # 2. A citizen files a complaint with a location.
        await b.persona("warga")
        await page.click("#start-button")
        await b.bot_says("layanan chat")
        await b.type("/aduan")
        await b.bot_says("Sampaikan aduan")
        await b.inline("Pengaduan")
        await b.bot_says("Tentang apa")
        await b.inline("Administrasi Kependudukan")
        await b.bot_says("Ceritakan apa yang terjadi")
        await b.type("Sudah tiga minggu KTP elektronik saya belum dicetak di kecamatan.")
        await b.bot_says("Di mana lokasinya")
        await b.keyboard("Kirim lokasi")
        await page.locator("#location-dialog[open]").wait_for()
        await page.click("#preset-camat")
        await b.shot("warga-location-form")
        await page.click("#location-send")
        await b.bot_says("Lokasi dicatat")
        await page.locator("#messages .msg.out .location").wait_for()
        await b.inline("Lewati")
        await b.bot_says("Siapa yang boleh mengetahui")
        await b.inline("Biasa")
        await b.bot_says("Bolehkah petugas menghubungi")
        await b.keyboard("Tidak usah")
        await b.bot_says("Periksa aduan Anda")
        await b.inline("Kirim aduan")
        received = await b.bot_says("Aduan Anda diterima")
        assert "BLW-2611-0001" in await received.inner_text()
        await b.shot("warga-complaint-filed")

        # 3. The desk group verifies it (as Dewi, the unit's complaint handler).
        await b.persona("meja")
        # The "writing as" choice is filled in once the group's view has loaded.
        await page.wait_for_function("document.querySelector('#acting-as').value === 'penangan'")
        await b.bot_says("Aduan BLW-2611-0001")
        await b.inline("Verifikasi")
        await page.locator(".msg[data-from-bot]", has_text="Status: Terverifikasi").wait_for()
        await b.shot("meja-verified")
        await b.persona("warga")
        await b.bot_says("sudah diverifikasi")

        # 4. Jump the clock to 14:00 on this working day: those who logged nothing today
        #    get the reminder; Kevin, who logged, does not.
        await page.click("#clock-14")
        await page.locator("#clock-time", has_text="14.00 WIB").wait_for()
        await page.click("#clock-run")
        await page.locator("#clock-result", has_text="pengingat: 3").wait_for()
        await b.persona("penangan")
        await b.bot_says("belum melaporkan kegiatan hari ini")
        await page.locator(".inline-keyboard button", has_text="Lapor sekarang").wait_for()
        await b.shot("penangan-reminder")
        await b.persona("pegawai")
        assert await page.locator(".msg", has_text="belum melaporkan").count() == 0

        # 5. On a phone (360 px wide): the chat takes the screen, the people list waits
        #    behind ☰, nothing scrolls sideways, and the chat shows its newest message
        #    also once the evidence photo has loaded and grown it.
        await page.set_viewport_size({"width": 360, "height": 740})
        await page.reload()
        await page.locator("body[data-live='1']").wait_for()
        await page.locator("#messages[data-persona=pegawai] img.photo").wait_for()
        await page.wait_for_function(
            "[...document.querySelectorAll('#messages img.photo')].every(i => i.complete)"
        )
        assert await _gap_below_newest(page) < 4
        assert (await page.locator("#sidebar").bounding_box())["x"] < -300
        await page.click("#people-button")
        await page.wait_for_function(
            "document.querySelector('#sidebar').getBoundingClientRect().x >= 0"
        )
        await page.click("[data-persona=warga]")
        await page.locator("#messages[data-persona=warga]").wait_for(state="attached")
        await page.wait_for_function(
            "document.querySelector('#sidebar').getBoundingClientRect().right <= 0"
        )
        await b.type("/survei")
        await b.bot_says("Di unit mana")
        await b.inline("Seksi Pelayanan Umum")
        await b.bot_says("Layanan apa yang Anda terima")
        # The sandbox offers the office's survey services.
        await page.locator(".inline-keyboard button", has_text="domisili").wait_for()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width
        assert await _gap_below_newest(page) < 4
        await b.shot("phone-360-survey")
        assert errors == [], errors
    assert len(b.shots) == 7 and all(path.stat().st_size > 10_000 for path in b.shots)


async def test_the_admin_uploads_a_roster(running: Sandbox, artifacts: Path) -> None:
    """The sandbox's admin (Fitriani) downloads the roster from /admin, changes a row in
    "Excel" (openpyxl), attaches the file in the page, reads the preview and applies it."""
    import io

    import aiohttp
    from openpyxl import load_workbook

    async with _browser(running, artifacts) as (page, b, errors):
        await b.persona("admin")
        await b.type("/admin")
        await b.bot_says("Meja admin")
        await b.inline("Unduh daftar pegawai")
        link = page.locator("#messages a.doc", has_text="daftar-pegawai-semua.xlsx").last
        await link.wait_for()
        href = await link.get_attribute("href")
        async with aiohttp.ClientSession() as session:
            async with session.get(running.url.rstrip("/") + str(href)) as response:
                book = load_workbook(io.BytesIO(await response.read()))
        sheet = book.active
        kevin = next(
            r
            for r in range(2, sheet.max_row + 1)
            if sheet.cell(r, 2).value == "Kevin Gunawan"  # type: ignore[union-attr]
        )
        sheet.cell(kevin, 3).value = "Pranata Layanan Operasional"  # type: ignore[union-attr]
        changed = io.BytesIO()
        book.save(changed)
        await page.set_input_files(
            "#file-input",
            files=[
                {
                    "name": "daftar-pegawai-semua.xlsx",
                    "mimeType": XLSX,
                    "buffer": changed.getvalue(),
                }
            ],
        )
        await page.locator("#attach-dialog[open]").wait_for()
        await page.click("#attach-send")
        preview = await b.bot_says("Pratinjau daftar pegawai")
        assert "Pranata Layanan Operasional" in await preview.inner_text()
        await b.shot("admin-roster-preview")
        await b.inline("Terapkan")
        await b.bot_says("Daftar pegawai diterapkan")
        await b.shot("admin-roster-applied")
        assert errors == [], errors


async def _gap_below_newest(page: Any) -> float:
    """How far the chat is scrolled from its newest message (0: the newest is in view)."""
    return float(
        await page.evaluate(
            "(() => { const b = document.querySelector('#messages');"
            " return b.scrollHeight - b.scrollTop - b.clientHeight; })()"
        )
    )
