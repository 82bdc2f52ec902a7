"""/hariini, /rekap, /skp and /izin: what an employee sees of their own log, and leave."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlmodel import col

from models.tables import Activity, ActivityHistory, Leave, SkpTarget
from tests.e2e.harness import eventually
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"
CAMAT = "198105142003121002"


async def _log(person, text: str) -> None:
    await person.send(text)
    await person.wait_for(1)
    await person.press("✅ Simpan")
    await wait_for_saved(person)


async def test_today_lists_entries_and_edits_them(office) -> None:
    agus = await office.employee(AGUS)
    await _log(agus, "Rapat koordinasi kelurahan 2 jam")
    await _log(agus, "Verifikasi 15 berkas KTP 1,5 jam")
    await agus.send("/hariini")
    [today] = await agus.wait_for(1)
    assert "Selasa, 24 November 2026" in today.text
    assert (
        "1. Rapat koordinasi kelurahan" in today.text
        and "2. Verifikasi 15 berkas KTP" in today.text
    )
    assert "2 kegiatan, 3 jam 30 menit" in today.text
    assert today.button_texts == ["✏️ Ubah 1", "🗑 Hapus 1", "✏️ Ubah 2", "🗑 Hapus 2"]
    await agus.press("✏️ Ubah 2")
    [summary] = await agus.wait_for(1)
    assert "15 berkas" in summary.text
    await agus.press("✏️ Ubah")
    await agus.wait_for(1)
    await agus.press("Durasi")
    await agus.wait_for(1)
    await agus.send("45 menit")
    [summary] = await agus.wait_for(1)
    assert "45 menit" in summary.text
    await agus.press("✅ Simpan")
    saved = await wait_for_saved(agus)
    assert "2 kegiatan, total 2 jam 45 menit" in saved.text
    async with office.db.read() as session:
        rows = (await session.execute(select(Activity).order_by(col(Activity.id)))).scalars().all()
        history = (await session.execute(select(col(ActivityHistory.action)))).scalars().all()
    assert [r.minutes for r in rows] == [120, 45]
    assert sorted(history) == ["created", "created", "edited"]


async def test_delete_with_confirmation(office) -> None:
    agus = await office.employee(AGUS)
    await _log(agus, "Rapat koordinasi kelurahan 2 jam")
    await agus.send("/hariini")
    await agus.wait_for(1)
    await agus.press("🗑 Hapus 1")
    [confirm] = await agus.wait_for(1)
    assert "Hapus kegiatan ini?" in confirm.text
    await agus.press("Ya, hapus")
    edited = await agus.wait_for_edit()
    assert "Dihapus" in edited.text
    await agus.send("/hariini")
    [today] = await agus.wait_for(1)
    assert "Belum ada kegiatan" in today.text
    async with office.db.read() as session:
        [row] = (await session.execute(select(Activity))).scalars().all()
    assert row.deleted_at is not None  # kept for the history, hidden from views


async def test_approved_entries_are_locked_and_others_entries_invisible(office) -> None:
    agus = await office.employee(AGUS)
    await _log(agus, "Rapat koordinasi kelurahan 2 jam")
    await agus.send("/hariini")
    await agus.wait_for(1)
    async with office.db.write() as session:
        await session.execute(update(Activity).values(status="approved"))
    await agus.press("✏️ Ubah 1")
    await eventually(lambda: len(agus.callback_answers) == 2)  # the save, then this press
    assert "sudah disetujui" in agus.callback_answers[-1]["text"]
    await agus.send("/hariini")
    [again] = await agus.wait_for(1)
    assert again.button_texts == [] and "Disetujui" in again.text
    # Someone else forging a press on Agus's entry learns nothing about it.
    camat = await office.employee(CAMAT)
    async with office.db.read() as session:
        activity_id = (await session.execute(select(col(Activity.id)))).scalar_one()
    await camat.press(
        callback_data=f"act:del:{activity_id}", message_id=camat.last.message_id, forge=True
    )
    await eventually(lambda: len(camat.callback_answers) == 1)
    assert "tidak ditemukan" in camat.callback_answers[-1]["text"]


async def test_recap_shows_week_month_targets_and_training(office) -> None:
    agus = await office.employee(AGUS)
    await _log(agus, "Verifikasi 15 berkas KTP 1,5 jam")
    async with office.db.read() as session:
        employee_id = (await session.execute(select(col(Activity.employee_id)))).scalar_one()
    async with office.db.write() as session:
        session.add(
            SkpTarget(
                employee_id=employee_id,
                year=2026,
                rhk="Pelayanan adminduk",
                indicator="Berkas KTP/KK diverifikasi",
                target_quantity=600,
                unit="berkas",
                kind="utama",
            )
        )
    await agus.send("kemarin Rapat koordinasi 2 jam")
    await agus.wait_for(1)
    await agus.press("✏️ Ubah")
    await agus.wait_for(1)
    await agus.press("Pengembangan kompetensi")
    await agus.wait_for(1)
    await agus.send("4")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    await agus.send("/rekap")
    [recap] = await agus.wait_for(1)
    assert "Sen 23/11: 1 kegiatan · 2 jam ⏳1" in recap.text
    assert "Sel 24/11: 1 kegiatan · 1 jam 30 menit ⏳1" in recap.text
    assert "Total minggu ini: 3 jam 30 menit dari 37 jam 30 menit waktu kerja (9%)" in recap.text
    assert (
        "November 2026</b>: 2 kegiatan" in recap.text or "November 2026: 2 kegiatan" in recap.text
    )
    assert "Berkas KTP/KK diverifikasi: 0/600 berkas" in recap.text
    assert "4 dari minimal 20 JP" in recap.text


async def test_leave_is_recorded_and_shown(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("🏖 Izin")  # the reply keyboard's button
    [kind] = await agus.wait_for(1)
    assert "Cuti" in kind.button_texts and "Dinas luar" in kind.button_texts
    await agus.press("Dinas luar")
    await agus.wait_for(1)
    await agus.send("25/11")
    await agus.wait_for(1)
    await agus.send("24/11")
    [reply] = await agus.wait_for(1)
    assert "tidak boleh sebelum" in reply.text
    await agus.send("27/11")
    await agus.wait_for(1)
    await agus.send("Surat tugas 800/123 ke <Kantor Wali Kota>")
    [confirm] = await agus.wait_for(1)
    assert "Rabu, 25 November 2026 – Jumat, 27 November 2026" in confirm.text
    assert "<Kantor Wali Kota>" in confirm.text
    await agus.press("✅ Simpan")
    [saved] = await agus.wait_for(1)
    assert "3 hari kerja" in saved.text
    async with office.db.read() as session:
        [leave] = (await session.execute(select(Leave))).scalars().all()
    assert (leave.kind, leave.start, leave.end) == (
        "dinas_luar",
        date(2026, 11, 25),
        date(2026, 11, 27),
    )
    # Overlapping leave is refused.
    await agus.send("/izin")
    await agus.wait_for(1)
    await agus.press("Sakit")
    await agus.wait_for(1)
    await agus.send("26/11")
    await agus.wait_for(1)
    await agus.press("Hari itu saja")
    await agus.wait_for(1)
    await agus.press("Lewati")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    [refused] = await agus.wait_for(1)
    assert "bertumpang tindih" in refused.text
    office.clock.advance(timedelta(days=1))
    await agus.send("/rekap")
    [recap] = await agus.wait_for(1)
    assert "Rab 25/11: Dinas luar" in recap.text


async def test_citizens_cannot_use_employee_commands(office) -> None:
    warga = office.user()
    for command in ("/lapor", "/hariini", "/rekap", "/izin", "/skp"):
        await warga.send(command)
        [reply] = await warga.wait_for(1)
        assert "tidak memiliki akses" in reply.text, command


async def test_wrong_evidence_can_be_removed_when_editing(office) -> None:
    """A photo sent by mistake: editing the entry offers to remove the evidence saved before;
    saving replaces it with what was sent now (the removed files stay in the history)."""
    from models.tables import ActivityEvidence

    agus = await office.employee(AGUS)
    await agus.send("Rapat koordinasi kelurahan 2 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    async with office.db.write() as session:
        activity_id = (await session.execute(select(col(Activity.id)))).scalar_one()
        for n in (1, 2):
            session.add(
                ActivityEvidence(
                    activity_id=activity_id, kind="photo", telegram_file_id=f"wrong-{n}",
                    file_unique_id=f"wrong-{n}", file_name=None,
                )
            )  # fmt: skip
    await agus.send("/hariini")
    await agus.wait_for(1)
    await agus.press("✏️ Ubah 1")
    [summary] = await agus.wait_for(1)
    assert "Bukti: 2" in summary.text
    await agus.press("✏️ Ubah")
    await agus.wait_for(1)
    await agus.press("Bukti")
    [ask] = await agus.wait_for(1)
    assert ask.button_texts == ["Lewati", "🗑 Hapus 2 bukti lama"]
    await agus.press("🗑 Hapus 2 bukti lama")
    _, ask_again = await agus.wait_for(2)
    assert "Bukti sekarang: 0" in ask_again.text and ask_again.button_texts == ["Lewati"]
    await agus.send_photo(b"\xff\xd8\xff the right photo")
    await agus.wait_for(1)
    await agus.press("Selesai")
    [summary] = await agus.wait_for(1)
    assert "Bukti: 1" in summary.text
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    async with office.db.read() as session:
        kept = (await session.execute(select(col(ActivityEvidence.file_unique_id)))).scalars().all()
        history = (
            await session.execute(
                select(col(ActivityHistory.before)).where(col(ActivityHistory.action) == "edited")
            )
        ).scalar_one()
    assert len(kept) == 1 and not kept[0].startswith("wrong-")
    assert [e["kind"] for e in history["evidence_removed"]] == ["photo", "photo"]
