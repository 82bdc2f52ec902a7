"""The database goes away under a running bot (issue 18, item 3): SQLite locked by another
writer past the busy timeout, PostgreSQL restarted or its connections cut, the data folder's
disk full while a photo is saved.

What the person sees: an update caught in the middle gets "Maaf, sistem sedang sibuk. Silakan
coba lagi sebentar." (nothing of it saved); an update that arrives while the database is away
is not taken from Telegram until it can be stored in the inbox, and is answered once it is back.
The same action then succeeds, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from emulator.faults import FaultPlan
from models.db import Database
from models.tables import Activity, Conversation, Employee
from tests.conftest import EXAMPLES, POSTGRES_URL
from tests.e2e.harness import (
    OPERATOR_ID,
    Harness,
    count,
    eventually,
    idle,
    start_harness,
    stop_harness,
)
from tests.e2e.saved_edit import wait_for_saved

STAFF = "197508121999031007"
BUSY = "Maaf, sistem sedang sibuk. Silakan coba lagi sebentar."
QUICK_LOG = "Sosialisasi posyandu Bagan Deli 2 jam"


@dataclass(frozen=True)
class Words:
    """What the person presses and reads, in their language."""

    busy: str = BUSY
    save: str = "✅ Simpan"
    saved: str = "Tersimpan"


INDONESIAN = Words()
ENGLISH = Words("Sorry, the system is busy. Please try again in a moment.", "✅ Save", "Saved")


async def _started(db_url: str, db: Database, tmp_path: Path) -> Harness:
    office = await start_harness(db_url, db=db, SIGAP_DATA_DIR=str(tmp_path / "data"))
    await office.import_roster(EXAMPLES / "roster_belawan.csv")
    return office


async def _at_the_summary(office: Harness, words: Words = INDONESIAN) -> Any:
    person = await office.employee(STAFF)
    if words is ENGLISH:
        await person.send("/bahasa")
        await person.wait_for(1)
        await person.press("🇬🇧 English")
        await person.wait_for_edit()
    await person.send(QUICK_LOG)
    [summary] = await person.wait_for(1)
    assert words.save in summary.button_texts, summary.text
    return person


async def _press_save_while(
    office: Harness, person: Any, db_goes_away: Any, words: Words = INDONESIAN
) -> None:
    """Press "Simpan" and take the database away while the press is on its way (the bot
    waits on answerCallbackQuery, the one call before the save), so that the save meets it."""
    emulator = office.emulator
    # The press's answer names no chat, so ``slow_down`` cannot hold it: a "slow" fault can.
    method = "answerCallbackQuery"
    emulator.faults.enable(FaultPlan({"slow": 1.0}, methods=frozenset({method}), slow_seconds=0.3))
    seen = len(emulator.calls_by_method(method))
    await person.press(words.save)
    await eventually(lambda: len(emulator.calls_by_method(method)) > seen)
    await db_goes_away()
    emulator.faults.disable()


async def _save_again(office: Harness, person: Any, words: Words = INDONESIAN) -> None:
    """What the person does after "try again": any message brings the summary's buttons back
    (the pressed one kept them: a failed save does not settle it), and "Simpan" saves, the
    summary edited into the confirmation."""
    await person.send("simpan")
    _, summary = await person.wait_for(2)  # "use the buttons" and the summary
    assert words.save in summary.button_texts, summary.text
    await person.press(words.save)
    saved = await wait_for_saved(person, words.saved, timeout=10)
    assert saved.message_id == summary.message_id, saved
    assert words.saved in saved.text, saved.text
    await idle(office.db)
    assert await count(office.db, Activity) == 1
    texts = [m.text for m in person.messages]
    assert sum(words.saved in t for t in texts) == 1, texts
    assert sum(t == words.busy for t in texts) == 1, texts


class WriteLock:
    """Another process's writer holding SQLite's write lock (BEGIN IMMEDIATE)."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def take(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self._connection.execute("ROLLBACK")
        self._connection.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_sqlite_locked_past_the_busy_timeout(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url, busy_timeout=0.3)
    office = await _started(db_url, db, tmp_path)
    try:
        person = await _at_the_summary(office)
        lock = WriteLock(make_url(db_url).database or "")
        await _press_save_while(office, person, lambda: asyncio.to_thread(lock.take))
        [busy] = await person.wait_for(1, timeout=10)
        assert busy.text == BUSY
        assert await count(db, Activity) == 0  # readers go on in WAL mode
        # Still locked: a message is not taken from Telegram until the inbox can keep it.
        polls = len(office.emulator.calls_by_method("getUpdates"))
        await person.send("simpan")
        await eventually(
            lambda: len(office.emulator.calls_by_method("getUpdates")) > polls + 1, timeout=10
        )
        assert office.emulator.pending_update_count == 1
        assert person.messages[-1].text == BUSY  # not answered meanwhile
        lock.release()
        # Handled once the lock is gone: "use the buttons" and the summary again.
        _, summary = await person.wait_for(2, timeout=10)
        assert "✅ Simpan" in summary.button_texts
        await person.press("✅ Simpan")
        saved = await wait_for_saved(person, timeout=10)
        assert saved.message_id == summary.message_id and "Tersimpan" in saved.text, saved.text
        await idle(db)
        assert await count(db, Activity) == 1
        assert await count(db, Conversation) == 0
    finally:
        await stop_harness(office)
        await db.dispose()


