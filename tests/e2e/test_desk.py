"""Units work complaints in their Telegram groups: tickets with privacy applied, the buttons
and who may press them, answers relayed both ways, reopening, forwarding, and the purge."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.polling import stop_bot
from models import complaints
from models.tables import Complaint, ComplaintEvent
from tests.e2e.harness import Harness, eventually, start_again
from tests.e2e.test_complaints import (
    audited,
    complaint_rows,
    file_complaint,
    install_desk,
    town,  # noqa: F401 (fixture)
)

DEWI = "199401202021012008"  # complaint handler, Seksi Pelayanan Umum (BLW-PU)
NURHAYATI = "198009112006042011"  # head of BLW-PU, also a complaint handler
KEVIN = "199708112024211004"  # BLW-PU employee without the handler role
PUTRI = "199512042020122005"  # complaint handler, Kelurahan Belawan I (BLW-K01)


async def _events(office: Harness) -> list[ComplaintEvent]:
    async with office.db.read() as session:
        return list(
            (
                await session.execute(select(ComplaintEvent).order_by(col(ComplaintEvent.id)))
            ).scalars()
        )


async def _wait_status(office: Harness, status: str) -> Complaint:
    for _ in range(200):
        [complaint] = await complaint_rows(office)
        if complaint.status == status:
            return complaint
        await asyncio.sleep(0.01)
    raise AssertionError(f"status stayed {complaint.status}")


async def test_handler_works_a_ticket_to_the_end(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    nurhayati = await town.employee(NURHAYATI, first_name="Nur")
    siti = town.user(first_name="Siti")
    number = await file_complaint(siti)
    [ticket] = await desk.wait_for(1)
    ticket_id = ticket.message_id

    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket_id)
    edited = await desk.wait_for_edit()
    assert "Status: Terverifikasi" in edited.text
    assert "Ditindaklanjuti paling lambat Selasa, 1 Desember 2026" in edited.text  # 5 working days
    assert "✅ Verifikasi" not in edited.button_texts and "⚙️ Proses" in edited.button_texts
    [notice] = await siti.wait_for(1)
    assert f"Aduan {number} sudah diverifikasi oleh Seksi Pelayanan Umum" in notice.text
    assert "Dewi" not in notice.text and notice.button_texts == ["✍️ Tambah keterangan"]
    # Her work is offered as an activity in her private chat (tests/e2e/test_desk_work.py).
    [offer] = await dewi.wait_for(1)
    assert f"Menindaklanjuti aduan {number}: verifikasi aduan" in offer.text

    await dewi.press("👤 Tugaskan", chat=desk, message_id=ticket_id)
    choices = await desk.wait_for_edit()
    assert choices.button_texts == [
        "Dewi Kartika Sari, A.Md",
        "Nurhayati Harahap, S.E.",
        "← Kembali",
    ]
    await dewi.press("Dewi Kartika Sari, A.Md", chat=desk, message_id=ticket_id)
    edited = await desk.wait_for_edit()
    assert "Ditangani: Dewi Kartika Sari" in edited.text
    [assigned] = await dewi.wait_for(1)
    assert f"Anda ditugaskan menangani aduan {number}" in assigned.text
    [notice] = await siti.wait_for(1)
    assert "diserahkan kepada petugas" in notice.text and "Dewi" not in notice.text

    await dewi.press("⚙️ Proses", chat=desk, message_id=ticket_id)
    await desk.wait_for_edit()
    [notice] = await siti.wait_for(1)
    assert "sedang diproses" in notice.text

    await dewi.press("🏁 Selesai", chat=desk, message_id=ticket_id)
    [question] = await desk.wait_for(1)
    assert "Balas (reply) pesan ini" in question.text and question.reply_markup["force_reply"]
    await nurhayati.send("Sudah saya cek", chat=desk, reply_to=question)
    [not_yours] = await desk.wait_for(1)
    assert "untuk petugas yang menekan tombolnya" in not_yours.text
    await dewi.send(
        "KTP sudah dicetak, silakan ambil di kantor camat.", chat=desk, reply_to=question
    )
    [done] = await desk.wait_for(1)
    assert f"Aduan {number}: Selesai" in done.text
    [notice] = await siti.wait_for(1)
    assert "KTP sudah dicetak" in notice.text
    assert notice.button_texts == ["✅ Sudah selesai", "↩️ Belum selesai"]
    assert "Selasa, 8 Desember 2026" in notice.text  # 10 working days to answer
    # Only the newest notice keeps buttons: one "Tambah keterangan" was never under five.
    await eventually(lambda: [m.button_texts for m in siti.messages if m.button_texts] == [
        ["✅ Sudah selesai", "↩️ Belum selesai"]
    ])  # fmt: skip

    # The citizen says it is not solved: back to the unit with the reason.
    await siti.press("↩️ Belum selesai")
    [ask] = await siti.wait_for(1)
    assert "Apa yang belum selesai" in ask.text
    # The used notice shows the choice and has no buttons left.
    answered = next(m for m in siti.messages if m.message_id == notice.message_id)
    assert answered.button_texts == [] and answered.text.endswith("✔️ ↩️ Belum selesai")
    await siti.send("Petugas bilang KTP belum ada saat saya datang.")
    [reopened] = await siti.wait_for(1)
    assert "dibuka kembali" in reopened.text
    [relayed] = await desk.wait_for(1)
    assert "belum selesai" in relayed.text and "belum ada saat saya datang" in relayed.text
    assert "Status: Dibuka kembali" in desk.messages[1].text  # the ticket, edited

    await dewi.press("🏁 Selesai", chat=desk, message_id=ticket_id)
    [question] = await desk.wait_for(1)
    await dewi.send("KTP sudah diserahkan langsung kepada pelapor.", chat=desk, reply_to=question)
    await desk.wait_for(1)
    [notice] = await siti.wait_for(1)
    # Past the reopening window (10 working days) "belum selesai" is no longer possible.
    town.clock.advance(timedelta(days=15))
    await siti.press("↩️ Belum selesai", message_id=notice.message_id)
    [late] = await siti.wait_for(1)
    assert "sudah lewat" in late.text
    await eventually(lambda: siti.messages[-2].button_texts == ["✅ Sudah selesai"])
    await siti.press("✅ Sudah selesai", message_id=notice.message_id)
    # The thanks, and the survey invitation the closing queued (the commit woke the sender).
    arrived = await siti.wait_for(2)
    assert sum("ditutup sebagai selesai" in m.text for m in arrived) == 1
    assert sum("📝 Isi survei" in m.button_texts for m in arrived) == 1
    await desk.wait_for(1)
    complaint = await _wait_status(town, "ditutup")
    assert complaint.outcome == "selesai" and complaint.closed_at is not None
    assert desk.messages[1].button_texts == []  # a closed ticket has no buttons

    # A button pressed on the closed ticket (an old client) is answered, and changes nothing.
    late = await dewi.press(callback_data=f"desk:verify:{complaint.id}", chat=desk, forge=True)  # type: ignore[assignment]
    assert "sudah selesai diproses" in (await dewi.answer_to(late))["text"]  # type: ignore[arg-type]
    events = await _events(town)
    assert [e.action for e in events] == [
        "submitted",
        "verify",
        "assign",
        "process",
        "resolve",
        "reopen",
        "resolve",
        "confirm",
    ]
    dewi_id = events[1].employee_id
    assert dewi_id is not None and all(e.employee_id == dewi_id for e in events[1:5])
    assert events[5].actor == "citizen" and events[5].note.startswith("Petugas bilang")  # type: ignore[union-attr]
    assert (await complaint_rows(town))[0].status == "ditutup"


async def test_a_ticket_pressed_before_its_link_is_written_shows_the_move(
    town: Harness,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ticket and the receipt go out at once, and the ticket is linked to its complaint once
    Telegram has answered its send: on a busy bot a handler's press can be handled first. The
    ticket still shows the move (it kept "Verifikasi" once, in bench/notify_latency.py)."""
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    linking, linked = asyncio.Event(), asyncio.Event()
    set_ticket = complaints.set_ticket

    async def late(*args: Any, **kwargs: Any) -> None:
        linking.set()
        await linked.wait()
        await set_ticket(*args, **kwargs)

    monkeypatch.setattr(complaints, "set_ticket", late)
    siti = town.user(first_name="Siti")
    number = await file_complaint(siti)
    [ticket] = await desk.wait_for(1)
    await asyncio.wait_for(linking.wait(), 5)
    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    edited = await desk.wait_for_edit()
    assert edited.message_id == ticket.message_id and "Status: Terverifikasi" in edited.text
    assert "✅ Verifikasi" not in edited.button_texts and "⚙️ Proses" in edited.button_texts
    [notice] = await siti.wait_for(1)
    assert f"Aduan {number} sudah diverifikasi" in notice.text
    linked.set()  # the link written after all: replies to the ticket reach Siti
    await dewi.send("Mohon kirim foto KTP lama Anda.", chat=desk, reply_to=ticket)
    [answer] = await siti.wait_for(1)
    assert "Mohon kirim foto KTP lama Anda." in answer.text


