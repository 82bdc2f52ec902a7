"""Complaint work counts as logged work: after verifying, answering or closing a ticket, the
handler finds a ready activity in their private chat, saves it with one tap on a duration, and
it counts like any other entry (the day view, the supervisor's digest figures). A repeated tap
saves once, also across a restart; forged and stale presses are answered; a handler who keeps
no work log gets no offer; the offer never names the reporter."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import col

from bot.polling import stop_bot
from domain.calendar import WorkCalendar
from domain.skp import TargetRow
from emulator import EmulatedUser
from emulator.messages import BotMessage
from models.complaints import save_offered_work
from models.digest import team_weeks
from models.outbox import OutboxMessage
from models.tables import Activity, ComplaintWorkOffer, Employee, SkpTarget
from models.targets import import_targets
from tests.e2e.harness import Harness, count, restart, start_again
from tests.e2e.test_complaints import (
    complaint_rows,
    file_complaint,
    install_desk,
    town,  # noqa: F401 (fixture)
)
from tests.e2e.test_desk import DEWI, NURHAYATI

RHK = "Terlaksananya penanganan pengaduan masyarakat"
INDICATOR = "Jumlah aduan yang ditindaklanjuti"


async def _mark_target(office: Harness, nip: str = DEWI) -> SkpTarget:
    """Dewi's SKP has a target for complaint handling (column "Aduan" = ya) and another one."""
    rows = [
        TargetRow(1, nip, 2026, "Terlaksananya pelayanan administrasi", "Jumlah surat", 300,
                  "surat", "utama"),
        TargetRow(2, nip, 2026, RHK, INDICATOR, 120, "aduan", "utama", complaint_work=True),
    ]  # fmt: skip
    result = await import_targets(
        office.db, rows, dry_run=False, actor="test", now=office.clock.now(), current_year=2026
    )
    assert result.saved, result.problems
    async with office.db.read() as session:
        return (
            await session.execute(select(SkpTarget).where(col(SkpTarget.complaint_work)))
        ).scalar_one()


async def _activities(office: Harness) -> list[Activity]:
    async with office.db.read() as session:
        return list((await session.execute(select(Activity).order_by(col(Activity.id)))).scalars())


async def _offers(office: Harness) -> list[ComplaintWorkOffer]:
    async with office.db.read() as session:
        stmt = select(ComplaintWorkOffer).order_by(col(ComplaintWorkOffer.id))
        return list((await session.execute(stmt)).scalars())


