"""Employees log their daily work by chat: guided, quick, dates, evidence, bad input."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from models.tables import Activity, ActivityEvidence, ActivityHistory
from tests.e2e.harness import eventually
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"


async def _activities(office) -> list[Activity]:
    async with office.db.read() as session:
        return list((await session.execute(select(Activity).order_by(col(Activity.id)))).scalars())


async def test_guided_log_with_buttons_and_evidence(office, tmp_path) -> None:
    agus = await office.employee(AGUS)
    await agus.send("/lapor")
    [ask] = await agus.wait_for(1)
    assert "Lapor kegiatan" in ask.text and "Selasa, 24 November 2026" in ask.text
    await agus.send("Verifikasi berkas <KTP> & KK warga 🙂")
    [qty] = await agus.wait_for(1)
    assert "berkas" in qty.button_texts
    await agus.press("berkas")
    await agus.wait_for(1)
    await agus.send("15")
    [dur] = await agus.wait_for(1)
    assert dur.button_texts == ["30m", "1j", "2j", "4j"]
    await agus.send("1,5 jam")
    # No SKP targets imported: the target step is skipped.
    [evidence] = await agus.wait_for(1)
    assert "bukti" in evidence.text.lower()
    await agus.send_photo(b"\xff\xd8\xff fake jpeg bytes", caption=None)
    [got] = await agus.wait_for(1)
    assert "Bukti diterima" in got.text
    await agus.press("Selesai")
    [summary] = await agus.wait_for(1)
    assert "Verifikasi berkas <KTP> & KK warga 🙂" in summary.text
    assert "15 berkas" in summary.text and "1 jam 30 menit" in summary.text
    assert "Bukti: 1" in summary.text
    await agus.press("✅ Simpan")
    # The summary itself becomes the confirmation: what was saved, the day so far, no buttons
    # left to press, and no message of its own.
    saved = await wait_for_saved(agus)
    assert saved.message_id == summary.message_id and saved.button_texts == []
    assert "Tersimpan" in saved.text and "1 kegiatan, total 1 jam 30 menit" in saved.text
    assert "Verifikasi berkas <KTP> & KK warga 🙂" in saved.text and "Bukti: 1" in saved.text
    assert "Periksa dulu" not in saved.text
    assert await agus.wait_for(0) == []
    [activity] = await _activities(office)
    assert (
        activity.description,
        activity.quantity,
        activity.output_unit,
        activity.minutes,
        activity.status,
        activity.late,
        activity.source,
    ) == ("Verifikasi berkas <KTP> & KK warga 🙂", 15, "berkas", 90, "submitted", False, "guided")
    async with office.db.read() as session:
        [evidence_row] = (await session.execute(select(ActivityEvidence))).scalars().all()
        history = (
            await session.execute(select(func.count()).select_from(ActivityHistory))
        ).scalar_one()
    assert history == 1
    # Kept relative to the data folder, so that it is found from any working directory.
    assert evidence_row.stored_path.startswith("evidence/2026-11/")
    stored = office.settings.data_dir / evidence_row.stored_path
    assert stored.read_bytes() == b"\xff\xd8\xff fake jpeg bytes"


async def test_quick_log_is_shown_before_saving(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("Verifikasi 15 berkas KTP 1,5 jam")
    [summary] = await agus.wait_for(1)
    assert "15 berkas" in summary.text and "1 jam 30 menit" in summary.text
    assert "✖️ Bukan kegiatan" in summary.button_texts
    assert await _activities(office) == []  # nothing saved until they say so
    await agus.press("✅ Simpan")
    await agus.press("✅ Simpan", message_id=summary.message_id, forge=True)  # a double tap
    saved = await wait_for_saved(agus)
    assert saved.message_id == summary.message_id and "1 kegiatan" in saved.text
    assert "Tersimpan" in saved.text and "15 berkas" in saved.text
    await eventually(lambda: len(agus.callback_answers) == 2)
    [activity] = await _activities(office)
    assert activity.source == "quick"
    edits = len(office.emulator.calls_by_method("editMessageText"))
    # Saved, but the person never saw "Tersimpan" (lost on the way) and presses Save again on
    # the same summary: the same confirmation (the same edit, which the message already shows),
    # not "this button is old", and still one entry.
    await agus.press("✅ Simpan", message_id=summary.message_id, forge=True)
    await eventually(lambda: len(agus.callback_answers) == 3)
    await eventually(lambda: len(office.emulator.calls_by_method("editMessageText")) > edits)
    [again] = office.emulator.calls_by_method("editMessageText")[-1:]
    assert again["message_id"] == summary.message_id
    assert again["text"] == saved.source_text
    assert agus.messages[-1].text == saved.text
    assert await agus.wait_for(0) == []  # no new message: the confirmation stays where it is
    assert not any("tidak berlaku" in (a.get("text") or "") for a in agus.callback_answers)
    assert len(await _activities(office)) == 1


async def test_quick_log_without_duration_asks_for_it(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("/lapor Rapat koordinasi kelurahan")
    [summary] = await agus.wait_for(1)
    assert "Durasi: belum diisi" in summary.text and "✏️ Lengkapi" in summary.button_texts
    await agus.press("✏️ Lengkapi")
    [ask] = await agus.wait_for(1)
    assert "Berapa lama" in ask.text
    await agus.press("2j")
    [summary] = await agus.wait_for(1)
    assert "2 jam" in summary.text and "1 kegiatan" in summary.text
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    [activity] = await _activities(office)
    assert (activity.minutes, activity.quantity, activity.output_unit) == (120, 1, "kegiatan")


async def test_not_an_activity_saves_nothing(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("Selamat pagi pak 2 jam lagi saya datang")
    await agus.wait_for(1)
    await agus.press("✖️ Bukan kegiatan")
    [reply] = await agus.wait_for(1)
    assert "tidak dicatat" in reply.text
    assert await _activities(office) == []


async def test_bad_answers_are_explained(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("/lapor")
    await agus.wait_for(1)
    await agus.send("x" * 1500)
    [reply] = await agus.wait_for(1)
    assert "terlalu panjang (1500 karakter" in reply.text
    await agus.send_voice()
    [reply] = await agus.wait_for(1)
    assert "berupa teks" in reply.text
    await agus.send("Rapat")
    await agus.wait_for(1)
    await agus.send("0 dokumen")
    [reply] = await agus.wait_for(1)
    assert "minimal 1" in reply.text
    await agus.send("1 laporan")
    await agus.wait_for(1)
    await agus.send("25 jam")
    [reply] = await agus.wait_for(1)
    assert "terlalu panjang untuk satu kegiatan" in reply.text
    await agus.send("0 jam")
    [reply] = await agus.wait_for(1)
    assert "lebih dari 0" in reply.text
    await agus.send("90")
    [reply] = await agus.wait_for(1)
    assert "menit atau jam" in reply.text


async def test_backdating_marks_late_and_refuses_outside_window(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("kemarin Rapat koordinasi 2 jam")
    [summary] = await agus.wait_for(1)
    assert "Senin, 23 November 2026 (terlambat dilaporkan)" in summary.text
    await agus.press("✏️ Ubah")
    await agus.wait_for(1)
    await agus.press("Tanggal")
    await agus.wait_for(1)
    await agus.send("25/11")
    [reply] = await agus.wait_for(1)
    assert "belum tiba" in reply.text
    await agus.send("1/11")
    [reply] = await agus.wait_for(1)
    assert "sudah lewat batas" in reply.text and "Sabtu, 21 November 2026" in reply.text
    await agus.send("22/11")
    [summary] = await agus.wait_for(1)
    assert "Minggu, 22 November 2026" in summary.text
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    [activity] = await _activities(office)
    assert activity.late and activity.work_date.isoformat() == "2026-11-22"
