"""/persetujuan: a supervisor approves, sends back or rejects their reports' entries.

Fitriani (Kasubbag Umum) supervises Agus directly; Rosmawati (Sekcam) is Fitriani's supervisor,
so Agus is her indirect report (not in reach unless SIGAP_SUPERVISE_INDIRECT_REPORTS); Benny
(Kasi Pemerintahan) supervises someone else.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import col

from models.outbox import OutboxMessage
from models.tables import Activity, ActivityEvidence, ActivityHistory, AuditEntry, Employee
from tests.e2e.harness import eventually
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"
FITRIANI = "198407222009012003"
ROSMAWATI = "197203181998032004"
BENNY = "197802042005011006"
SUSANTI = "199203032019032012"
TODAY = date(2026, 11, 24)
MONDAY = date(2026, 11, 23)


async def _id(office, nip: str) -> int:
    async with office.db.read() as session:
        return (
            await session.execute(select(col(Employee.id)).where(col(Employee.nip) == nip))
        ).scalar_one()


async def _add(office, nip: str, day: date, description: str, minutes: int = 60, **kw) -> int:
    employee_id = await _id(office, nip)
    async with office.db.write() as session:
        activity = Activity(
            employee_id=employee_id, work_date=day, description=description, minutes=minutes, **kw
        )
        session.add(activity)
        await session.flush()
        assert activity.id is not None
        return activity.id


async def _activity(office, activity_id: int) -> Activity:
    async with office.db.read() as session:
        activity = await session.get(Activity, activity_id)
        assert activity is not None
        return activity


async def _deliver(office) -> None:
    await office.scheduler.sender.run_until_idle()


async def _count(office, model, *where) -> int:
    async with office.db.read() as session:
        return int(
            (
                await session.execute(select(func.count()).select_from(model).where(*where))
            ).scalar_one()
        )


async def _open_agus(supervisor, waiting: int):
    """/persetujuan, then Agus's button: his only day, or the list of his days."""
    await supervisor.send("/persetujuan")
    await supervisor.wait_for(1)
    await supervisor.press(f"Agus Salim Daulay ({waiting})")
    return await supervisor.wait_for_edit()


async def _answers(person, n: int) -> str:
    await eventually(lambda: len(person.callback_answers) >= n)
    return str(person.callback_answers[n - 1].get("text") or "")


