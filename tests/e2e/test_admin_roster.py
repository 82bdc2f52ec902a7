"""/admin and the roster round trip, as Fitriani Lubis (Kasubbag Umum dan Kepegawaian, admin in
the sample roster) does it: download the roster, change it in Excel (here: openpyxl), send it
back, read the preview, press Terapkan.

The three changes: Agus Salim Daulay now reports to Rosmawati instead of Fitriani, Susanti
Halim has a new position, Kevin Gunawan (no staff) left and his row is deleted.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.workbook.workbook import Workbook as WorkbookType
from sqlalchemy import func, select
from sqlmodel import col

from models.tables import AuditEntry, Employee
from tests.e2e.saved_edit import wait_for_saved

FITRIANI = "198407222009012003"
AGUS = "197508121999031007"
ROSMAWATI = "197203181998032004"
SUSANTI = "199203032019032012"
KEVIN = "199708112024211004"
RAHMAD = "198105142003121002"
BENNY = "197802042005011006"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _book(office, message) -> WorkbookType:
    assert message.document is not None, message
    return load_workbook(io.BytesIO(office.emulator.files.by_id[message.document["file_id"]].data))


def _bytes(book: WorkbookType) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row_of(sheet, nip: str) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == nip)


async def _employee(office, nip: str) -> Employee:
    async with office.db.read() as session:
        return (
            await session.execute(select(Employee).where(col(Employee.nip) == nip))
        ).scalar_one()


async def _audits(office) -> list[AuditEntry]:
    async with office.db.read() as session:
        stmt = select(AuditEntry).where(
            col(AuditEntry.action) == "roster.import", col(AuditEntry.actor) != "test"
        )
        return list((await session.execute(stmt)).scalars())


async def _download(office, admin):
    await admin.send("/admin")
    await admin.wait_for(1)
    await admin.press("📥 Unduh daftar pegawai")
    [document] = await admin.wait_for(1)
    return document


async def test_roster_round_trip_changes_who_approves(office) -> None:
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    await fitri.send("/admin")
    [menu] = await fitri.wait_for(1)
    assert "Meja admin" in menu.text and "seluruh kantor" in menu.text
    assert "📥 Unduh daftar pegawai" in menu.button_texts
    await fitri.press("📥 Unduh daftar pegawai")
    [document] = await fitri.wait_for(1)
    assert document.document["file_name"] == "daftar-pegawai-semua.xlsx"
    assert "28 orang" in document.caption
    book = _book(office, document)
    assert book.sheetnames == ["Pegawai", "Petunjuk"]
    sheet = book["Pegawai"]
    assert [c.value for c in sheet[1]] == [
        "NIP", "Nama", "Jabatan", "Kode Unit", "Nama Unit", "NIP Atasan", "Peran",
    ]  # fmt: skip
    agus_row = _row_of(sheet, AGUS)
    # NIPs are text cells formatted as text: Excel neither shows 1,98E+17 nor rounds them.
    assert sheet.cell(agus_row, 1).data_type == "s"
    assert sheet.cell(agus_row, 1).number_format == "@"
    assert sheet.cell(agus_row, 6).value == FITRIANI
    assert sheet.cell(_row_of(sheet, FITRIANI), 7).value == "atasan, admin"
    assert any("G2" in str(v.sqref) for v in sheet.data_validations.dataValidation)
    assert "NIP Atasan" in str(book["Petunjuk"]["A3"].value)

    sheet.cell(agus_row, 6).value = ROSMAWATI
    sheet.cell(_row_of(sheet, SUSANTI), 3).value = "Bendahara Pengeluaran"
    sheet.delete_rows(_row_of(sheet, KEVIN))
    changed = _bytes(book)
    await fitri.send_document(changed, file_name="daftar-pegawai-semua.xlsx", mime_type=XLSX)
    [preview] = await fitri.wait_for(1)
    assert "Pratinjau daftar pegawai" in preview.text
    assert "Berubah (2)" in preview.text
    assert f"Agus Salim Daulay ({AGUS}): atasan {FITRIANI} → {ROSMAWATI}" in preview.text
    assert "jabatan Pengelola Keuangan → Bendahara Pengeluaran" in preview.text
    assert "Dinonaktifkan (1)" in preview.text and "Kevin Gunawan" in preview.text
    assert "Tidak berubah: 25" in preview.text
    assert preview.button_texts == ["✅ Terapkan", "✖️ Batal"]
    # Nothing has changed before Terapkan.
    assert (await _employee(office, AGUS)).supervisor_id == (await _employee(office, FITRIANI)).id

    await fitri.press("✅ Terapkan")
    [done] = await fitri.wait_for(1)
    assert "0 baru, 2 berubah, 1 dinonaktifkan" in done.text
    rosmawati = await _employee(office, ROSMAWATI)
    assert (await _employee(office, AGUS)).supervisor_id == rosmawati.id
    assert (await _employee(office, SUSANTI)).position == "Bendahara Pengeluaran"
    assert not (await _employee(office, KEVIN)).active
    [entry] = await _audits(office)
    assert entry.actor == f"tg:{fitri.id}" and entry.detail["deactivated"] == 1
    stored = Path(office.settings.data_dir) / entry.detail["file"]["path"]
    assert stored.read_bytes() == changed
    # A second press on the same preview (a double tap, or the press delivered again after a
    # kill before the confirmation went out) applies nothing more and is told the same.
    await fitri.press(callback_data=preview.buttons[0][0][1], forge=True)
    [same] = await fitri.wait_for(1)
    assert same.text == done.text
    assert len(await _audits(office)) == 1

    # The changed supervisor now gets Agus's entries to approve; Fitriani no longer does.
    agus = await office.employee(AGUS, first_name="Agus")
    await agus.send("Verifikasi 15 berkas KTP 1,5 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    ros = await office.employee(ROSMAWATI, first_name="Ros")
    await ros.send("/persetujuan")
    [waiting] = await ros.wait_for(1)
    assert "Agus Salim Daulay" in waiting.text
    await fitri.send("/persetujuan")
    [none] = await fitri.wait_for(1)
    assert "Agus Salim Daulay" not in none.text

    # The same file again changes nothing, and says so.
    await fitri.send_document(changed, file_name="daftar-pegawai-semua.xlsx", mime_type=XLSX)
    [again] = await fitri.wait_for(1)
    assert "Tidak ada yang perlu diubah" in again.text and "Tidak berubah: 27" in again.text
    assert again.button_texts == ["✖️ Batal"]
    assert len(await _audits(office)) == 1

    # The audit view in /admin shows the change and who made it.
    await fitri.send("/admin")
    await fitri.wait_for(1)
    await fitri.press("🧾 Perubahan terakhir")
    [log] = await fitri.wait_for(1)
    assert "Fitriani Lubis" in log.text and "roster.import" in log.text


async def test_roster_refusals_and_bad_rows(office) -> None:
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    book = _book(office, await _download(office, fitri))
    sheet = book.active
    # Rosmawati leaves, but Fitriani and Susanti still report to her.
    sheet.delete_rows(_row_of(sheet, ROSMAWATI))  # type: ignore[union-attr]
    await fitri.send_document(_bytes(book), file_name="roster.xlsx", mime_type=XLSX)
    [preview] = await fitri.wait_for(1)
    assert "Dra. Rosmawati Siregar, M.AP" in preview.text
    assert "masih menjadi atasan 2 pegawai aktif" in preview.text
    assert "✅ Terapkan" not in preview.button_texts

    # Nobody would be admin any more.
    book = _book(office, await _download(office, fitri))
    sheet = book.active
    sheet.cell(_row_of(sheet, RAHMAD), 7).value = "atasan"  # type: ignore[union-attr]
    sheet.cell(_row_of(sheet, FITRIANI), 7).value = "atasan"  # type: ignore[union-attr]
    await fitri.send_document(_bytes(book), file_name="roster.xlsx", mime_type=XLSX)
    [preview] = await fitri.wait_for(1)
    assert "admin terakhir" in preview.text and "✅ Terapkan" not in preview.button_texts

    # Bad rows, each with its line and reason: a NIP Excel turned into 1.98E+17, no name.
    sheet.cell(_row_of(sheet, RAHMAD), 7).value = "atasan, admin"  # type: ignore[union-attr]
    sheet.cell(_row_of(sheet, FITRIANI), 7).value = "atasan, admin"  # type: ignore[union-attr]
    agus = _row_of(sheet, AGUS)
    sheet.cell(agus, 1).value = 1.97508121999031e17  # type: ignore[union-attr]
    sheet.cell(_row_of(sheet, SUSANTI), 2).value = None  # type: ignore[union-attr]
    await fitri.send_document(_bytes(book), file_name="roster.xlsx", mime_type=XLSX)
    [preview] = await fitri.wait_for(1)
    assert "Baris bermasalah (2)" in preview.text
    assert f"baris {agus}: NIP sudah dibulatkan Excel" in preview.text
    assert "Nama belum diisi" in preview.text
    assert preview.button_texts == ["✖️ Batal"]
    await fitri.press("✖️ Batal")
    [cancelled] = await fitri.wait_for(1)
    assert "Tidak ada yang berubah" in cancelled.text
    assert await _audits(office) == []


async def test_files_are_checked_like_untrusted_input(office) -> None:
    fitri = await office.employee(FITRIANI, first_name="Fitri")

    async def answer(data: bytes, name: str = "roster.xlsx", **kw) -> str:
        await fitri.send_document(data, file_name=name, mime_type=XLSX, **kw)
        [reply] = await fitri.wait_for(1)
        return reply.text

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    assert "bukan lembar kerja Excel" in await answer(png)
    assert "terlalu besar (maksimal 10 MB)" in await answer(b"x", file_size=11 * 1024 * 1024)
    assert "tidak berisi data" in await answer(_bytes(Workbook()))

    merged = Workbook()
    sheet = merged.active
    sheet.append(["NIP", "Pegawai", None, "Unit", None, "NIP Atasan"])  # type: ignore[union-attr]
    sheet.merge_cells("B1:C1")  # type: ignore[union-attr]
    sheet.merge_cells("D1:E1")  # type: ignore[union-attr]
    sheet.append([AGUS, "Agus", "Staf", "BLW-SEK", "Sekretariat", FITRIANI])  # type: ignore[union-attr]
    assert "Sel judul kolom digabung" in await answer(_bytes(merged))

    two = Workbook()
    two.active.append(["Catatan"])  # type: ignore[union-attr]
    two.create_sheet("Lain").append(["NIP", "Nama", "Tahun"])
    text = await answer(_bytes(two))
    assert "Tidak ada lembar yang memuat kolom" in text and "Lain" in text

    # A CSV works as well as an XLSX; a formula in a cell is never evaluated (its saved
    # value, none here, is what counts).
    csv = (Path(__file__).parents[2] / "examples" / "roster_belawan.csv").read_bytes()
    text = await answer(csv, name="roster.csv")
    assert "Tidak ada yang perlu diubah" in text


async def test_non_admins_and_forged_presses_are_refused(office) -> None:
    agus = await office.employee(AGUS, first_name="Agus")
    await agus.send("/admin")
    [denied] = await agus.wait_for(1)
    assert "tidak memiliki akses" in denied.text.lower() or "akses" in denied.text.lower()
    for verb in ("roster", "audit", "menu", "person:1", "nonsense"):
        query = await agus.press(
            callback_data=f"adm:{verb}", forge=True, message_id=denied.message_id
        )
        answer = await agus.answer_to(query)
        assert answer.get("text"), verb
    assert all(m.document is None for m in agus.messages)
    # A spreadsheet from a non-admin is not a roster.
    await agus.send_document(b"PK\x03\x04", file_name="roster.xlsx", mime_type=XLSX)
    [reply] = await agus.wait_for(1)
    assert "Pratinjau" not in reply.text


async def test_unit_admin_manages_their_unit_only(office) -> None:
    async with office.db.write() as session:
        benny = (
            await session.execute(select(Employee).where(col(Employee.nip) == BENNY))
        ).scalar_one()
        benny.roles = "employee,supervisor,unit_admin"
    user = await office.employee(BENNY, first_name="Benny")
    await user.send("/admin")
    [menu] = await user.wait_for(1)
    assert "BLW-PEM" in menu.text
    assert "📣 Kategori aduan" not in menu.button_texts
    query = await user.press(callback_data="adm:categories", forge=True)
    assert (await user.answer_to(query)).get("show_alert")
    await user.press("📥 Unduh daftar pegawai")
    [document] = await user.wait_for(1)
    sheet = _book(office, document).active
    filled = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]  # type: ignore[union-attr]
    assert len(filled) == 2  # Benny and Rizky
    rows = (
        [AGUS, "Agus Salim Daulay", "Staf", "BLW-PEM", "Seksi Pemerintahan", BENNY],
        ["199001012015011001", "Orang Baru", "Staf", "BLW-SEK", "Sekretariat", BENNY],
    )
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            sheet.cell(4 + offset, column).value = value  # type: ignore[union-attr]
    await user.send_document(_bytes(_book_of(sheet)), file_name="pem.xlsx", mime_type=XLSX)
    [preview] = await user.wait_for(1)
    assert preview.text.count("di luar unit Anda") == 2
    async with office.db.read() as session:
        count = (await session.execute(select(func.count()).select_from(Employee))).scalar_one()
    assert count == 28


def _book_of(sheet) -> WorkbookType:
    return sheet.parent
