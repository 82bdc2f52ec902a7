"""Citizens file complaints and follow them: the /aduan flow, tracking numbers, /status,
limits against abuse, bad input, and the retention purge. The desk side is in test_desk.py;
the helpers here serve both."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from domain.complaints import DEFAULT_CATEGORIES
from models import complaints
from models.tables import (
    AuditEntry,
    Complaint,
    ComplaintAttachment,
    ComplaintBan,
    ComplaintEvent,
)
from tests.e2e.harness import OPERATOR_ID, Harness

STORY = "Lampu jalan di Jl. Stasiun depan masjid mati sejak Senin malam, jalan jadi gelap sekali."
NUMBER = re.compile(r"BLW-\d{4}-\d{4}")
ADMINDUK = "Administrasi Kependudukan (KTP, KK, surat)"


@pytest.fixture
async def town(office: Harness) -> Harness:
    """The Belawan roster plus the default complaint categories."""
    await complaints.import_categories(
        office.db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=office.clock.now()
    )
    return office


async def install_desk(office: Harness, code: str = "BLW-PU", title: str = "Meja Aduan PU"):
    """A unit's group with the bot in privacy mode, made a desk by the operator."""
    group = office.emulator.group(title, privacy_mode=True)
    operator = office.user(first_name="Operator", user_id=OPERATOR_ID + len(title))
    office.settings.admin_ids.append(operator.id)
    await operator.send(f"/pasang_meja {code}", chat=group)
    [done] = await group.wait_for(1)
    assert "meja aduan" in done.text, done.text
    return group


async def file_complaint(person, **answers: Any) -> str:
    """Walk the /aduan flow the way a citizen does; returns the tracking number."""
    await fill_complaint(person, **answers)
    await person.press("✅ Kirim aduan")
    [receipt] = await person.wait_for(1)
    match = NUMBER.search(receipt.text)
    assert match is not None and "diterima" in receipt.text, receipt.text
    return match.group()


async def fill_complaint(
    person,
    *,
    story: str = STORY,
    category: str = ADMINDUK,
    kind: str = "Pengaduan",
    privacy: str = "Biasa",
    location: Any = None,
    photos: int = 0,
    share_contact: bool = False,
) -> None:
    """The /aduan flow up to its summary, with the Submit button not pressed yet."""
    await start_complaint(person, story=story, category=category, kind=kind, location=location)
    for index in range(photos):
        await person.send_photo(b"\xff\xd8\xff photo %d" % index)
        await person.wait_for(1)
    await person.press("Selesai" if photos else "Lewati")
    await person.wait_for(1)
    await person.press(privacy)
    if privacy != "Anonim":
        await person.wait_for(1)
        if share_contact:
            await person.share_contact("+6281234567890")
        else:
            await person.send("Tidak usah")
        await person.wait_for(2)  # noted + the summary
    else:
        await person.wait_for(1)


async def start_complaint(
    person, *, story: str = STORY, category: str = ADMINDUK, kind: str = "Pengaduan", location=None
) -> None:
    """/aduan up to the question for photos and documents."""
    await person.send("/aduan")
    await person.wait_for(1)
    await person.press(kind)
    await person.wait_for(1)
    await person.press(category)
    await person.wait_for(1)
    await person.send(story)
    [ask_location] = await person.wait_for(1)
    assert "lokasi" in ask_location.text.lower(), ask_location.text
    if location is None:
        await person.send("Lewati")
    elif isinstance(location, tuple):
        await person.share_location(*location)
    else:
        await person.send(location)
    await person.wait_for(2)  # noted + the attachments question


async def audited(office: Harness, action: str, count: int = 1) -> list[str]:
    """Subjects of the audit entries for ``action``, once ``count`` have been written (the bot
    writes some after its last message)."""
    for _ in range(200):
        async with office.db.read() as session:
            subjects = list(
                (
                    await session.execute(
                        select(col(AuditEntry.subject))
                        .where(col(AuditEntry.action) == action)
                        .order_by(col(AuditEntry.id))
                    )
                ).scalars()
            )
        if len(subjects) >= count:
            return subjects
        await asyncio.sleep(0.01)
    return subjects


async def complaint_rows(office: Harness) -> list[Complaint]:
    async with office.db.read() as session:
        return list(
            (await session.execute(select(Complaint).order_by(col(Complaint.id)))).scalars()
        )