async def test_verified_answered_resolved_work_is_offered_and_saved_once(
    town: Harness,  # noqa: F811
) -> None:
    target = await _mark_target(town)
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    siti = town.user(first_name="Siti", last_name="Rahmawati", username="siti_blw")
    number = await file_complaint(siti)
    [ticket] = await desk.wait_for(1)

    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    [offer] = await dewi.wait_for(1)
    assert f"Menindaklanjuti aduan {number}: verifikasi aduan" in offer.text
    assert "Selasa, 24 November 2026" in offer.text and RHK in offer.text
    assert offer.button_texts == ["15 menit", "30 menit", "1 jam", "2 jam", "Lewati"]
    assert "Siti" not in offer.text and "siti_blw" not in offer.text

    await dewi.press("30 menit", message_id=offer.message_id)
    saved = await dewi.wait_for_edit()
    assert "Tersimpan" in saved.text and "30 menit" in saved.text and saved.button_texts == []
    assert "1 kegiatan, 30 menit" in saved.text
    [entry] = await _activities(town)
    assert entry.description == f"Menindaklanjuti aduan {number}: verifikasi aduan"
    assert (entry.minutes, entry.target_id, entry.source) == (30, target.id, "complaint")
    assert entry.status == "submitted" and entry.quantity is None  # counted when it is finished

    # A double tap (racing the edit) saves nothing more and confirms the same entry.
    again = await dewi.press(callback_data=f"cwk:s:{offer_id(offer)}:60", forge=True)
    assert "sudah tersimpan" in (await dewi.answer_to(again))["text"]
    assert len(await _activities(town)) == 1 and (await _activities(town))[0].minutes == 30

    # Answering the citizen is work too: offered once a day, however many answers.
    await dewi.send("Mohon kirim foto KTP lama Anda.", chat=desk, reply_to=ticket)
    await desk.wait_for(1)
    [answer_offer] = await dewi.wait_for(1)
    assert f"Menindaklanjuti aduan {number}: menjawab pelapor" in answer_offer.text
    await dewi.send("Terima kasih, sudah kami terima.", chat=desk, reply_to=ticket)
    await desk.wait_for(1)
    assert len(await _offers(town)) == 2
    await dewi.press("1 jam", message_id=answer_offer.message_id)
    await dewi.wait_for_edit()

    # Resolving finishes the unit's part: the entry counts one towards the target.
    await dewi.press("🏁 Selesai", chat=desk, message_id=ticket.message_id)
    [question] = await desk.wait_for(1)
    await dewi.send("KTP sudah dicetak, silakan ambil.", chat=desk, reply_to=question)
    await desk.wait_for(1)
    [resolve_offer] = await dewi.wait_for(1)
    assert "penyelesaian aduan" in resolve_offer.text
    await dewi.press("15 menit", message_id=resolve_offer.message_id)
    await dewi.wait_for_edit()
    entries = await _activities(town)
    assert [e.minutes for e in entries] == [30, 60, 15]
    assert entries[-1].quantity == 1 and entries[-1].output_unit == "aduan"

    # Counted like any other entry: the day view, and the supervisor's digest figures.
    await dewi.send("/hariini")
    [today] = await dewi.wait_for(1)
    assert f"Menindaklanjuti aduan {number}: verifikasi aduan" in today.text
    assert "3 kegiatan, 1 jam 45 menit" in today.text
    async with town.db.read() as session:
        dewi_row = (
            await session.execute(select(Employee).where(col(Employee.nip) == DEWI))
        ).scalar_one()
    assert dewi_row.supervisor_id is not None
    week = (town.clock.now().date() - timedelta(days=1), town.clock.now().date() + timedelta(4))
    [by_supervisor] = await team_weeks(town.db, WorkCalendar(), [week], [dewi_row.supervisor_id])
    [person] = [p for p in by_supervisor[dewi_row.supervisor_id] if p.employee_id == dewi_row.id]
    assert (person.entries, person.minutes) == (3, 105)
    # And they wait for her supervisor's approval like any other entry.
    nurhayati = await town.employee(NURHAYATI, first_name="Nur")
    await nurhayati.send("/persetujuan")
    [approvals] = await nurhayati.wait_for(1)
    assert "Dewi Kartika Sari, A.Md (3)" in approvals.button_texts


def offer_id(message: BotMessage) -> int:
    """The offer's id, from its first button (``cwk:s:<offer>:<minutes>``)."""
    markup = message.reply_markup
    assert markup is not None
    data = markup["inline_keyboard"][0][0]["callback_data"]
    return int(data.split(":")[2])


async def _verified(office: Harness) -> tuple[EmulatedUser, BotMessage]:
    """Dewi (with a target for complaint work) verified a new ticket: she and her offer."""
    await _mark_target(office)
    desk = await install_desk(office)
    dewi = await office.employee(DEWI, first_name="Dewi")
    await file_complaint(office.user(first_name="Siti"))
    [ticket] = await desk.wait_for(1)
    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    [offer] = await dewi.wait_for(1)
    return dewi, offer