async def test_approve_from_the_list_tells_the_employee_and_records_it(office) -> None:
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    agus = await office.employee(AGUS, first_name="Agus")
    # Agus logs through the bot; one more entry from yesterday with a target-less photo.
    await agus.send("Verifikasi 15 berkas KTP 1,5 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    first = (await _activity_ids(office))[0]
    older = await _add(office, AGUS, MONDAY, "Arsip surat <masuk> & keluar", 120)

    await fitri.send("/persetujuan")
    [overview] = await fitri.wait_for(1)
    assert "2 kegiatan dari 1 orang" in overview.text
    assert "Agus Salim Daulay: 2 kegiatan, 2 hari" in overview.text
    await fitri.press("Agus Salim Daulay (2)")
    days = await fitri.wait_for_edit()
    assert days.button_texts[:2] == ["Sen 23/11 (1)", "Sel 24/11 (1)"]
    await fitri.press("Sel 24/11 (1)")
    view = await fitri.wait_for_edit()
    assert "Selasa, 24 November 2026" in view.text
    assert "1. Verifikasi 15 berkas KTP" in view.text and "15 berkas" in view.text
    assert "1 jam 30 menit" in view.text and "tanpa target SKP" in view.text
    assert view.button_texts == ["✅ 1", "↩️ 1", "❌ 1", "✅ Setujui semua (1)", "← Daftar"]

    before = len(agus.messages)
    await fitri.press("✅ 1")
    assert await _answers(fitri, 3) == "Disetujui ✅"
    done = await fitri.wait_for_edit()
    assert "Tidak ada lagi kegiatan" in done.text
    approved = await _activity(office, first)
    assert approved.status == "approved"
    assert approved.reviewer_id == await _id(office, FITRIANI)
    assert approved.reviewed_at is not None and approved.review_note is None
    assert (await _activity(office, older)).status == "submitted"
    assert await _count(office, ActivityHistory, col(ActivityHistory.action) == "reviewed") == 1
    assert await _count(office, AuditEntry, col(AuditEntry.action) == "activity.review") == 1

    # The commit woke the outbox sender: the notice may already be here.
    await _deliver(office)
    [told] = await agus.wait_for(1)
    assert len(agus.messages) == before + 1
    assert "Kegiatan Anda tanggal Selasa, 24 November 2026 disetujui oleh" in told.text
    assert "Fitriani Lubis" in told.text and "Verifikasi 15 berkas KTP" in told.text

    # Double tap on the same button: one decision, one notification.
    await fitri.press(callback_data=f"apv:ok:{first}", forge=True, message_id=view.message_id)
    assert "sudah diputuskan (Disetujui)" in await _answers(fitri, 4)
    assert await _count(office, ActivityHistory, col(ActivityHistory.action) == "reviewed") == 1
    assert await _count(office, OutboxMessage, col(OutboxMessage.kind) == "review") == 1
    # Back to the list: Monday's entry, whose description has HTML characters, shown as typed.
    await fitri.press("← Daftar", message_id=view.message_id)
    await fitri.wait_for_edit()
    await fitri.press("Agus Salim Daulay (1)")
    monday = await fitri.wait_for_edit()
    assert "Senin, 23 November 2026" in monday.text
    assert "1. Arsip surat <masuk> & keluar" in monday.text and fitri.errors == []
    # Approved entries are locked for the employee.
    await agus.send("/hariini")
    [today] = await agus.wait_for(1)
    assert "Disetujui" in today.text and today.button_texts == []


async def _activity_ids(office) -> list[int]:
    async with office.db.read() as session:
        return list(
            (await session.execute(select(col(Activity.id)).order_by(col(Activity.id)))).scalars()
        )


async def test_revision_note_goes_to_the_employee_and_an_edit_sends_it_back(office) -> None:
    fitri = await office.employee(FITRIANI)
    agus = await office.employee(AGUS)
    entry = await _add(
        office, AGUS, TODAY, "Rapat koordinasi kelurahan", 120, quantity=1, output_unit="kegiatan"
    )
    await _open_agus(fitri, 1)  # one day: straight to it
    await fitri.press("↩️ 1")
    [ask] = await fitri.wait_for(1)
    assert "Minta revisi" in ask.text and "Rapat koordinasi kelurahan" in ask.text
    await fitri.send("x" * 1001)
    [too_long] = await fitri.wait_for(1)
    assert "terlalu panjang (1001 karakter; maksimal 1000)" in too_long.text
    assert (await _activity(office, entry)).status == "submitted"
    await fitri.send("Lampirkan <b>notulen</b> & daftar hadir")
    sent, refreshed = await fitri.wait_for(2)
    assert "Permintaan revisi terkirim ke Agus Salim Daulay" in sent.text
    assert "Tidak ada lagi kegiatan" in refreshed.text
    revised = await _activity(office, entry)
    assert revised.status == "revision_requested"
    assert revised.review_note == "Lampirkan <b>notulen</b> & daftar hadir"

    await _deliver(office)
    [told] = await agus.wait_for(1)
    assert "meminta revisi kegiatan Anda tanggal Selasa, 24 November 2026" in told.text
    # The note is shown as typed, escaped (not as bold HTML).
    assert "Catatan: Lampirkan <b>notulen</b> & daftar hadir" in told.text
    assert "&lt;b&gt;notulen&lt;/b&gt; &amp; daftar" in (told.html or "")
    assert told.button_texts == ["✏️ Ubah kegiatan"]

    # Agus edits it from the notification: back in the queue.
    await agus.press("✏️ Ubah kegiatan")
    await agus.wait_for(1)
    await agus.press("✏️ Ubah")
    await agus.wait_for(1)
    await agus.press("Durasi")
    await agus.wait_for(1)
    await agus.send("2 jam 30 menit")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    again = await _activity(office, entry)
    assert again.status == "submitted" and again.minutes == 150
    await fitri.send("/persetujuan")
    [overview] = await fitri.wait_for(1)
    assert "1 kegiatan dari 1 orang" in overview.text


async def test_reject_with_reason_in_english(office) -> None:
    fitri = await office.employee(FITRIANI)
    agus = await office.employee(AGUS)
    await agus.send("/bahasa")
    await agus.wait_for(1)
    await agus.press("🇬🇧 English")
    await agus.wait_for_edit()
    entry = await _add(office, AGUS, TODAY, "Makan siang", 60)
    await _open_agus(fitri, 1)
    await fitri.press("❌ 1")
    [ask] = await fitri.wait_for(1)
    assert "Tolak" in ask.text
    await fitri.send_sticker()
    [expected] = await fitri.wait_for(1)
    assert "teks" in expected.text
    await fitri.send("Bukan kegiatan dinas")
    sent, _ = await fitri.wait_for(2)
    assert "Penolakan terkirim" in sent.text
    rejected = await _activity(office, entry)
    assert (rejected.status, rejected.review_note) == ("rejected", "Bukan kegiatan dinas")
    await _deliver(office)
    [told] = await agus.wait_for(1)
    assert "Your entry of Tuesday, 24 November 2026 was rejected by" in told.text
    assert "Reason: Bukan kegiatan dinas" in told.text
    # Deciding again by a forged press of the old button: refused, nothing changes.
    await fitri.press(callback_data=f"apv:ok:{entry}", forge=True)
    assert "sudah diputuskan (Ditolak)" in await _answers(fitri, 3)
    assert (await _activity(office, entry)).status == "rejected"


async def test_approve_all_asks_first_and_skips_entries_sent_after_the_question(office) -> None:
    fitri = await office.employee(FITRIANI)
    agus = await office.employee(AGUS)
    ids = [await _add(office, AGUS, TODAY, f"Kegiatan {n}", 30) for n in range(3)]
    other_day = await _add(office, AGUS, MONDAY, "Kegiatan Senin", 30)
    await _open_agus(fitri, 4)
    await fitri.press("Sel 24/11 (3)")
    await fitri.wait_for_edit()
    await fitri.press("✅ Setujui semua (3)")
    confirm = await fitri.wait_for_edit()
    assert "Setujui semua 3 kegiatan Agus Salim Daulay tanggal Selasa, 24 November 2026?" in (
        confirm.text
    )
    assert [a.status for a in [await _activity(office, i) for i in ids]] == ["submitted"] * 3
    late = await _add(office, AGUS, TODAY, "Dikirim setelah pertanyaan", 30)
    await fitri.press("Ya, setujui semua")
    done = await fitri.wait_for_edit()
    assert "3 kegiatan Agus Salim Daulay tanggal Selasa, 24 November 2026 disetujui" in done.text
    assert [(await _activity(office, i)).status for i in ids] == ["approved"] * 3
    assert (await _activity(office, late)).status == "submitted"
    assert (await _activity(office, other_day)).status == "submitted"
    assert await _count(office, AuditEntry, col(AuditEntry.action) == "activity.review") == 3
    # A second tap on the confirmation: nothing more is approved or sent.
    again = await fitri.press("Ya, setujui semua", forge=True, message_id=confirm.message_id)
    assert "sudah diputuskan" in (await fitri.answer_to(again))["text"]
    await _deliver(office)
    [told] = await agus.wait_for(1)
    assert "3 kegiatan Anda tanggal Selasa, 24 November 2026 disetujui" in told.text
    assert "Kegiatan 0" in told.text and "Kegiatan 2" in told.text
    assert await _count(office, OutboxMessage, col(OutboxMessage.kind) == "review") == 1


async def test_cancel_approve_all_changes_nothing(office) -> None:
    fitri = await office.employee(FITRIANI)
    entry = await _add(office, AGUS, TODAY, "Kegiatan", 30)
    await _open_agus(fitri, 1)
    await fitri.press("✅ Setujui semua (1)")
    await fitri.wait_for_edit()
    await fitri.press("✖️ Batal")
    back = await fitri.wait_for_edit()
    assert "1. Kegiatan" in back.text  # the day again
    assert (await _activity(office, entry)).status == "submitted"


async def test_refusals_not_my_report_forged_deleted_stale(office) -> None:
    fitri = await office.employee(FITRIANI)
    rosma = await office.employee(ROSMAWATI)
    benny = await office.employee(BENNY)
    agus = await office.employee(AGUS)
    entry = await _add(office, AGUS, TODAY, "Rapat", 60)
    agus_id = await _id(office, AGUS)
    # Rosmawati supervises Fitriani and Susanti; Agus is not her direct report.
    susanti_entry = await _add(office, SUSANTI, TODAY, "Laporan keuangan", 60)
    await rosma.send("/persetujuan")
    [overview] = await rosma.wait_for(1)
    assert "Susanti Halim" in overview.text and "Agus" not in overview.text
    for data in (
        f"apv:ok:{entry}",
        f"apv:rej:{entry}",
        f"apv:ev:{entry}",
        f"apv:emp:{agus_id}",
        f"apv:day:{agus_id}:20261124:0",
        f"apv:allok:{agus_id}:20261124:{entry}",
    ):
        await rosma.press(callback_data=data, forge=True)
    await eventually(lambda: len(rosma.callback_answers) == 6)
    assert all("tidak ditemukan" in a["text"] for a in rosma.callback_answers)
    # Benny has no reports with waiting entries; forging a press for Agus is refused too.
    await benny.send("/persetujuan")
    [empty] = await benny.wait_for(1)
    assert "Tidak ada kegiatan bawahan" in empty.text
    await benny.press(callback_data=f"apv:ok:{entry}", forge=True)
    assert "tidak ditemukan" in await _answers(benny, 1)
    # An employee who is no supervisor: denied.
    await agus.send("/persetujuan")
    [denied] = await agus.wait_for(1)
    assert "tidak memiliki akses" in denied.text
    await agus.press(callback_data=f"apv:ok:{entry}", forge=True)
    assert "tidak memiliki akses" in await _answers(agus, 1)
    # Garbage and stale callback data.
    await fitri.send("/persetujuan")
    await fitri.wait_for(1)
    for data in ("apv:ok:abc", "apv:day:1:2026133:0", "apv:zz", "apv:ok:99999999"):
        await fitri.press(callback_data=data, forge=True)
    await eventually(lambda: len(fitri.callback_answers) == 4)
    texts = [a["text"] for a in fitri.callback_answers]
    assert (
        "tidak berlaku" in texts[0] and "tidak berlaku" in texts[1] and "tidak berlaku" in texts[2]
    )
    assert "tidak ditemukan" in texts[3]
    # A deleted entry cannot be decided.
    await agus.send("/hariini")
    await agus.wait_for(1)
    await agus.press("🗑 Hapus 1")
    await agus.wait_for(1)
    await agus.press("Ya, hapus")
    await agus.wait_for_edit()
    await fitri.press(callback_data=f"apv:ok:{entry}", forge=True)
    assert "tidak ditemukan" in await _answers(fitri, 5)
    assert (await _activity(office, entry)).status == "submitted"
    assert (await _activity(office, susanti_entry)).status == "submitted"
    assert await _count(office, ActivityHistory, col(ActivityHistory.action) == "reviewed") == 0
    assert await _count(office, OutboxMessage, col(OutboxMessage.kind) == "review") == 0


async def test_indirect_reports_when_configured(db_url, tmp_path) -> None:
    from pathlib import Path

    from tests.e2e.harness import start_harness, stop_harness

    harness = await start_harness(
        db_url, SIGAP_DATA_DIR=str(tmp_path / "data"), SIGAP_SUPERVISE_INDIRECT_REPORTS="true"
    )
    try:
        examples = Path(__file__).resolve().parents[2] / "examples"
        await harness.import_roster(examples / "roster_belawan.csv")
        rosma = await harness.employee(ROSMAWATI)
        entry = await _add(harness, AGUS, TODAY, "Rapat", 60)
        await rosma.send("/persetujuan")
        [overview] = await rosma.wait_for(1)
        assert "Agus Salim Daulay" in overview.text
        await rosma.press(callback_data=f"apv:ok:{entry}", forge=True)
        await eventually(lambda: len(rosma.callback_answers) == 1)
        assert (await _activity(harness, entry)).status == "approved"
    finally:
        await stop_harness(harness)


async def test_evidence_is_sent_again_from_stored_file_ids(office) -> None:
    fitri = await office.employee(FITRIANI)
    entry = await _add(office, AGUS, TODAY, "Sosialisasi", 60)
    photo = office.emulator.files.add_photo(b"\xff\xd8\xff photo")[-1]
    document = office.emulator.files.add("document", b"%PDF-1.4", file_name="notulen.pdf")
    async with office.db.write() as session:
        session.add(
            ActivityEvidence(
                activity_id=entry,
                kind="photo",
                telegram_file_id=photo["file_id"],
                file_unique_id=photo["file_unique_id"],
            )
        )
        session.add(
            ActivityEvidence(
                activity_id=entry,
                kind="document",
                telegram_file_id=document.file_id,
                file_unique_id=document.file_unique_id,
                file_name="notulen.pdf",
            )
        )
    view = await _open_agus(fitri, 1)
    assert "2 bukti" in view.text and "📎 1" in view.button_texts
    await fitri.press("📎 1")
    sent_photo, sent_document = await fitri.wait_for(2)
    assert sent_photo.photo and "Bukti 1/2: Sosialisasi" in sent_photo.text
    assert sent_document.document and sent_document.document["file_name"] == "notulen.pdf"
    assert (await _activity(office, entry)).status == "submitted"


async def test_many_reports_are_paged_and_every_message_fits(office) -> None:
    """The camat has 11 direct reports; each logs 9 long entries on one day."""
    camat = await office.employee("198105142003121002")
    camat_id = await _id(office, "198105142003121002")
    async with office.db.read() as session:
        reports = list(
            (
                await session.execute(
                    select(col(Employee.id), col(Employee.name)).where(
                        col(Employee.supervisor_id) == camat_id
                    )
                )
            ).all()
        )
    assert len(reports) == 11
    async with office.db.write() as session:
        for employee_id, _ in reports:
            for n in range(9):
                session.add(
                    Activity(
                        employee_id=employee_id,
                        work_date=TODAY,
                        description=f"{n} " + "Uraian panjang <x> " * 50,
                        minutes=30,
                    )
                )
    await camat.send("/persetujuan")
    [first_page] = await camat.wait_for(1)
    assert "99 kegiatan dari 11 orang" in first_page.text and "Halaman 1/2" in first_page.text
    assert len([b for b in first_page.button_texts if b.endswith("(9)")]) == 10
    await camat.press("Berikutnya »")
    second = await camat.wait_for_edit()
    assert "Halaman 2/2" in second.text and "Zulkarnain" in second.text
    await camat.press("« Sebelumnya")
    await camat.wait_for_edit()
    name = sorted(r[1] for r in reports)[0]
    await camat.press(f"{name[:39]}… (9)" if len(name) > 40 else f"{name} (9)")
    day = await camat.wait_for_edit()
    assert "Halaman 1/2" in day.text and "6. 5 Uraian" in day.text and "7. 6" not in day.text
    assert len(day.text) < 4096 and day.button_texts.count("✅ Setujui semua (9)") == 1
    await camat.press("Berikutnya »")
    page_two = await camat.wait_for_edit()
    assert "7. 6 Uraian" in page_two.text and "9. 8 Uraian" in page_two.text
    # A decision on page 2 shows page 2 again (now entries 7–8 of 8), not page 1.
    await camat.press("✅ 8")
    after = await camat.wait_for_edit()
    assert "Halaman 2/2" in after.text and "7. 6 Uraian" in after.text
    assert "8. 8 Uraian" in after.text and "7 Uraian" not in after.text
    # So does a revision, whose note is typed in a message of its own.
    await camat.press("↩️ 7", message_id=after.message_id)
    await camat.wait_for(1)
    await camat.send("Lengkapi buktinya")
    _sent, again = await camat.wait_for(2)
    assert "Halaman 2/2" in again.text and "7. 8 Uraian" in again.text
    assert camat.errors == []


async def test_open_from_another_message_and_a_note_for_an_entry_gone_meanwhile(office) -> None:
    fitri = await office.employee(FITRIANI)
    agus = await office.employee(AGUS)
    await _log_today(agus, "Rapat koordinasi 2 jam")
    [entry] = await _activity_ids(office)
    # The scheduler's nudge carries "apv:open": the list comes as a new message.
    await fitri.press(callback_data="apv:open", forge=True)
    [listing] = await fitri.wait_for(1)
    assert "1 kegiatan dari 1 orang" in listing.text
    await fitri.press("Agus Salim Daulay (1)")
    await fitri.wait_for_edit()
    await fitri.press("↩️ 1")
    await fitri.wait_for(1)
    await fitri.press("✖️ Batal")
    [cancelled] = await fitri.wait_for(1)
    assert "dibatalkan" in cancelled.text
    await fitri.send("Ini bukan catatan")  # no flow open any more: not taken as a note
    await fitri.wait_for(1)
    assert (await _activity(office, entry)).status == "submitted"
    # Asked for a reason, but the employee deletes the entry before the supervisor answers.
    await fitri.press("❌ 1", message_id=listing.message_id)
    await fitri.wait_for(1)
    await agus.send("/hariini")
    await agus.wait_for(1)
    await agus.press("🗑 Hapus 1")
    await agus.wait_for(1)
    await agus.press("Ya, hapus")
    await agus.wait_for_edit()
    await fitri.send("Tidak relevan")
    [gone] = await fitri.wait_for(1)
    assert "tidak ditemukan" in gone.text
    assert await _count(office, ActivityHistory, col(ActivityHistory.action) == "reviewed") == 0
    assert await _count(office, OutboxMessage, col(OutboxMessage.kind) == "review") == 0


async def _log_today(person, text: str) -> None:
    await person.send(text)
    await person.wait_for(1)
    await person.press("✅ Simpan")
    await wait_for_saved(person)


async def test_the_schedulers_nudge_opens_the_list(office) -> None:
    from datetime import UTC, datetime

    fitri = await office.employee(FITRIANI)
    await _add(
        office,
        AGUS,
        date(2026, 11, 19),
        "Rekap absensi",
        60,
        created_at=datetime(2026, 11, 19, 3, tzinfo=UTC),
    )
    office.clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # 16:00 WIB
    await office.scheduler.tick()
    await office.scheduler.sender.run_until_idle()
    await fitri.wait_for(1)
    # Fitriani logged nothing herself, so the day's reminder may come too.
    [nudge] = [m for m in fitri.messages if "menunggu persetujuan" in m.text]
    assert len(nudge.button_texts) == 1
    await fitri.press(nudge.button_texts[0], message_id=nudge.message_id)
    [listing] = await fitri.wait_for(1)
    assert "1 kegiatan dari 1 orang" in listing.text
    assert "Agus Salim Daulay (1)" in listing.button_texts
    assert nudge.edit_count == 0  # the nudge stays as it was; the list is a new message
