"""/penilaian: a supervisor's quarterly assessment of a direct report, through the emulator.

Syahrul (lurah of Belawan I) supervises Putri. Today is Tuesday 24 November 2026, so the default
is Triwulan III (1 July – 30 September 2026). Putri's entries, by hand:

    5 May     approved   T1  50 berkas           (Q2: year-to-date only)
    14 Jul    approved   T1 120 berkas  120 min
    3 Aug     approved   T1  30 berkas   60 min
    10 Sep    submitted  T1  40 berkas           (waiting: not counted)
    11 Sep    approved   T2  25 surat    90 min
    12 Sep    approved   T2  99 surat, deleted   (never counted)
    15 Sep    rejected   T2  10 surat            (not counted)
    16 Sep    approved   no target       60 min
    2 Oct     approved   T1  70 berkas           (Q4: not counted)

→ T1 Berkas KTP/KK: this quarter 150 berkas (2 entries), up to 30 September 200 of 600 (33%);
  T2 Surat keterangan: this quarter 25 surat (1 entry), 25 of 360 (7%);
  approved this quarter 4 entries, 330 min = 5.5 hours, 1 without a target; 1 waiting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import col

from models.assessment import Assessment
from models.outbox import OutboxMessage
from models.tables import Activity, AuditEntry, Employee, SkpTarget
from tests.e2e.harness import restart

SYAHRUL = "197605012002121003"
PUTRI = "199512042020122005"
AGUS = "197508121999031007"

QUARTER_BUTTONS = [
    "Triwulan III 2026 (terakhir selesai)",
    "Triwulan IV 2026 (berjalan)",
    "Triwulan II 2026",
    "Triwulan I 2026",
]


async def _ids(office) -> dict[str, int]:
    async with office.db.read() as session:
        return dict((await session.execute(select(col(Employee.nip), col(Employee.id)))).all())


async def _putri_year(office, putri: int) -> None:
    stamp = datetime(2026, 5, 5, 3, tzinfo=UTC)
    async with office.db.write() as session:
        t1 = SkpTarget(
            employee_id=putri, year=2026, rhk="Pelayanan administrasi kependudukan",
            indicator="Jumlah berkas KTP/KK yang diverifikasi", target_quantity=600,
            unit="berkas",
        )  # fmt: skip
        t2 = SkpTarget(
            employee_id=putri, year=2026, rhk="Pelayanan surat keterangan",
            indicator="Jumlah surat keterangan yang diterbitkan", target_quantity=360,
            unit="surat",
        )  # fmt: skip
        session.add_all([t1, t2])
        await session.flush()

        def entry(day: date, status: str, target: SkpTarget | None, qty: int, minutes: int = 60,
                  **kw: object) -> Activity:  # fmt: skip
            return Activity(
                employee_id=putri, work_date=day, description=f"Kegiatan {day}", quantity=qty,
                output_unit=target.unit if target else "kegiatan", minutes=minutes,
                target_id=target.id if target else None, status=status, created_at=stamp,
                **kw,  # type: ignore[arg-type]
            )  # fmt: skip

        session.add_all(
            [
                entry(date(2026, 5, 5), "approved", t1, 50),
                entry(date(2026, 7, 14), "approved", t1, 120, 120),
                entry(date(2026, 8, 3), "approved", t1, 30, 60),
                entry(date(2026, 9, 10), "submitted", t1, 40),
                entry(date(2026, 9, 11), "approved", t2, 25, 90),
                entry(date(2026, 9, 12), "approved", t2, 99, deleted_at=stamp),
                entry(date(2026, 9, 15), "rejected", t2, 10),
                entry(date(2026, 9, 16), "approved", None, 1, 60),
                entry(date(2026, 10, 2), "approved", t1, 70),
            ]
        )


async def _audit(office) -> list[AuditEntry]:
    async with office.db.read() as session:
        return list(
            (
                await session.execute(
                    select(AuditEntry)
                    .where(col(AuditEntry.action).like("assessment.%"))
                    .order_by(col(AuditEntry.id))
                )
            ).scalars()
        )


async def _assessments(office) -> list[Assessment]:
    async with office.db.read() as session:
        return list((await session.execute(select(Assessment))).scalars())


async def _assess(supervisor, hasil: str, perilaku: str, person: str = "Putri Ayu Lestari, A.Md"):
    """From /penilaian to the confirmation, choosing Triwulan III and Putri."""
    await supervisor.send("/penilaian")
    [quarters] = await supervisor.wait_for(1)
    await supervisor.press(QUARTER_BUTTONS[0])
    [people] = await supervisor.wait_for(1)
    await supervisor.press(person, message_id=people.message_id)
    [realisation] = await supervisor.wait_for(1)
    await supervisor.press(hasil)
    await supervisor.wait_for(1)
    await supervisor.press(perilaku)
    [confirm] = await supervisor.wait_for(1)
    return quarters, people, realisation, confirm


async def test_the_running_quarter_counts_up_to_today(office) -> None:
    syahrul = await office.employee(SYAHRUL)
    ids = await _ids(office)
    await _putri_year(office, ids[PUTRI])
    await syahrul.send("/penilaian")
    await syahrul.wait_for(1)
    await syahrul.press(QUARTER_BUTTONS[1])  # Triwulan IV, which ends on 31 December
    await syahrul.wait_for(1)
    await syahrul.press("Putri Ayu Lestari, A.Md")
    [realisation] = await syahrul.wait_for(1)
    assert (
        "    triwulan ini 70 berkas (1 kegiatan) · s.d. 24 November 2026: 270 dari 600 berkas (45%)"
    ) in realisation.text
    assert "31 Desember" not in realisation.text


async def test_quarterly_assessment_stored_and_employee_told(office) -> None:
    syahrul = await office.employee(SYAHRUL)
    assert "/penilaian" in syahrul.last.text
    commands = office.emulator.commands(scope={"type": "chat", "chat_id": syahrul.chat_id})
    assert {"penilaian", "ekspor"} <= {c["command"] for c in commands}
    putri = await office.employee(PUTRI)
    assert "/penilaian" not in putri.last.text
    commands = office.emulator.commands(scope={"type": "chat", "chat_id": putri.chat_id})
    assert "penilaian" not in {c["command"] for c in commands}
    await putri.send("/bahasa")
    await putri.wait_for(1)
    await putri.press("🇬🇧 English")
    await putri.wait_for_edit()
    ids = await _ids(office)
    await _putri_year(office, ids[PUTRI])

    quarters, people, realisation, confirm = await _assess(
        syahrul, "Sesuai ekspektasi", "Di atas ekspektasi"
    )
    assert quarters.button_texts == QUARTER_BUTTONS
    assert "Triwulan III 2026: siapa yang dinilai? (✅ sudah dinilai: 0 dari 1)" in people.text
    assert people.button_texts == ["Putri Ayu Lestari, A.Md"]
    text = realisation.text
    assert "Putri Ayu Lestari, A.Md — Triwulan III 2026" in text
    assert (
        "• [Utama] Jumlah berkas KTP/KK yang diverifikasi\n"
        "    triwulan ini 150 berkas (2 kegiatan) · "
        "s.d. 30 September 2026: 200 dari 600 berkas (33%)"
    ) in text
    assert (
        "• [Utama] Jumlah surat keterangan yang diterbitkan\n"
        "    triwulan ini 25 surat (1 kegiatan) · s.d. 30 September 2026: 25 dari 360 surat (7%)"
    ) in text
    assert (
        "Kegiatan disetujui triwulan ini: 4 (5.5 jam), 1 di antaranya tanpa target SKP. "
        "Belum disetujui (tidak dihitung): 1."
    ) in text
    assert realisation.button_texts == [
        "Di bawah ekspektasi", "Sesuai ekspektasi", "Di atas ekspektasi",
    ]  # fmt: skip
    assert "Hasil kerja: Sesuai ekspektasi" in confirm.text
    assert "Perilaku kerja: Di atas ekspektasi" in confirm.text
    assert "Predikat kinerja: Baik" in confirm.text
    assert await _assessments(office) == []  # nothing stored before the confirmation

    await syahrul.press("✅ Simpan")
    [saved] = await syahrul.wait_for(1)
    assert "Penilaian Triwulan III 2026 untuk Putri Ayu Lestari, A.Md tersimpan" in saved.text
    # A double tap on Save changes nothing more; it is answered with the same confirmation (as
    # a Save delivered again after a kill before the first one went out), not "this button is
    # old".
    again = await syahrul.press("✅ Simpan", message_id=confirm.message_id, forge=True)
    [said_again] = await syahrul.wait_for(1)
    assert "Penilaian Triwulan III 2026 untuk Putri Ayu Lestari, A.Md tersimpan" in said_again.text
    assert not (await syahrul.answer_to(again)).get("text")
    [row] = await _assessments(office)
    assert (row.employee_id, row.supervisor_id, row.year, row.quarter) == (
        ids[PUTRI], ids[SYAHRUL], 2026, 3,
    )  # fmt: skip
    assert (row.hasil_kerja, row.perilaku_kerja, row.predikat, row.revision) == (
        "sesuai", "di_atas", "baik", 1,
    )  # fmt: skip
    [created] = await _audit(office)
    assert created.action == "assessment.create" and created.subject == f"employee:{PUTRI}"
    assert created.actor == f"tg:{syahrul.id}"

    # Putri is told through the outbox (woken by the commit), in her language, once.
    await office.sender.run_until_idle()
    [notice] = await putri.wait_for(1)
    told = [m.message_id for m in putri.messages if "Performance assessment" in m.text]
    assert told == [notice.message_id]
    assert "Performance assessment, Quarter III 2026" in notice.text
    assert "by Syahrul Effendi Batubara, S.Sos" in notice.text
    assert "Work results: Meets expectations" in notice.text
    assert "Work behaviour: Above expectations" in notice.text
    assert "Performance rating: Baik (good)" in notice.text

    # Assessing the quarter again updates it; the earlier values stay in the audit log.
    _, people, realisation, confirm = await _assess(
        syahrul, "Di atas ekspektasi", "Di atas ekspektasi", "✅ Putri Ayu Lestari, A.Md"
    )
    assert people.button_texts == ["✅ Putri Ayu Lestari, A.Md"]
    assert "sudah pernah dinilai: predikat Baik" in realisation.text
    assert "Predikat kinerja: Sangat Baik" in confirm.text
    await syahrul.press("✅ Simpan")
    [updated] = await syahrul.wait_for(1)
    assert "diperbarui: predikat Sangat Baik" in updated.text
    [row] = await _assessments(office)
    assert (row.predikat, row.hasil_kerja, row.revision) == ("sangat_baik", "di_atas", 2)
    _, update = await _audit(office)
    assert update.action == "assessment.update"
    assert update.detail["before"]["predikat"] == "baik"
    assert update.detail["predikat"] == "sangat_baik"
    await office.scheduler.sender.run_until_idle()
    [notice] = await putri.wait_for(1)
    assert "updated" in notice.text and "Sangat Baik (very good)" in notice.text
    async with office.db.read() as session:
        keys = sorted(
            (
                await session.execute(
                    select(col(OutboxMessage.key)).where(col(OutboxMessage.kind) == "assessment")
                )
            ).scalars()
        )
    assert keys == [
        f"assessment:{ids[PUTRI]}:2026-Q3:1", f"assessment:{ids[PUTRI]}:2026-Q3:2",
    ]  # fmt: skip


async def test_refusals_and_stale_buttons(office) -> None:
    syahrul = await office.employee(SYAHRUL)
    putri = await office.employee(PUTRI)
    ids = await _ids(office)

    # Not a supervisor: refused outright.
    await putri.send("/penilaian")
    [denied] = await putri.wait_for(1)
    assert "tidak memiliki akses" in denied.text

    await syahrul.send("/penilaian")
    [quarters] = await syahrul.wait_for(1)
    version = quarters.buttons[0][0][1].split(":")[1]
    # A quarter that is not offered (a forged press) is refused.
    await syahrul.press(callback_data=f"f:{version}:q:2024:2", forge=True)
    [refused, again] = await syahrul.wait_for(2)
    assert "tidak berlaku" in refused.text and again.button_texts == QUARTER_BUTTONS
    await syahrul.press(QUARTER_BUTTONS[1])  # Triwulan IV, the current one
    [people] = await syahrul.wait_for(1)
    assert people.text.startswith("Triwulan IV 2026")
    # The quarter buttons are stale now.
    stale = await syahrul.press(QUARTER_BUTTONS[0], message_id=quarters.message_id, forge=True)
    assert "tidak berlaku" in (await syahrul.answer_to(stale))["text"]
    # Agus is not his report: a forged press for him is refused and nothing is shown of him.
    version = people.buttons[0][0][1].split(":")[1]
    await syahrul.press(callback_data=f"f:{version}:p:{ids[AGUS]}", forge=True)
    [refused, again] = await syahrul.wait_for(2)
    assert "tidak ditemukan di antara bawahan Anda" in refused.text
    assert "Agus" not in refused.text + again.text
    assert again.button_texts == ["Putri Ayu Lestari, A.Md"]
    await syahrul.press("Putri Ayu Lestari, A.Md")
    [realisation] = await syahrul.wait_for(1)
    assert "Belum ada target SKP tahun 2026" in realisation.text
    await syahrul.press("Di bawah ekspektasi")
    await syahrul.wait_for(1)
    await syahrul.press("Di bawah ekspektasi")
    [confirm] = await syahrul.wait_for(1)
    assert "Predikat kinerja: Sangat Kurang" in confirm.text
    await syahrul.press("✖️ Batal")
    [cancelled] = await syahrul.wait_for(1)
    assert "dibatalkan" in cancelled.text
    assert await _assessments(office) == [] and await _audit(office) == []

    # Putri moved to another supervisor between the choice and Save: the save is refused.
    await _assess_until_confirm_then_move(office, syahrul, ids)
    assert await _assessments(office) == []


async def _assess_until_confirm_then_move(office, syahrul, ids) -> None:
    await _assess(syahrul, "Sesuai ekspektasi", "Sesuai ekspektasi")
    async with office.db.write() as session:
        putri = await session.get(Employee, ids[PUTRI])
        assert putri is not None
        putri.supervisor_id = ids[AGUS]
    await syahrul.press("✅ Simpan")
    [refused] = await syahrul.wait_for(1)
    assert "tidak ditemukan di antara bawahan Anda" in refused.text


async def test_supervisor_without_reports(office) -> None:
    # Rahmi heads a section of Sicanang with Teguh; Teguh's supervisor is Rahmi. Afrizal (lurah)
    # supervises Rahmi. A supervisor whose only report left has nobody to assess.
    rahmi = await office.employee("198501192010012006")
    async with office.db.write() as session:
        teguh = (
            await session.execute(select(Employee).where(col(Employee.nip) == "199011182019031004"))
        ).scalar_one()
        teguh.active = False
    await rahmi.send("/penilaian")
    [answer] = await rahmi.wait_for(1)
    assert "Belum ada bawahan langsung" in answer.text


async def test_assessment_survives_a_restart(office) -> None:
    syahrul = await office.employee(SYAHRUL)
    await syahrul.send("/penilaian")
    await syahrul.wait_for(1)
    await syahrul.press(QUARTER_BUTTONS[0])
    await syahrul.wait_for(1)
    await syahrul.press("Putri Ayu Lestari, A.Md")
    [hasil] = await syahrul.wait_for(1)
    await restart(office)
    # The button shown before the restart still answers, at the step it belongs to.
    await syahrul.press("Di atas ekspektasi", message_id=hasil.message_id)
    [perilaku] = await syahrul.wait_for(1)
    assert "perilaku kerja" in perilaku.text
    await restart(office)
    await syahrul.press("Di bawah ekspektasi")
    [confirm] = await syahrul.wait_for(1)
    assert "Hasil kerja: Di atas ekspektasi" in confirm.text
    assert "Predikat kinerja: Kurang/Misconduct" in confirm.text
    await syahrul.press("✅ Simpan")
    [saved] = await syahrul.wait_for(1)
    assert "Kurang/Misconduct" in saved.text
    [row] = await _assessments(office)
    assert (row.hasil_kerja, row.perilaku_kerja, row.predikat) == ("di_atas", "di_bawah", "kurang")


async def test_indirect_reports_when_configured(db_url: str, tmp_path) -> None:
    """With SIGAP_SUPERVISE_INDIRECT_REPORTS the sekretaris camat reaches Agus, the report of her
    report Fitriani; without it (the other tests) only direct reports."""
    from tests.conftest import EXAMPLES
    from tests.e2e.harness import start_harness, stop_harness

    office = await start_harness(
        db_url, SIGAP_DATA_DIR=str(tmp_path / "data"), SIGAP_SUPERVISE_INDIRECT_REPORTS="true"
    )
    try:
        await office.import_roster(EXAMPLES / "roster_belawan.csv")
        rosmawati = await office.employee("197203181998032004")
        await rosmawati.send("/penilaian")
        await rosmawati.wait_for(1)
        await rosmawati.press(QUARTER_BUTTONS[0])
        [people] = await rosmawati.wait_for(1)
        assert people.button_texts == [
            "Agus Salim Daulay", "Fitriani Lubis, S.Sos", "Susanti Halim, S.E.",
        ]  # fmt: skip
        await rosmawati.press("Agus Salim Daulay")
        [realisation] = await rosmawati.wait_for(1)
        assert "Agus Salim Daulay — Triwulan III 2026" in realisation.text
        await rosmawati.send("/batal")
        await rosmawati.wait_for(1)
        await rosmawati.send("/ekspor")
        [scope] = await rosmawati.wait_for(1)
        assert "Semua bawahan (3 orang)" in scope.button_texts
        assert "Agus Salim Daulay" in scope.button_texts
    finally:
        await stop_harness(office)