async def test_a_tap_delivered_again_after_a_restart_saves_once(town: Harness) -> None:  # noqa: F811
    dewi, offer = await _verified(town)
    await dewi.press("2 jam", message_id=offer.message_id)
    await dewi.wait_for_edit()
    await restart(town)
    # The same press again (the update redelivered, or a tap on a client that missed the edit).
    again = await dewi.press("2 jam", message_id=offer.message_id, forge=True)
    assert "sudah tersimpan" in (await dewi.answer_to(again))["text"]
    # The confirmation is given again (here it already showed: Telegram says "not modified").
    confirmed = next(m for m in dewi.messages if m.message_id == offer.message_id)
    assert "Tersimpan" in confirmed.text and "2 jam" in confirmed.text
    assert [e.minutes for e in await _activities(town)] == [120]


async def test_a_save_whose_process_died_before_confirming_is_confirmed(
    town: Harness,  # noqa: F811
) -> None:
    dewi, offer = await _verified(town)
    # The tap's save committed, then the process died before the confirmation went out.
    await stop_bot(town.application)
    [saved] = await _offers(town)
    await save_offered_work(
        town.db,
        offer_id(offer),
        saved.employee_id,
        60,
        late=False,
        actor=f"tg:{dewi.id}",
        now=town.clock.now(),
    )
    await start_again(town)
    # The press again (delivered again, or tapped again on the unchanged offer): confirmed.
    press = await dewi.press("1 jam", message_id=offer.message_id)
    assert "sudah tersimpan" in (await dewi.answer_to(press))["text"]
    confirmed = await dewi.wait_for_edit()
    assert "Tersimpan" in confirmed.text and "1 jam" in confirmed.text
    assert confirmed.button_texts == []
    assert [e.minutes for e in await _activities(town)] == [60]


async def test_forged_and_stale_presses_are_answered(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    nurhayati = await town.employee(NURHAYATI, first_name="Nur")
    await file_complaint(town.user(first_name="Siti"))
    [ticket] = await desk.wait_for(1)
    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    [offer] = await dewi.wait_for(1)
    assert "Tanpa target SKP" in offer.text  # none marked for complaint handling
    mine = offer_id(offer)
    # Someone else's offer, a duration not offered, an offer that does not exist.
    for person, data in (
        (nurhayati, f"cwk:s:{mine}:30"),
        (dewi, f"cwk:s:{mine}:45"),
        (dewi, "cwk:s:999999:30"),
        (dewi, "cwk:zz"),
    ):
        press = await person.press(callback_data=data, forge=True)
        assert "tidak berlaku" in (await person.answer_to(press))["text"], data
    assert await _activities(town) == []
    # "Lewati" puts it away; a late tap on a duration then still saves (it is theirs).
    await dewi.press("Lewati", message_id=offer.message_id)
    skipped = await dewi.wait_for_edit()
    assert skipped.text.startswith("Tidak dicatat") and skipped.button_texts == []
    # Past the back-dating window the offer has lapsed: /lapor is the way.
    town.clock.advance(timedelta(days=5))
    late = await dewi.press(callback_data=f"cwk:s:{mine}:30", forge=True)
    await dewi.answer_to(late)
    lapsed = await dewi.wait_for_edit()
    assert "sudah lewat" in lapsed.text and "/lapor" in lapsed.text
    assert await _activities(town) == []


async def test_a_handler_who_keeps_no_work_log_gets_no_offer(town: Harness) -> None:  # noqa: F811
    async with town.db.write() as session:
        # A handler account that is not an employee of the roster's work log (no "pegawai").
        await session.execute(
            update(Employee).where(col(Employee.nip) == DEWI).values(roles="complaint_handler")
        )
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    await file_complaint(town.user(first_name="Siti"))
    [ticket] = await desk.wait_for(1)
    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    edited = await desk.wait_for_edit()  # the move (and any offer) committed before this edit
    assert "Terverifikasi" in edited.text
    [complaint] = await complaint_rows(town)
    assert complaint.status == "terverifikasi"
    assert await count(town.db, ComplaintWorkOffer) == 0
    async with town.db.read() as session:
        kinds = (await session.execute(select(col(OutboxMessage.kind)))).scalars().all()
    assert "work_offer" not in kinds
