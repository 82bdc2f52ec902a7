"""SKP targets and complaint categories: the same round trip as the roster (download, edit in
Excel, send back, preview, Terapkan), and a unit admin kept to their unit's targets."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import col

from domain.complaints import DEFAULT_CATEGORIES
from domain.skp import read_targets
from models.complaints import import_categories
from models.tables import AuditEntry, ComplaintCategory, Employee, SkpTarget
from models.targets import import_targets

FITRIANI = "198407222009012003"
AGUS = "197508121999031007"
BENNY = "197802042005011006"
DEWI = "199401202021012008"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLES = Path(__file__).parents[2] / "examples"


def _book(office, message):
    assert message.document is not None, message
    return load_workbook(io.BytesIO(office.emulator.files.by_id[message.document["file_id"]].data))


def _bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _targets(office) -> None:
    rows = read_targets(EXAMPLES / "skp_targets_belawan.csv")
    result = await import_targets(
        office.db, rows, dry_run=False, actor="test", now=office.clock.now(), current_year=2026
    )
    assert result.saved, result.problems


async def _press(user, label: str):
    await user.send("/admin")
    await user.wait_for(1)
    await user.press(label)
    [document] = await user.wait_for(1)
    return document


async def test_targets_round_trip(office) -> None:
    await _targets(office)
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    document = await _press(fitri, "🎯 Target SKP")
    assert document.document["file_name"] == "target-skp-2026-semua.xlsx"
    book = _book(office, document)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["NIP", "Nama", "Tahun"]
    rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == AGUS]
    assert sheet.cell(rows[0], 1).data_type == "s" and sheet.cell(rows[0], 2).value
    sheet.cell(rows[0], 6).value = 320  # 300 surat keluar → 320
    free = sheet.max_row + 1
    for column, value in enumerate(
        [AGUS, "Agus", 2026, "Terlaksananya pelayanan tamu", "Jumlah tamu dilayani", 100, "orang"],
        start=1,
    ):
        sheet.cell(free, column).value = value
    await fitri.send_document(_bytes(book), file_name="target.xlsx", mime_type=XLSX)
    [preview] = await fitri.wait_for(1)
    assert "Pratinjau target SKP" in preview.text
    assert "Baru (1)" in preview.text and "Berubah (1)" in preview.text
    assert "300 surat (utama) → 320 surat (utama)" in preview.text
    await fitri.press("✅ Terapkan")
    [done] = await fitri.wait_for(1)
    assert "1 baru, 1 berubah" in done.text
    # A double tap: the same confirmation, nothing applied twice (one audit entry below).
    await fitri.press(callback_data=preview.buttons[0][0][1], forge=True)
    [same] = await fitri.wait_for(1)
    assert same.text == done.text
    async with office.db.read() as session:
        quantities = dict(
            (
                await session.execute(
                    select(col(SkpTarget.indicator), col(SkpTarget.target_quantity))
                    .join(Employee, col(Employee.id) == SkpTarget.employee_id)
                    .where(col(Employee.nip) == AGUS)
                )
            ).all()
        )
        entry = (
            await session.execute(
                select(AuditEntry).where(
                    col(AuditEntry.action) == "targets.import",
                    col(AuditEntry.actor) == f"tg:{fitri.id}",
                )
            )
        ).scalar_one()
    assert quantities["Jumlah surat keluar yang diproses"] == 320
    assert quantities["Jumlah tamu dilayani"] == 100
    assert entry.detail["file"]["sha256"]
    # The same file again: nothing to change.
    await fitri.send_document(_bytes(book), file_name="target.xlsx", mime_type=XLSX)
    [again] = await fitri.wait_for(1)
    assert "Tidak ada yang perlu diubah" in again.text


async def test_the_target_for_complaint_work_is_marked_in_the_file(office) -> None:
    """Column "Aduan": the target complaint handling counts towards (issue 20), round trip."""
    await _targets(office)
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    book = _book(office, await _press(fitri, "🎯 Target SKP"))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[-1] == "Aduan"
    marked = {
        (sheet.cell(r, 1).value, sheet.cell(r, 5).value)
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(r, len(header)).value == "ya"
    }
    assert marked == {
        (DEWI, "Jumlah pengaduan yang ditindaklanjuti"),
        ("199109252019032007", "Jumlah pengaduan yang ditindaklanjuti"),
    }
    # Agus's letters count his complaint work from now on; a cell nobody understands is refused.
    rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == AGUS]
    sheet.cell(rows[0], len(header)).value = "Ya"
    sheet.cell(rows[1], len(header)).value = "mungkin"
    await fitri.send_document(_bytes(book), file_name="target.xlsx", mime_type=XLSX)
    [refused] = await fitri.wait_for(1)
    assert 'Aduan "mungkin" tidak dikenal' in refused.text
    sheet.cell(rows[1], len(header)).value = None
    await fitri.send_document(_bytes(book), file_name="target.xlsx", mime_type=XLSX)
    [preview] = await fitri.wait_for(1)
    assert "300 surat (utama) → 300 surat (utama, aduan)" in preview.text
    await fitri.press("✅ Terapkan")
    await fitri.wait_for(1)
    async with office.db.read() as session:
        flagged = (
            (
                await session.execute(
                    select(col(SkpTarget.indicator))
                    .join(Employee, col(Employee.id) == SkpTarget.employee_id)
                    .where(col(Employee.nip) == AGUS, col(SkpTarget.complaint_work))
                )
            )
            .scalars()
            .all()
        )
    assert flagged == ["Jumlah surat keluar yang diproses"]


async def test_unit_admin_sets_targets_of_their_unit_only(office) -> None:
    await _targets(office)
    async with office.db.write() as session:
        benny = (
            await session.execute(select(Employee).where(col(Employee.nip) == BENNY))
        ).scalar_one()
        benny.roles = "employee,supervisor,unit_admin"
    user = await office.employee(BENNY, first_name="Benny")
    document = await _press(user, "🎯 Target SKP")
    book = _book(office, document)
    sheet = book.active
    nips = {sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)} - {None}
    assert AGUS not in nips
    free = max(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value) + 1
    for column, value in enumerate(
        [AGUS, "Agus", 2026, "RHK lain", "Indikator lain", 5, "dokumen"], start=1
    ):
        sheet.cell(free, column).value = value
    await user.send_document(_bytes(book), file_name="target.xlsx", mime_type=XLSX)
    [preview] = await user.wait_for(1)
    assert f"baris {free}: Pegawai NIP {AGUS} di luar unit Anda" in preview.text
    assert "✅ Terapkan" not in preview.button_texts


async def test_categories_round_trip(office) -> None:
    await import_categories(
        office.db, list(DEFAULT_CATEGORIES), dry_run=False, actor="test", now=office.clock.now()
    )
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    document = await _press(fitri, "📣 Kategori aduan")
    book = _book(office, document)
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["Kode", "Nama", "Nama (EN)", "Kode Unit", "Urutan"]
    codes = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(codes["jalan"], 4).value = "BLW-PU"  # roads now go to Pelayanan Umum
    sheet.delete_rows(codes["bansos"])
    await fitri.send_document(_bytes(book), file_name="kategori.xlsx", mime_type=XLSX)
    [preview] = await fitri.wait_for(1)
    assert "Pratinjau kategori aduan" in preview.text
    assert "Berubah (1)" in preview.text and "Dinonaktifkan (1)" in preview.text
    await fitri.press("✅ Terapkan")
    [done] = await fitri.wait_for(1)
    assert "0 baru, 1 berubah, 1 dinonaktifkan" in done.text
    async with office.db.read() as session:
        active = (
            await session.execute(
                select(func.count())
                .select_from(ComplaintCategory)
                .where(col(ComplaintCategory.active))
            )
        ).scalar_one()
        files = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(col(AuditEntry.action) == "complaints.categories")
                    .order_by(col(AuditEntry.id))
                )
            )
            .scalars()
            .all()
        )
    assert active == len(DEFAULT_CATEGORIES) - 1
    # The setup's import and this file's, which names the file and who sent it.
    assert [f.actor for f in files] == ["test", f"tg:{fitri.id}"]
    assert files[1].detail["file"]["sha256"]
    # A second press on the used preview applies nothing and is told the same counts.
    await fitri.press(callback_data=preview.buttons[0][0][1], forge=True)
    [same] = await fitri.wait_for(1)
    assert same.text == done.text
    async with office.db.read() as session:
        count = (
            await session.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(col(AuditEntry.action) == "complaints.categories")
            )
        ).scalar_one()
    assert count == 2
