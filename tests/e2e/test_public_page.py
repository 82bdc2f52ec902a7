"""The public page (``/publik``) and its CSV files, fetched over HTTP from Sigap's own web server
(``bot.web.WebServer``, as ``sigap run`` starts it) while the bot runs against the emulator:
figures from seeded data (``public_seed``: worked out by hand there; the IKM checked against
``domain.skm``), small counts as "< 5", the unit head's follow-up written with /ikm and shown,
refused to others, and no personal data anywhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import app_data
from bot.web import WebServer
from domain.skm import ELEMENTS, compute
from emulator import BotMessage, EmulatedUser
from handlers.web.context import WebContext
from models.ikm_follow_up import IkmFollowUp
from tests.e2e import public_seed as seed
from tests.e2e.harness import Harness, free_port
from tests.e2e.test_complaints import file_complaint
from texts.format import fixed

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

NURHAYATI = "198009112006042011"  # head of Seksi Pelayanan Umum (BLW-PU)
YENNI = "198208302008012010"  # supervisor in BLW-K02, under the lurah: not its head
SYAHRUL = "197605012002121003"  # lurah, head of BLW-K01
FITRIANI = "198407222009012003"  # admin
Q4_BUTTON = "✍️ Rencana tindak lanjut Triwulan IV 2026"
Q3_BUTTON = "✍️ Rencana tindak lanjut Triwulan III 2026"


class Site:
    def __init__(self, url: str) -> None:
        self.url = url

    async def get(self, path: str, status: int = 200) -> tuple[str, dict[str, str]]:
        async with aiohttp.ClientSession() as session, session.get(self.url + path) as response:
            body = await response.text()
            assert response.status == status, (path, response.status, body[:300])
            return body, dict(response.headers)

    async def csv(self, name: str, query: str = "") -> list[list[str]]:
        body, headers = await self.get(f"/publik/{name}.csv{query}")
        assert headers["Content-Type"].startswith("text/csv")
        assert "attachment" in headers["Content-Disposition"]
        return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


@pytest.fixture
async def site(office: Harness) -> AsyncIterator[Site]:
    """The production web server (health, metrics, public page) of the harness's bot."""
    port = free_port()
    services = app_data(office.application).require_services()
    server = WebServer(WebContext(services), ("127.0.0.1", port))
    await server.start()
    try:
        yield Site(f"http://127.0.0.1:{port}")
    finally:
        await server.stop()


async def write_follow_up(head: EmulatedUser, button: str, text: str) -> list[BotMessage]:
    """/ikm, the follow-up button, the text: the question and the confirmation."""
    await head.send("/ikm")
    await head.wait_for(2)
    await head.press(button)
    [ask] = await head.wait_for(1)
    await head.send(text)
    [done] = await head.wait_for(1)
    return [ask, done]