# --- PostgreSQL ------------------------------------------------------------------------------


class Proxy:
    """A TCP proxy in front of the PostgreSQL server: stopped, it is a server gone away (every
    connection cut, new ones refused); started again, the server is back."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._pipes |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self._pipes.discard(writer)


@contextlib.asynccontextmanager
async def _proxied(url: str) -> AsyncIterator[tuple[Proxy, str]]:
    parsed = make_url(url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    try:
        yield proxy, parsed.set(port=proxy.port).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()


async def _terminate_connections(url: str) -> int:
    """pg_terminate_backend on every connection to ``url``'s database: what a restart of the
    server does to them."""
    admin = Database(POSTGRES_URL)
    try:
        async with admin.engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": make_url(url).database},
            )
            return int(result.scalar_one())
    finally:
        await admin.dispose()


@pytest.mark.postgres
async def test_postgres_goes_away_and_comes_back(postgres_url: str, tmp_path: Path) -> None:
    async with _proxied(postgres_url) as (proxy, via_proxy):
        db = Database(via_proxy)
        office = await _started(via_proxy, db, tmp_path)
        direct = Database(postgres_url)
        try:
            # Someone who chose English is told in English.
            person = await _at_the_summary(office, ENGLISH)
            # Connections cut between two updates (a server restart): the pool notices on
            # checkout and connects again; the person notices nothing.
            assert await _terminate_connections(postgres_url) > 0
            await person.send("save")
            _, summary = await person.wait_for(2, timeout=10)
            assert ENGLISH.save in summary.button_texts, summary.text
            # The server gone while "Save" is on its way: asked to try again, nothing saved.
            await _press_save_while(office, person, proxy.stop, ENGLISH)
            [busy] = await person.wait_for(1, timeout=15)
            assert busy.text == ENGLISH.busy
            assert await count(direct, Activity) == 0
            await proxy.start()  # back, on the same port
            await _save_again(office, person, ENGLISH)
        finally:
            await stop_harness(office)
            await db.dispose()
            await direct.dispose()


# --- The disk full ---------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the disk, not the database
async def test_disk_full_while_saving_evidence(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The photo of a guided entry cannot be written: the person is told, no file is left in
    the data folder and the draft holds no evidence; once there is room, it is taken."""
    await harness.import_roster(EXAMPLES / "roster_belawan.csv")
    person = await harness.employee(STAFF)
    await person.send("/lapor")
    await person.wait_for(1)
    await person.send("Verifikasi berkas KTP dan KK warga")
    await person.wait_for(1)
    await person.press("berkas")
    await person.wait_for(1)
    await person.send("15")
    await person.wait_for(1)
    await person.send("1,5 jam")
    [evidence] = await person.wait_for(1)
    assert "bukti" in evidence.text.lower(), evidence.text

    real_write = Path.write_bytes

    def disk_full(self: Path, data: Any) -> int:
        # What a full disk does: the file is created, part of it written, then ENOSPC.
        with self.open("wb") as handle:
            handle.write(bytes(data)[:3])
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    await person.send_photo(b"\xff\xd8\xff evidence")
    [told] = await person.wait_for(1)
    assert "penyimpanan" in told.text and "penuh" in told.text, told.text
    data_dir = tmp_path / "data"
    assert [p for p in data_dir.rglob("*") if p.is_file()] == []  # no orphan, no half file
    async with harness.db.read() as session:
        [draft] = (await session.execute(select(Conversation))).scalars()
    assert draft.step == "evidence" and not draft.data.get("evidence"), draft.data

    monkeypatch.setattr(Path, "write_bytes", real_write)
    await person.send_photo(b"\xff\xd8\xff evidence")
    [got] = await person.wait_for(1)
    assert "Bukti diterima" in got.text, got.text
    assert len([p for p in data_dir.rglob("*") if p.is_file()]) == 1