async def test_citizen_files_with_location_and_photos(town: Harness) -> None:
    desk = await install_desk(town)
    siti = town.user(first_name="Siti", last_name="Rahma", username="sitirahma")
    await siti.send("/aduan")
    [ask] = await siti.wait_for(1)
    assert ask.button_texts == ["Pengaduan", "Aspirasi", "Permintaan informasi"]
    await siti.press("Pengaduan")
    [categories] = await siti.wait_for(1)
    assert ADMINDUK in categories.button_texts and "Lainnya" in categories.button_texts
    await siti.press(ADMINDUK)
    [ask_story] = await siti.wait_for(1)
    assert "kapan" in ask_story.text
    await siti.send("KTP belum jadi")
    [short] = await siti.wait_for(1)
    assert "terlalu singkat" in short.text
    await siti.send(
        "KTP elektronik saya belum jadi sejak tiga bulan lalu, padahal sudah rekam di kantor camat."
    )
    [ask_location] = await siti.wait_for(1)
    [[share], [skip]] = ask_location.reply_keyboard  # type: ignore[misc]
    assert share.request_location and skip == "Lewati"
    await siti.share_location(3.7781, 98.6832)
    noted, ask_files = await siti.wait_for(2)
    assert "Lokasi dicatat" in noted.text and noted.remove_keyboard
    assert "sampai 5 berkas" in ask_files.text
    await siti.send_photo(b"\xff\xd8\xff first")
    [got] = await siti.wait_for(1)
    assert "Diterima (1/5)" in got.text
    await siti.send_document(b"%PDF-1.4 surat", file_name="surat.pdf", mime_type="application/pdf")
    await siti.wait_for(1)
    await siti.press("Selesai")
    [ask_privacy] = await siti.wait_for(1)
    assert ask_privacy.button_texts == ["Biasa", "Rahasia", "Anonim"]
    assert "petugas tidak melihat nama" in ask_privacy.text
    await siti.press("Biasa")
    [ask_contact] = await siti.wait_for(1)
    assert ask_contact.reply_keyboard[0][0].request_contact  # type: ignore[index]
    await siti.share_contact("+62 812-3456-7890")
    _, summary = await siti.wait_for(2)
    assert "Lampiran: 2" in summary.text and "3.77810, 98.68320" in summary.text
    assert "+62 812-3456-7890" in summary.text
    await siti.press("✅ Kirim aduan")
    [receipt] = await siti.wait_for(1)
    assert "Nomor aduan: BLW-2611-0001" in receipt.text
    # Filed on Tuesday 24 November: 3 working days.
    assert "Diverifikasi paling lambat Jumat, 27 November 2026" in receipt.text
    [complaint] = await complaint_rows(town)
    assert (complaint.tracking_number, complaint.status, complaint.privacy) == (
        "BLW-2611-0001",
        "baru",
        "biasa",
    )
    assert complaint.verification_due.isoformat() == "2026-11-27"
    assert complaint.contact_phone == "+62 812-3456-7890" and complaint.contact_consent_at
    # The desk gets the ticket, both files and the map point.
    ticket, photo, document, location = await desk.wait_for(4)
    assert "Aduan BLW-2611-0001" in ticket.text and "Siti Rahma" in ticket.text
    assert "sitirahma" not in ticket.text and str(siti.id) not in ticket.text
    assert "✅ Verifikasi" in ticket.button_texts and "📞 Kontak pelapor" in ticket.button_texts
    assert photo.photo and document.raw["document"]["file_name"] == "surat.pdf"
    assert location.raw["location"]["latitude"] == pytest.approx(3.7781)
    async with town.db.read() as session:
        stored = (await session.execute(select(ComplaintAttachment))).scalars().all()
    assert len(stored) == 2 and all(a.stored_path for a in stored)
    assert await audited(town, "complaints.identity_shown") == ["BLW-2611-0001"]


async def test_status_shows_only_own_complaints_with_history(town: Harness) -> None:
    ani, budi = town.user(first_name="Ani"), town.user(first_name="Budi")
    number = await file_complaint(ani, location="Jl. Stasiun No. 5, Belawan I")
    await budi.send("/status")
    [none] = await budi.wait_for(1)
    assert "belum pernah mengirim aduan" in none.text
    await budi.send(f"/status {number}")
    [hidden] = await budi.wait_for(1)
    assert "tidak ditemukan di antara aduan Anda" in hidden.text and STORY not in hidden.text
    shown = await budi.press(callback_data="cmp:show:1", forge=True)
    assert (await budi.answer_to(shown))["show_alert"]
    await ani.send("/status")
    [listing] = await ani.wait_for(1)
    assert number in listing.text and "Baru" in listing.text and listing.button_texts == [number]
    await ani.send("/status blw 2611 1")  # typed loosely
    [detail] = await ani.wait_for(1)
    assert f"Aduan {number}" in detail.text and "Diajukan" in detail.text
    assert "Diverifikasi paling lambat" in detail.text
    [complaint] = await complaint_rows(town)
    assert complaint.location_text == "Jl. Stasiun No. 5, Belawan I"