class Tables(HTMLParser):
    """The page's tables as rows of cell texts, and its text without tags."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def row(self, first: str, table: int | None = None) -> list[str]:
        chosen = self.tables if table is None else [self.tables[table]]
        return next(r for t in chosen for r in t if r and r[0] == first)


async def test_figures_from_seeded_data(office: Harness, site: Site) -> None:
    await seed.seed_survey(office)
    await seed.seed_complaints(office)
    page, headers = await site.get("/publik")
    assert headers["Content-Type"].startswith("text/html")
    assert "max-age=" in headers["Cache-Control"] and "public" in headers["Cache-Control"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    doc = Tables(page)
    text = " ".join(doc.text)

    # IKM of BLW-PU for the running quarter, as domain.skm computes it: 6 respondents.
    q4 = compute(seed.PU_Q4)
    assert q4 is not None and q4.grade == "B"
    summary = f"IKM {fixed(q4.ikm, 'id')} · mutu B (Baik) · 6 responden"
    assert summary in text
    elements = doc.tables[0]  # BLW-PU's element means: the first table on the page
    assert elements[1:] == [
        [name, fixed(q4.element_mean(i), "id")]
        for i, name in enumerate(
            ["Persyaratan", "Sistem, Mekanisme, dan Prosedur", "Waktu Penyelesaian",
             "Biaya/Tarif", "Produk Spesifikasi Jenis Pelayanan", "Kompetensi Pelaksana",
             "Perilaku Pelaksana", "Sarana dan Prasarana",
             "Penanganan Pengaduan, Saran dan Masukan"]
        )
    ]  # fmt: skip
    assert "100,00 A" in text  # 2026Q3's bar: five answers of all 4
    # BLW-K01: two respondents, nothing published but "< 5".
    assert "Kelurahan Belawan I" in text
    assert "Responden kurang dari 5: nilai tidak diterbitkan." in text

    # Complaints per month (see public_seed for the arithmetic).
    header = doc.row("Bulan")
    assert header[1:4] == ["Diterima", "Pengaduan", "Aspirasi"]
    assert doc.row("November 2026") == [
        "November 2026", "9", "7", "< 5", "< 5", "75", "67", "4,0", "< 5"
    ]  # fmt: skip
    assert doc.row("Oktober 2026") == ["Oktober 2026", "< 5", "< 5", "0", "0", "–", "–", "–", "0"]
    assert doc.row("Desember 2025")[1] == "0"
    assert not any("2025" in r[0] and "Oktober" in r[0] for t in doc.tables for r in t)
    by_category = doc.tables[-1]
    assert ["November 2026", "Administrasi Kependudukan (KTP, KK, surat)", "7"] in by_category
    assert ["November 2026", "Lainnya", "< 5"] in by_category
    assert ["Oktober 2026", "Jalan & Drainase", "< 5"] in by_category
    monthly = page.rsplit("<svg", 1)[-1].split("</svg>")[0]
    assert "Aduan diterima per bulan" in monthly
    assert ">&lt; 5</text>" in monthly and ">9</text>" in monthly  # October, November

    # The CSV files hold the same tables, decimals with a dot.
    months = await site.csv("aduan")
    assert months[0][:2] == ["Bulan", "Diterima"]
    assert ["November 2026", "9", "7", "< 5", "< 5", "75", "67", "4.0", "< 5"] in months
    ikm = await site.csv("ikm")
    assert ikm[0][:6] == ["Kode unit", "Unit", "Triwulan", "Responden", "IKM", "Mutu"]
    [pu] = [r for r in ikm if r[:3] == ["BLW-PU", "Seksi Pelayanan Umum", "Triwulan IV 2026"]]
    assert pu[3:6] == ["6", f"{q4.ikm:.2f}", "B (Baik)"]
    assert pu[6:15] == [f"{q4.element_mean(i):.2f}" for i in range(len(ELEMENTS))]
    [k01] = [r for r in ikm if r[0] == "BLW-K01" and r[2] == "Triwulan IV 2026"]
    assert k01[3:6] == ["< 5", "–", "–"]
    categories = await site.csv("aduan-kategori")
    assert ["November 2026", "Lainnya", "< 5"] in categories

    # English, and another quarter.
    english, headers = await site.get("/publik?lang=en")
    assert headers["Content-Language"] == "en"
    doc = Tables(english)
    assert "Public Service Figures" in english and 'lang="en"' in english
    assert doc.row("November 2026") == [
        "November 2026", "9", "7", "< 5", "< 5", "75", "67", "4.0", "< 5"
    ]  # fmt: skip
    assert f"IKM {q4.ikm} · grade B (Good) · 6 respondents" in " ".join(doc.text)
    english_csv = await site.csv("aduan", "?lang=en")
    assert english_csv[0][:2] == ["Month", "Received"]
    q3 = Tables((await site.get("/publik?q=2026Q3"))[0])
    assert "IKM 100,00 · mutu A (Sangat Baik) · 5 responden" in " ".join(q3.text)
    older, _ = await site.get("/publik?q=2025Q2&lang=en")
    assert 'href="/publik?lang=en&amp;q=2025Q2" aria-current="page"' in older
    assert 'href="/publik?lang=en">Quarter IV 2026 (running)</a>' in older

    # Bad input: a polite 400 in the language asked, an unknown table is not found.
    body, _ = await site.get("/publik?q=kemarin", status=400)
    assert "Triwulan tidak dikenal" in body
    body, _ = await site.get("/publik/ikm.csv?q=2026Q9&lang=en", status=400)
    assert "Unknown quarter" in body
    await site.get("/publik/rahasia.csv", status=404)


async def test_the_unit_head_writes_the_follow_up_and_the_page_shows_it(
    office: Harness, site: Site
) -> None:
    await seed.seed_survey(office)
    head = await office.employee(NURHAYATI, username="nurhayati_pu")
    await head.send("/ikm")
    text, _chart = await head.wait_for(2)
    assert text.button_texts == [Q4_BUTTON, Q3_BUTTON]
    await head.press(Q4_BUTTON)
    [ask] = await head.wait_for(1)
    assert "Rencana tindak lanjut Triwulan IV 2026" in ask.text and "diterbitkan" in ask.text
    await head.send("Terlalu")
    [short] = await head.wait_for(1)
    assert "Terlalu pendek" in short.text
    plan = "Menambah <kursi> tunggu & loket kedua.\nJam layanan diperpanjang sampai 16.00."
    await head.send(plan)
    [saved] = await head.wait_for(1)
    assert "disimpan" in saved.text and "Seksi Pelayanan Umum" in saved.text
    page, _ = await site.get("/publik")
    assert "Menambah &lt;kursi&gt; tunggu &amp; loket kedua.\nJam layanan" in page
    assert "<kursi>" not in page

    # Writing again replaces it, and says so; the old text is shown before.
    ask, replaced = await write_follow_up(
        head, Q4_BUTTON, "Loket kedua dibuka mulai Desember 2026."
    )
    assert "akan diganti" in ask.text and "Menambah <kursi> tunggu" in ask.text
    assert "diganti" in replaced.text
    page, _ = await site.get("/publik")
    assert "Loket kedua dibuka mulai Desember 2026." in page and "kursi" not in page
    ikm = await site.csv("ikm")
    [row] = [r for r in ikm if r[0] == "BLW-PU" and r[2] == "Triwulan IV 2026"]
    assert row[-1] == "Loket kedua dibuka mulai Desember 2026."
    async with office.db.read() as session:
        [stored] = (await session.execute(select(IkmFollowUp))).scalars()
    assert (stored.period, stored.text) == ("2026Q4", "Loket kedua dibuka mulai Desember 2026.")

    # The admin may write for any unit, from /ikm KODE.
    admin = await office.employee(FITRIANI)
    await admin.send("/ikm BLW-K01")
    text, _chart = await admin.wait_for(2)
    assert text.button_texts == [Q4_BUTTON, Q3_BUTTON]


async def test_the_follow_up_is_refused_to_anyone_but_the_head(office: Harness, site: Site) -> None:
    await seed.seed_survey(office)
    found = await seed.ids(office)
    # A supervisor who is not the head of their unit sees /ikm, without the button.
    yenni = await office.employee(YENNI)
    await yenni.send("/ikm")
    [own] = await yenni.wait_for(1)
    assert "Kelurahan Belawan II" in own.text and own.button_texts == []
    # A forged press for their own unit, and a lurah's for another unit: refused.
    for person, unit in ((yenni, "BLW-K02"), (await office.employee(SYAHRUL), "BLW-PU")):
        query = await person.press(callback_data=f"ikf:w:{found[unit]}:2026Q4", forge=True)
        answer = await person.answer_to(query)
        assert "Hanya kepala unit" in answer["text"] and answer.get("show_alert")
        await person.send("Tulisan yang tidak boleh terbit di halaman publik.")
        await person.wait_for(1)  # answered as ordinary text: no flow was started
    async with office.db.read() as session:
        assert (await session.execute(select(IkmFollowUp))).first() is None
    page, _ = await site.get("/publik")
    assert "tidak boleh terbit" not in page and "Belum ditulis." in page


async def test_no_personal_data_on_the_page_or_in_the_files(office: Harness, site: Site) -> None:
    await seed.seed_survey(office)
    await seed.seed_complaints(office)
    head = await office.employee(NURHAYATI, username="nurhayati_pu")
    await write_follow_up(head, Q4_BUTTON, "Loket kedua dibuka mulai Desember 2026.")
    # And two complaints filed the way citizens do: an anonymous and a rahasia one, with places.
    personal = list(seed.PERSONAL)
    for privacy, first, last, username, story, place in (
        ("Anonim", "Sitianonim", "Rahasiawati", "siti_anonim",
         "Lampu gang Mawar padam sejak Jumat malam", "Gg. Mawar dekat tambak Pak Darmo"),
        ("Rahasia", "Bambangrahasia", "Purbaya", "bambang_rhs",
         "Ada pungli di loket lantai tiga kantor camat", "Loket tiga kantor camat Belawan"),
    ):  # fmt: skip
        citizen = office.user(first_name=first, last_name=last, username=username)
        number = await file_complaint(citizen, privacy=privacy, story=story, location=place)
        personal += [first, last, username, str(citizen.id), story, place, number]
    pages = [
        (await site.get(path))[0]
        for path in (
            "/publik",
            "/publik?lang=en",
            "/publik?q=2026Q3",
            "/publik/ikm.csv",
            "/publik/aduan.csv",
            "/publik/aduan-kategori.csv?lang=en",
        )
    ]
    everything = "\n".join(pages)
    assert "Loket kedua dibuka" in everything  # the page is not empty: the checks below bite
    roster = _roster_names()
    assert len(roster) > 20
    forbidden = [
        *personal,
        *roster,
        "nurhayati_pu",
        str(head.id),
        NURHAYATI,
        "Nurhayati",
        "Pelapor #",
        "BLW-2611-",  # tracking numbers
        "3.7755",
        "98.6832",
    ]
    leaked = [value for value in forbidden if value.lower() in everything.lower()]
    assert leaked == []


def _roster_names() -> list[str]:
    from tests.conftest import EXAMPLES

    with open(EXAMPLES / "roster_belawan.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=";"))[1:]
    return [row[1].split(",")[0] for row in rows] + [row[0] for row in rows]