# --- The database full -----------------------------------------------------------------------

DATABASE_FULL = (
    "Maaf, ruang penyimpanan data kami sedang penuh, jadi permintaan Anda belum tersimpan. "
    "Hal ini sudah dicatat untuk admin. Silakan coba lagi nanti."
)


class PageLimit:
    """SQLite's ``max_page_count`` on every transaction of the bot's engine: set to 1, the
    database may not grow past the pages it has (SQLite keeps it at its current size), so the
    next write that needs a page fails with SQLITE_FULL, as on a full disk."""

    def __init__(self, db: Database) -> None:
        self.full = False
        self._engine = db.engine.sync_engine
        event.listen(self._engine, "begin", self._on_begin)

    async def fill(self) -> None:
        self.full = True

    def _on_begin(self, conn: Any) -> None:
        conn.exec_driver_sql(f"PRAGMA max_page_count = {1 if self.full else 2**31}")

    def remove(self) -> None:
        event.remove(self._engine, "begin", self._on_begin)


def _no_free_pages(path: str) -> None:
    """Fill SQLite's free pages (left by the migrations), so that a write that needs room has
    to grow the file."""
    connection = sqlite3.connect(path)
    try:
        free = connection.execute("PRAGMA freelist_count").fetchone()[0]
        connection.execute("CREATE TABLE test_filler (b BLOB)")
        connection.execute("INSERT INTO test_filler VALUES (zeroblob(?))", ((free + 1) * 4096,))
        connection.commit()
        assert connection.execute("PRAGMA freelist_count").fetchone()[0] == 0
    finally:
        connection.close()


def _with_new_people(book: Any, count: int) -> bytes:
    """The roster as downloaded, with ``count`` new employees of the Sekretariat."""
    sheet = book["Pegawai"]
    free = next(r for r in range(2, sheet.max_row + 2) if not sheet.cell(r, 1).value)
    unit = "Sekretariat Kecamatan Medan Belawan"
    for n in range(count):
        nip = f"19900101201501{1 + n % 2}{n + 1:03d}"
        row = [nip, f"Pegawai Baru {n}", "Pengadministrasi Umum", "BLW-SEK", unit, "", ""]
        for column, value in enumerate(row, start=1):
            sheet.cell(free + n, column).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_database_full_while_applying_a_roster(
    office: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The database may not grow while a roster of 120 new people is applied: the admin is told
    the storage is full, nothing of the roster is stored, the operators get one log line and no
    chat message; once there is room, the same Terapkan applies it, once."""
    from tests.e2e.test_admin_roster import FITRIANI, XLSX, _book, _download

    fitri = await office.employee(FITRIANI, first_name="Fitri")
    book = _book(office, await _download(office, fitri))
    await fitri.send_document(_with_new_people(book, 120), file_name="r.xlsx", mime_type=XLSX)
    [preview] = await fitri.wait_for(1)
    assert "Baru (120)" in preview.text and "✅ Terapkan" in preview.button_texts, preview.text
    await idle(office.db)
    _no_free_pages(office.db.url.database or "")
    before = await count(office.db, Employee)
    limit = PageLimit(office.db)
    try:
        # Full once the press is stored in the inbox: the apply meets it.
        await _press_save_while(office, fitri, limit.fill, Words(save="✅ Terapkan"))
        [told] = await fitri.wait_for(1, timeout=10)
        assert told.text == DATABASE_FULL
        assert await count(office.db, Employee) == before  # all or nothing: nothing
        full = [r for r in caplog.records if "database storage full" in r.getMessage()]
        assert len(full) == 1 and full[0].levelname == "ERROR" and not full[0].exc_info
        told_operators = [
            c
            for c in office.emulator.calls_by_method("sendMessage")
            if str(c.get("chat_id")) == str(OPERATOR_ID)
        ]
        assert told_operators == []
        async with office.db.read() as session:
            [open_preview] = (await session.execute(select(Conversation))).scalars()
        assert open_preview.flow == "admin_file"  # the preview stays, to press again

        limit.full = False
        await fitri.send("terapkan")
        await fitri.wait_for(2)  # "use the buttons" and the preview again
        await fitri.press("✅ Terapkan")
        [done] = await fitri.wait_for(1, timeout=10)
        assert "120 baru" in done.text, done.text
        assert await count(office.db, Employee) == before + 120
        texts = [m.text for m in fitri.messages]
        assert sum(t == DATABASE_FULL for t in texts) == 1, texts
    finally:
        limit.remove()