async def test_daily_limit_and_ban(town: Harness) -> None:
    town.settings.complaints_per_day = 1
    ani = town.user(first_name="Ani")
    number = await file_complaint(ani, location="3.7781, 98.6832")  # a location typed as text
    await ani.send("/aduan")
    [refused] = await ani.wait_for(1)
    assert "1 aduan dalam 24 jam terakhir" in refused.text
    assert "Rabu, 25 November 2026 09.00 WIB" in refused.text
    from datetime import timedelta

    town.clock.advance(timedelta(hours=24, minutes=1))
    await ani.send("/aduan")
    [ask] = await ani.wait_for(1)
    assert "Sampaikan aduan" in ask.text
    await ani.send("/batal")
    await ani.wait_for(1)
    assert await complaints.ban_reporter(
        town.db, number, "spam berulang", actor="cli", now=town.clock.now()
    )
    await ani.send("/aduan")
    [banned] = await ani.wait_for(1)
    assert "tidak dapat mengirim aduan" in banned.text
    [complaint] = await complaint_rows(town)
    assert (complaint.latitude, complaint.longitude) == (3.7781, 98.6832)
    async with town.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(ComplaintBan))).scalar() == 1


async def test_near_duplicate_is_offered_to_the_existing_complaint(town: Harness) -> None:
    desk = await install_desk(town)
    ani = town.user(first_name="Ani")
    number = await file_complaint(ani)
    await desk.wait_for(1)
    await ani.send("/aduan")
    await ani.wait_for(1)
    await ani.press("Pengaduan")
    await ani.wait_for(1)
    await ani.press(ADMINDUK)
    await ani.wait_for(1)
    await ani.send(STORY.replace("sekali.", "sekali!!").upper())
    [offer] = await ani.wait_for(1)
    assert number in offer.text and offer.button_texts == [
        f"➕ Tambahkan ke {number}",
        "🆕 Tetap buat aduan baru",
    ]
    await ani.press(f"➕ Tambahkan ke {number}")
    [added] = await ani.wait_for(1)
    assert "ditambahkan ke aduan" in added.text
    [relayed] = await desk.wait_for(1)
    assert "menambahkan keterangan" in relayed.text and "LAMPU JALAN" in relayed.text
    assert len(await complaint_rows(town)) == 1
    async with town.db.read() as session:
        actions = (await session.execute(select(col(ComplaintEvent.action)))).scalars().all()
    assert sorted(actions) == ["citizen_message", "submitted"]


async def test_html_and_stickers_and_double_submit(town: Harness) -> None:
    desk = await install_desk(town)
    ani = town.user(first_name="<b>Ani</b> & co")
    await ani.send("/aduan")
    await ani.wait_for(1)
    await ani.press("Aspirasi")
    await ani.wait_for(1)
    await ani.press("Lainnya")
    await ani.wait_for(1)
    await ani.send_sticker()
    [reply] = await ani.wait_for(1)
    assert "berupa teks" in reply.text
    story = "Usul <b>taman</b> & <script>alert(1)</script> di lahan kosong dekat pelabuhan Belawan"
    await ani.send(story)
    await ani.wait_for(1)
    await ani.send_sticker()
    [reply] = await ani.wait_for(1)
    assert "Kirim lokasi" in reply.text
    await ani.send("Lewati")
    await ani.wait_for(2)
    await ani.send_voice()
    [reply] = await ani.wait_for(1)
    assert "foto atau dokumen" in reply.text
    await ani.press("Lewati")
    await ani.wait_for(1)
    await ani.press("Rahasia")
    await ani.wait_for(1)
    await ani.send("0812 3456 7890")  # typed: not the consent button
    [reply] = await ani.wait_for(1)
    assert "Bagikan nomor saya" in reply.text
    await ani.send("Tidak usah")
    _, summary = await ani.wait_for(2)
    assert story in summary.text
    await ani.press("✅ Kirim aduan")
    second_tap = await ani.press(
        "✅ Kirim aduan", message_id=summary.message_id, forge=True
    )  # a double tap
    # The second press is answered with the same number (its first answer may have been lost
    # on the way, as after a kill: test_crash_recovery.py); it files nothing.
    receipts = await ani.wait_for(2)
    assert all("BLW-2611-0001" in receipt.text for receipt in receipts)
    [ticket] = await desk.wait_for(1)
    assert story in ticket.text and "<b>Ani</b> & co" in ticket.text
    assert "Rahasia" in ticket.text
    assert not ani.errors and not desk.errors
    [complaint] = await complaint_rows(town)
    assert complaint.story == story and complaint.kind == "aspirasi"
    assert not (await ani.answer_to(second_tap)).get("text")  # not "this button is old"
    await asyncio.sleep(0.2)
    assert sum("Aduan BLW-2611-0001" in m.text for m in desk.messages) == 1  # one ticket


