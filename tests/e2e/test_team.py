"""/tim, the person view, personal nudges and feedback notes ("catatan kinerja").

The camat has 11 direct reports (ten on the first page, by name). On Tuesday 24 November 2026:
Benny logged two entries (3 h 30 min), Nurhayati is on leave (cuti), Sri Wahyuni is linked and
silent, the others are silent and never linked Telegram.

Person view of Agus (supervised by Fitriani), by hand; November 2026 has no holidays:

    week 23–24 Nov (running): Mon approved 120 + rejected 30, Tue submitted 60
        → expected 2, logged 2, 3 h (rejected not counted), ✅1 ⏳1 ↩️0 ❌1
    week 16–22: Mon approved 90, Tue revision 45, Wed–Fri cuti
        → expected 2, logged 2, 2 h 15 min, ✅1 ↩️1, leave 3 days
    week 9–15: only Saturday 14 approved 60 (weekend work counts as logged)
        → expected 5, logged 1, 1 h
    week 2–8: nothing → 0/5
    SKP target 100 berkas: approved 15 + submitted 5 → 20/100 (20%), approved 15
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlmodel import col

from models.outbox import OutboxMessage
from models.tables import Activity, AuditEntry, Employee, FeedbackNote, Leave, SkpTarget
from tests.e2e.harness import Harness, eventually
from tests.e2e.saved_edit import wait_for_saved

CAMAT = "198105142003121002"
BENNY = "197802042005011006"
NURHAYATI = "198009112006042011"
SRI = "198304152009022005"
AGUS = "197508121999031007"
FITRIANI = "198407222009012003"
RIZKY = "199603052020121003"


async def _id(office, nip: str) -> int:
    async with office.db.read() as session:
        return (
            await session.execute(select(col(Employee.id)).where(col(Employee.nip) == nip))
        ).scalar_one()


async def _count(office, model, *where) -> int:
    async with office.db.read() as session:
        stmt = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(stmt)).scalar_one())


async def _log(person, text: str) -> None:
    await person.send(text)
    await person.wait_for(1)
    await person.press("✅ Simpan")
    await wait_for_saved(person)


async def test_team_today_leave_silent_logged_and_one_nudge(office) -> None:
    camat = await office.employee(CAMAT)
    benny = await office.employee(BENNY)
    sri = await office.employee(SRI)
    await _log(benny, "Rapat koordinasi 2 jam")
    await _log(benny, "Verifikasi 15 berkas 1,5 jam")
    async with office.db.write() as session:
        session.add(
            Leave(
                employee_id=await _id(office, NURHAYATI),
                kind="cuti",
                start=date(2026, 11, 23),
                end=date(2026, 11, 25),
            )
        )
    await camat.send("/tim")
    [team] = await camat.wait_for(1)
    text = team.text
    assert "Tim hari ini — Selasa, 24 November 2026" in text
    assert "Melapor 1 · cuti/izin 1 · belum melapor 9 · dari 11 orang" in text
    assert "✅ Benny Hamonangan Sihombing, S.H.: 2 kegiatan, 3 jam 30 menit" in text
    assert "🏖 Nurhayati Harahap, S.E.: Cuti (belum menautkan Telegram)" in text
    assert "⚪ Sri Wahyuni, S.Pd: belum melapor\n" in text
    assert "⚪ Afrizal Chaniago, S.STP: belum melapor (belum menautkan Telegram)" in text
    assert "Zulkarnain" not in text and "Halaman 1/2" in text
    assert team.button_texts.count("🔔 Ingatkan") == 1  # only the linked, silent one
    assert "👤 Sri Wahyuni, S.Pd" in team.button_texts
    await camat.press("Berikutnya »")
    second = await camat.wait_for_edit()
    assert "Zulkarnain Lubis" in second.text
    await camat.press("« Sebelumnya")
    await camat.wait_for_edit()

    await camat.press("🔔 Ingatkan")
    await eventually(lambda: len(camat.callback_answers) == 3)
    assert camat.callback_answers[-1]["text"] == "🔔 Pengingat terkirim ke Sri Wahyuni, S.Pd."
    # The nudge has done its work: its button leaves the list, the others stay.
    await eventually(lambda: "🔔 Ingatkan" not in camat.messages[-1].button_texts)
    assert "👤 Sri Wahyuni, S.Pd" in camat.messages[-1].button_texts
    await camat.press("🔔 Ingatkan", forge=True)  # a double tap that raced the edit
    await eventually(lambda: len(camat.callback_answers) == 4)
    assert "sudah diingatkan hari ini" in camat.callback_answers[-1]["text"]
    # Benny, a supervisor of someone else, forges a nudge to Sri: refused.
    sri_id = await _id(office, SRI)
    await benny.press(callback_data=f"tim:n:{sri_id}", forge=True)
    await eventually(lambda: len(benny.callback_answers) == 3)
    assert "tidak ditemukan" in benny.callback_answers[-1]["text"]
    # Nudging Benny, who has logged, sends nothing.
    await camat.press(callback_data=f"tim:n:{await _id(office, BENNY)}", forge=True)
    await eventually(lambda: len(camat.callback_answers) == 5)
    assert "sudah melapor hari ini" in camat.callback_answers[-1]["text"]

    await office.scheduler.sender.run_until_idle()
    [nudge] = await sri.wait_for(1)
    assert "Selamat siang, Sri Wahyuni, S.Pd." in nudge.text
    assert "Rahmad Hidayat Nasution, S.STP, M.Si mengingatkan Anda" in nudge.text
    assert "(Selasa, 24 November 2026)" in nudge.text
    assert nudge.button_texts == ["📝 Lapor sekarang"]
    assert await _count(office, OutboxMessage, col(OutboxMessage.kind) == "team_nudge") == 1
    assert await _count(office, AuditEntry, col(AuditEntry.action) == "team.nudge") == 1
    await office.scheduler.sender.run_until_idle()
    assert len([m for m in sri.messages if "mengingatkan" in m.text]) == 1
    await sri.press("📝 Lapor sekarang")
    [ask] = await sri.wait_for(1)
    assert "Lapor kegiatan" in ask.text


async def test_team_on_a_holiday(office) -> None:
    camat = await office.employee(CAMAT)
    await office.employee(SRI)
    office.clock.set(datetime(2026, 12, 25, 3, 0, tzinfo=UTC))  # Friday, Christmas, 10:00 WIB
    await camat.send("/tim")
    [team] = await camat.wait_for(1)
    assert "Hari ini libur: Hari Raya Natal." in team.text
    assert "belum melapor 0" in team.text
    assert "▫️ Sri Wahyuni, S.Pd: tidak ada kegiatan" in team.text
    assert "🔔 Ingatkan" not in team.button_texts


async def test_team_refusals(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("/tim")
    [denied] = await agus.wait_for(1)
    assert "tidak memiliki akses" in denied.text
    fitri = await office.employee(FITRIANI)
    rizky = await _id(office, RIZKY)
    for data in (f"tim:p:{rizky}", f"tim:note:{rizky}", f"tim:n:{rizky}"):
        await fitri.press(callback_data=data, forge=True)
    await eventually(lambda: len(fitri.callback_answers) == 3)
    assert all("tidak ditemukan" in a["text"] for a in fitri.callback_answers)
    await fitri.press(callback_data="tim:p:x", forge=True)
    await eventually(lambda: len(fitri.callback_answers) == 4)
    assert "tidak berlaku" in fitri.callback_answers[-1]["text"]
    assert await _count(office, FeedbackNote) == 0


async def _agus_month(office) -> int:
    agus = await _id(office, AGUS)

    def entry(day: int, minutes: int, status: str, **kw) -> Activity:
        return Activity(
            employee_id=agus,
            work_date=date(2026, 11, day),
            description=f"Kegiatan {day} {status}",
            minutes=minutes,
            status=status,
            **kw,
        )

    async with office.db.write() as session:
        target = SkpTarget(
            employee_id=agus,
            year=2026,
            rhk="Pelayanan administrasi",
            indicator="Berkas diverifikasi",
            target_quantity=100,
            unit="berkas",
        )
        session.add(target)
        await session.flush()
        session.add_all(
            [
                entry(24, 60, "submitted", quantity=5, output_unit="berkas", target_id=target.id),
                entry(23, 120, "approved", quantity=15, output_unit="berkas", target_id=target.id),
                entry(23, 30, "rejected"),
                entry(16, 90, "approved"),
                entry(17, 45, "revision_requested"),
                entry(14, 60, "approved"),
                entry(2, 30, "approved", deleted_at=datetime(2026, 11, 3, tzinfo=UTC)),
                Activity(
                    employee_id=agus,
                    work_date=date(2026, 10, 30),
                    description="Oktober",
                    minutes=480,
                    status="approved",
                ),
                Leave(
                    employee_id=agus, kind="cuti", start=date(2026, 11, 18), end=date(2026, 11, 20)
                ),
            ]
        )
    return agus


async def test_person_view_figures_and_feedback_note(office) -> None:
    fitri = await office.employee(FITRIANI)
    agus = await office.employee(AGUS)
    agus_id = await _agus_month(office)
    await fitri.send("/tim")
    [team] = await fitri.wait_for(1)
    assert "✅ Agus Salim Daulay: 1 kegiatan, 1 jam" in team.text
    assert "📥 Persetujuan (1)" in team.button_texts  # the submitted entry of the 24th
    await fitri.press("👤 Agus Salim Daulay")
    [view] = await fitri.wait_for(1)
    lines = view.text.splitlines()
    assert lines[0] == "👤 Agus Salim Daulay" and lines[1] == "Pengadministrasi Perkantoran"
    assert "4 minggu terakhir" in view.text
    assert "23/11–24/11: melapor 2/2 hari, 3 jam\n    ✅ 1 · ⏳ 1 · ↩️ 0 · ❌ 1" in view.text
    assert (
        "16/11–22/11: melapor 2/2 hari, 2 jam 15 menit\n    ✅ 1 · ⏳ 0 · ↩️ 1 · ❌ 0"
        " · cuti/izin 3 hari"
    ) in view.text
    assert "9/11–15/11: melapor 1/5 hari, 1 jam\n    ✅ 1 · ⏳ 0 · ↩️ 0 · ❌ 0" in view.text
    assert "2/11–8/11: melapor 0/5 hari, 0 menit" in view.text
    assert "• [Utama] Berkas diverifikasi: 20/100 berkas (20%), disetujui 15" in view.text
    assert "Belum ada catatan kinerja." in view.text
    assert view.button_texts == ["📝 Tulis catatan kinerja", "← Tim"]

    await fitri.press("📝 Tulis catatan kinerja")
    [ask] = await fitri.wait_for(1)
    assert "catatan kinerja" in ask.text and "maksimal 2000 karakter" in ask.text
    await fitri.send("y" * 2001)
    [too_long] = await fitri.wait_for(1)
    assert "terlalu panjang (2001 karakter; maksimal 2000)" in too_long.text
    note = "Kerja bagus <b>minggu</b> ini & teruskan.\nLengkapi bukti rapat."
    await fitri.send(note)
    [saved] = await fitri.wait_for(1)
    assert "Catatan kinerja tersimpan dan dikirim ke Agus Salim Daulay." in saved.text
    async with office.db.read() as session:
        [row] = (await session.execute(select(FeedbackNote))).scalars().all()
    assert (row.employee_id, row.supervisor_id, row.text) == (
        agus_id,
        await _id(office, FITRIANI),
        note,
    )
    assert await _count(office, AuditEntry, col(AuditEntry.action) == "feedback.write") == 1

    await office.scheduler.sender.run_until_idle()
    [told] = await agus.wait_for(1)
    assert "Catatan kinerja dari Fitriani Lubis, S.Sos (Selasa, 24 November 2026 09.00 WIB)" in (
        told.text
    )
    assert note in told.text
    assert "&lt;b&gt;minggu&lt;/b&gt; ini &amp; teruskan" in (told.html or "")
    await agus.send("/catatan")
    [mine] = await agus.wait_for(1)
    assert "Catatan kinerja dari atasan" in mine.text and note in mine.text

    await fitri.press("👤 Agus Salim Daulay", message_id=team.message_id)
    [again] = await fitri.wait_for(1)
    assert "Fitriani Lubis, S.Sos: Kerja bagus <b>minggu</b> ini" in again.text


async def test_employee_without_notes(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("/catatan")
    [none] = await agus.wait_for(1)
    assert "Belum ada catatan kinerja dari atasan" in none.text


async def test_notes_newest_first_and_only_the_latest_ten(office: Harness) -> None:
    agus = await office.employee(AGUS)
    agus_id, fitri_id = await _id(office, AGUS), await _id(office, FITRIANI)
    # Written out of order, so that the row order cannot pass for the time order.
    async with office.db.write() as session:
        for n in (7, 1, 12, 3, 9, 2, 11, 5, 8, 4, 10, 6):
            session.add(
                FeedbackNote(
                    employee_id=agus_id,
                    supervisor_id=fitri_id,
                    text=f"Catatan nomor {n:02d}",
                    created_at=datetime(2026, 11, n, 3, 0, tzinfo=UTC),
                )
            )
    await agus.send("/catatan")
    [shown] = await agus.wait_for(1)
    order = [int(part[:2]) for part in shown.text.split("Catatan nomor ")[1:]]
    assert order == list(range(12, 2, -1)), order