async def test_only_handlers_of_the_unit_may_act(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    putri = await town.employee(PUTRI, first_name="Putri")  # handler of another unit
    kevin = await town.employee(KEVIN, first_name="Kevin")  # same unit, not a handler
    stranger = town.user(first_name="Warga")
    await file_complaint(town.user(first_name="Siti"))
    [ticket] = await desk.wait_for(1)
    by_putri = await putri.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    by_kevin = await kevin.press("⛔ Tolak", chat=desk, message_id=ticket.message_id)
    by_stranger = await stranger.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    to_putri = await putri.answer_to(by_putri)
    assert to_putri["show_alert"] and "ditangani Seksi Pelayanan Umum" in to_putri["text"]
    assert "hanya penangan aduan yang terdaftar" in (await kevin.answer_to(by_kevin))["text"]
    assert "hanya penangan aduan" in (await stranger.answer_to(by_stranger))["text"]
    assert [len(p.callback_answers) for p in (putri, kevin, stranger)] == [1, 1, 1]
    await kevin.send("Saya jawab ya pak", chat=desk, reply_to=ticket)
    [refused] = await desk.wait_for(1)
    assert "hanya penangan aduan" in refused.text
    [complaint] = await complaint_rows(town)
    assert complaint.status == "baru"
    assert [e.action for e in await _events(town)] == ["submitted"]
    # Installing desks is for admins, in groups, for units that exist.
    await kevin.send("/pasang_meja BLW-PU", chat=desk)
    [denied] = await desk.wait_for(1)
    assert "tidak memiliki akses" in denied.text
    await kevin.send("/pasang_meja BLW-PU")
    [in_group] = await kevin.wait_for(1)
    assert "grup Telegram unit" in in_group.text
    admin = await town.employee("198407222009012003", first_name="Fitri")  # admin, not handler
    await admin.send("/pasang_meja BLW-XX", chat=desk)
    [unknown] = await desk.wait_for(1)
    assert "Unit BLW-XX tidak dikenal" in unknown.text and "BLW-PU" in unknown.text
    by_admin = await admin.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    assert "hanya penangan aduan" in (await admin.answer_to(by_admin))["text"]


async def test_anonymous_report_answers_relayed_both_ways(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    siti = town.user(first_name="Siti", username="siti_belawan")
    number = await file_complaint(siti, privacy="Anonim", photos=1)
    ticket, _photo = await desk.wait_for(2)
    assert "Pelapor #" in ticket.text and "(anonim)" in ticket.text
    for leak in ("Siti", "siti_belawan", str(siti.id)):
        assert leak not in ticket.text
    assert "📞 Kontak pelapor" not in ticket.button_texts

    await dewi.send("Mohon kirim <i>foto</i> KK Anda & nomor antrean.", chat=desk, reply_to=ticket)
    [sent] = await desk.wait_for(1)
    assert "diteruskan ke pelapor" in sent.text
    [answer] = await siti.wait_for(1)
    assert "Jawaban petugas Seksi Pelayanan Umum" in answer.text
    assert "Mohon kirim <i>foto</i> KK Anda & nomor antrean." in answer.text
    assert "Dewi" not in answer.text and "Kartika" not in answer.text
    await dewi.send_photo(b"\xff\xd8\xff contoh", caption="Contoh", chat=desk, reply_to=ticket)
    await desk.wait_for(1)
    header, photo = await siti.wait_for(2)
    assert "Jawaban petugas" in header.text and "Contoh" in header.text and photo.photo

    # The citizen answers by replying to the staff answer; staff see the alias only.
    await siti.send("Nomor antrean saya 17, foto menyusul.", reply_to=answer.raw)
    [added] = await siti.wait_for(1)
    assert "ditambahkan ke aduan" in added.text
    [relayed] = await desk.wait_for(1)
    assert "Pelapor #" in relayed.text and "Nomor antrean saya 17" in relayed.text
    assert "Siti" not in relayed.text
    # ...or with the button under a notice.
    before = len(siti.messages)
    await siti.press("✍️ Tambah keterangan")
    await siti.wait_for(1)
    await siti.send_photo(b"\xff\xd8\xff kk", media_group_id="kk")
    await siti.send_photo(b"\xff\xd8\xff kk 2", media_group_id="kk")  # an album of two
    [_added] = await siti.wait_for(1)
    header, photo, _, second = await desk.wait_for(4)
    assert "Pelapor #" in header.text and photo.photo and second.photo
    await asyncio.sleep(0.1)
    assert len(siti.messages) == before + 2  # the question and one answer for the album
    # Staff can answer the relayed message like the ticket itself.
    await dewi.send("Terima kasih, kami proses.", chat=desk, reply_to=relayed)
    await desk.wait_for(1)
    [answer] = await siti.wait_for(1)
    assert "Terima kasih, kami proses." in answer.text
    # A citizen who blocked the bot: the answer is kept and the desk is told.
    siti.block()
    await dewi.send("Apakah masih ada kendala?", chat=desk, reply_to=ticket)
    [kept] = await desk.wait_for(1)
    assert "Jawaban disimpan" in kept.text and "tidak bisa dihubungi" in kept.text
    siti.unblock()
    # A reply to a bot message that is no ticket gets directions, not silence.
    await dewi.send("Ini jawabannya", chat=desk, reply_to=desk.messages[0])
    [directions] = await desk.wait_for(1)
    assert "balas (reply) pesan tiket" in directions.text
    events = await _events(town)
    assert [e.action for e in events].count("staff_message") == 4
    assert [e.action for e in events].count("citizen_message") == 3
    assert all(e.employee_id for e in events if e.action == "staff_message")
    assert await audited(town, "complaints.identity_shown", count=0) == []
    # Another citizen cannot reply their way into this complaint.
    other = town.user(first_name="Lain")
    await other.send(f"/status {number}")
    [hidden] = await other.wait_for(1)
    assert "tidak ditemukan" in hidden.text


async def test_forward_reject_contact_and_purge(town: Harness, tmp_path: Path) -> None:  # noqa: F811
    dewi = await town.employee(DEWI, first_name="Dewi")
    putri = await town.employee(PUTRI, first_name="Putri")
    siti = town.user(first_name="Siti", last_name="Rahma")
    # Filed before any desk exists: it waits, and appears when the desk is installed.
    number = await file_complaint(siti, privacy="Rahasia", share_contact=True)
    pu = await install_desk(town)
    [ticket] = await pu.wait_for(1)
    assert "Siti Rahma" in ticket.text and "Rahasia" in ticket.text
    k01 = await install_desk(town, "BLW-K01", "Meja Aduan Belawan I")

    contact = await dewi.answer_to(
        await dewi.press("📞 Kontak pelapor", chat=pu, message_id=ticket.message_id)
    )
    assert "+6281234567890" in contact["text"] and contact["show_alert"]
    assert await audited(town, "complaints.contact_viewed") == [number]

    await dewi.press("🔀 Bukan wewenang", chat=pu, message_id=ticket.message_id)
    choices = await pu.wait_for_edit()
    assert choices.button_texts == ["Kelurahan Belawan I", "← Kembali"]
    await dewi.press("Kelurahan Belawan I", chat=pu, message_id=ticket.message_id)
    [question] = await pu.wait_for(1)
    await dewi.send("Lokasi di wilayah Kelurahan Belawan I.", chat=pu, reply_to=question)
    [done] = await pu.wait_for(1)
    assert "Dialihkan" in done.text
    old = pu.messages[1]
    assert "Siti Rahma" not in old.text and "disembunyikan" in old.text and not old.button_texts
    [new_ticket] = await k01.wait_for(1)
    assert "Dialihkan dari Seksi Pelayanan Umum: Lokasi di wilayah" in new_ticket.text
    assert "Siti Rahma" in new_ticket.text  # the unit handling a confidential report sees the name
    [notice] = await siti.wait_for(1)
    assert "dialihkan ke Kelurahan Belawan I" in notice.text
    # Dewi's unit no longer holds it.
    moved = await dewi.press(callback_data=f"desk:verify:{1}", chat=k01, forge=True)
    assert "ditangani Kelurahan Belawan I" in (await dewi.answer_to(moved))["text"]

    await putri.press("⛔ Tolak", chat=k01, message_id=new_ticket.message_id)
    [question] = await k01.wait_for(1)
    await putri.send("Sudah ditangani melalui musrenbang kelurahan.", chat=k01, reply_to=question)
    await k01.wait_for(1)
    [notice] = await siti.wait_for(1)
    assert "ditolak" in notice.text and "musrenbang" in notice.text
    complaint = await _wait_status(town, "ditolak")
    assert complaint.outcome == "ditolak"

    # Retention: the operator's purge removes personal data and keeps the statistics.
    code, out, err = await _sigap(town, tmp_path, "complaints", "purge", "--older-than", "0")
    assert code == 0, err
    assert "aduan (data pribadi pelapor): 1" in out
    [complaint] = await complaint_rows(town)
    assert complaint.reporter_telegram_id is None and complaint.reporter_name is None
    assert complaint.contact_phone is None and complaint.story == ""
    assert complaint.purged_at is not None
    assert await complaints.status_counts(town.db) == {("adminduk", "ditolak", "ditolak"): 1}
    assert all(e.note is None for e in await _events(town))
    await siti.send("/status")
    [none] = await siti.wait_for(1)
    assert "belum pernah mengirim aduan" in none.text


async def _sigap(
    office: Harness, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """The real ``sigap`` command on the harness's database, run from ``cwd``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env={
            **os.environ,
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "DATABASE_URL": office.settings.resolved_database_url,
            "SIGAP_DATA_DIR": str(office.settings.data_dir),
            "SIGAP_DEFAULT_LANGUAGE": "id",
            **(env or {}),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def _ticket_recorded(office: Harness) -> None:
    from models.tables import ComplaintMessage

    for _ in range(200):
        async with office.db.read() as session:
            found = await session.scalar(
                select(col(ComplaintMessage.id)).where(col(ComplaintMessage.kind) == "ticket")
            )
        if found is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no ticket recorded")


async def test_an_answer_delivered_twice_is_relayed_once(town: Harness) -> None:  # noqa: F811
    """Telegram delivers an update again when the bot died before acknowledging it (webhook
    mode): a staff answer, and a citizen's reply, are stored and relayed once; the second
    delivery is silent."""
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    siti = town.user(first_name="Siti")
    await file_complaint(siti)
    [ticket] = await desk.wait_for(1)
    await _ticket_recorded(town)  # the ticket is remembered just after it is posted
    sent = await dewi.send("Berkas Anda sudah kami terima.", chat=desk, reply_to=ticket)
    [relayed] = await desk.wait_for(1)
    assert "diteruskan ke pelapor" in relayed.text, relayed.text
    [answer] = await siti.wait_for(1)
    assert "Berkas Anda sudah kami terima." in answer.text
    before = (len(desk.messages), len(siti.messages))
    town.emulator.push_update("message", sent)  # the same message, delivered again
    await dewi.send("/bantuan")  # a later update in another chat, to know the first was handled
    await dewi.wait_for(1)
    await asyncio.sleep(0.1)
    assert (len(desk.messages), len(siti.messages)) == before
    # The citizen's reply, delivered twice, reaches the desk once.
    mine = await siti.send("Terima kasih, saya tunggu kabarnya.", reply_to=answer.raw)
    await siti.wait_for(1)
    [relayed] = await desk.wait_for(1)
    assert "saya tunggu kabarnya" in relayed.text
    before = (len(desk.messages), len(siti.messages))
    town.emulator.push_update("message", mine)
    await dewi.send("/bantuan")
    await dewi.wait_for(1)
    await asyncio.sleep(0.1)
    assert (len(desk.messages), len(siti.messages)) == before
    events = await _events(town)
    assert [e.action for e in events].count("staff_message") == 1
    assert [e.action for e in events].count("citizen_message") == 1


async def _stored_by_a_process_that_died(
    office: Harness, side: str, message: dict[str, Any], **kw: Any
) -> None:
    """What a process killed between storing a message and relaying it leaves behind."""
    [complaint] = await complaint_rows(office)
    await complaints.add_message(
        office.db,
        complaint.id,  # type: ignore[arg-type]
        side=side,
        text=message["text"],
        now=office.clock.now(),
        source=(message["chat"]["id"], message["message_id"]),
        **kw,
    )


async def test_a_message_stored_but_not_relayed_before_a_crash_is_relayed_after(
    town: Harness,  # noqa: F811
) -> None:
    """The process died after committing a message and before passing it on. When the update
    comes again (polling's inbox, or Telegram in webhook mode) it is relayed then, once."""
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    siti = town.user(first_name="Siti")
    await file_complaint(siti)
    [ticket] = await desk.wait_for(1)
    await _ticket_recorded(town)
    # Staff → citizen.
    await stop_bot(town.application)
    sent = await dewi.send("Petugas kami datang besok pagi.", chat=desk, reply_to=ticket)
    await _stored_by_a_process_that_died(town, "staff", sent, actor="tg:dewi")
    await start_again(town)
    [answer] = await siti.wait_for(1)
    assert "Petugas kami datang besok pagi." in answer.text
    [relayed] = await desk.wait_for(1)
    assert "diteruskan ke pelapor" in relayed.text
    # Citizen → desk.
    await stop_bot(town.application)
    mine = await siti.send("Baik, saya tunggu di rumah.", reply_to=answer.raw)
    [complaint] = await complaint_rows(town)
    await _stored_by_a_process_that_died(
        town, "citizen", mine, actor="citizen", reporter_telegram_id=siti.id
    )
    await start_again(town)
    [ack] = await siti.wait_for(1)
    assert complaint.tracking_number in ack.text
    [at_desk] = await desk.wait_for(1)
    assert "saya tunggu di rumah" in at_desk.text
    # Once each: the messages were stored once and nothing more arrives.
    await dewi.send("/bantuan")
    await dewi.wait_for(1)
    events = [e.action for e in await _events(town)]
    assert events.count("staff_message") == 1 and events.count("citizen_message") == 1
    assert sum("besok pagi" in (m.text or "") for m in siti.messages) == 1
    assert sum("tunggu di rumah" in (m.text or "") for m in desk.messages) == 1


async def test_a_message_that_replies_to_nothing_gets_the_hint_once(town: Harness) -> None:  # noqa: F811
    """Where the bot sees every message (privacy mode off, or an admin), a handler who types in
    the group without replying to a ticket learns once how to answer one."""
    desk = await install_desk(town)
    desk.privacy_mode = False
    dewi = await town.employee(DEWI, first_name="Dewi")
    await file_complaint(town.user(first_name="Siti"))
    [ticket] = await desk.wait_for(1)
    await dewi.send("Baik, lampunya sudah kami perbaiki tadi pagi", chat=desk)
    [hint] = await desk.wait_for(1)
    assert "Dewi" in hint.text and "balas (reply) pesan tiketnya" in hint.text
    await dewi.send("Halo, ada yang bisa bantu?", chat=desk)
    await dewi.send("/status", chat=desk)  # something the bot answers, to know it read both
    await desk.wait_for(1)
    await town.sender.run_until_idle()
    assert [m.text for m in desk.messages].count(hint.text) == 1
    [complaint] = await complaint_rows(town)
    assert complaint.status == "baru" and ticket.text