async def test_album_and_oversized_file(town: Harness) -> None:
    ani = town.user(first_name="Ani")
    await ani.send("/aduan")
    await ani.wait_for(1)
    await ani.press("Pengaduan")
    await ani.wait_for(1)
    await ani.press("Jalan & Drainase")
    await ani.wait_for(1)
    await ani.send(STORY)
    await ani.wait_for(1)
    await ani.send("Lewati")
    await ani.wait_for(2)
    await ani.send_photo(b"big", file_size=25 * 1024 * 1024)
    [too_big] = await ani.wait_for(1)
    assert "lebih dari 20 MB" in too_big.text
    for index in range(10):
        await ani.send_photo(b"\xff\xd8\xff album %d" % index, media_group_id="album-1")
    received, full = await ani.wait_for(2)
    assert "Diterima (1/5)" in received.text and "Sudah 5 lampiran" in full.text
    await asyncio.sleep(0.2)
    assert len(ani.messages) == 2 + 7  # nothing more for the album
    await ani.press("Selesai")
    await ani.wait_for(1)
    await ani.press("Anonim")  # no phone number question for anonymous reports
    [summary] = await ani.wait_for(1)
    assert "Lampiran: 5" in summary.text and "Kontak: —" in summary.text


async def test_citizen_changes_answers_from_the_summary(town: Harness) -> None:
    """From the summary, "✏️ Ubah" asks one answer again and comes back to the summary; the
    old summary's buttons are no longer valid; what is sent is the changed complaint."""
    siti = town.user(first_name="Siti")
    await start_complaint(siti, location="Jl. Stasiun No. 3")
    await siti.press("Lewati")
    await siti.wait_for(1)
    await siti.press("Anonim")
    [summary] = await siti.wait_for(1)
    assert "Jl. Stasiun No. 3" in summary.text and "Anonim" in summary.text
    assert summary.button_texts == ["✅ Kirim aduan", "✏️ Ubah", "✖️ Batal"]

    await siti.press("✏️ Ubah")
    [menu] = await siti.wait_for(1)
    assert menu.button_texts == [
        "📣 Jenis", "🗂 Kategori", "📝 Cerita", "📍 Lokasi", "📎 Lampiran (kirim ulang)",
        "🔐 Privasi dan kontak", "← Kembali ke ringkasan",
    ]  # fmt: skip
    await siti.press("📝 Cerita")
    await siti.wait_for(1)
    new_story = "Lampu jalan <Jl. Stasiun> mati & gelap sejak Senin malam, mohon segera diperbaiki."
    await siti.send(new_story)
    [again] = await siti.wait_for(1)
    assert new_story in again.text and "Jl. Stasiun No. 3" in again.text
    # The first summary's "Kirim" is stale now: nothing is filed from it.
    await siti.press("✅ Kirim aduan", message_id=summary.message_id, forge=True)
    assert await complaint_rows(town) == []

    await siti.press("✏️ Ubah", message_id=again.message_id)
    await siti.wait_for(1)
    await siti.press("📍 Lokasi")
    await siti.wait_for(1)
    await siti.share_location(3.7765, 98.6836)
    await siti.wait_for(2)  # noted + the summary again
    await siti.press("✏️ Ubah")
    await siti.wait_for(1)
    await siti.press("🔐 Privasi dan kontak")
    await siti.wait_for(1)
    await siti.press("Biasa")
    await siti.wait_for(1)  # the contact question: privacy "biasa" allows it
    await siti.send("Tidak usah")
    _, final = await siti.wait_for(2)  # noted + the summary
    assert "Biasa" in final.text and "3.77650, 98.68360" in final.text
    await siti.press("✅ Kirim aduan")
    [receipt] = await siti.wait_for(1)
    assert NUMBER.search(receipt.text)
    [complaint] = await complaint_rows(town)
    assert complaint.story == new_story
    assert (complaint.latitude, complaint.longitude, complaint.location_text) == (
        3.7765, 98.6836, None,
    )  # fmt: skip
    assert complaint.privacy == "biasa"
