"""The daily reminder through a simulated week: the right people, at the right times, once.

Week of 21–25 December 2026 in Belawan: 24 December is cuti bersama and 25 December is
Christmas. Three employees are linked: Agus logs on Monday, Putri is on leave on Tuesday,
Syahrul logs nothing all week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from models.outbox import OutboxMessage
from models.tables import Employee, Leave
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"
PUTRI = "199512042020122005"
SYAHRUL = "197605012002121003"
WIB = timedelta(hours=7)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - WIB


async def _tick(office, when: datetime) -> dict[str, int]:
    office.clock.set(when)
    written = await office.scheduler.tick()
    await office.scheduler.sender.run_until_idle()
    return written


def _reminders(person) -> list[str]:
    return [
        m.text
        for m in person.messages
        if ("belum" in m.text and "kegiatan hari ini" in m.text) or "Pengingat kedua" in m.text
    ]


async def test_a_week_of_reminders(office) -> None:
    office.clock.set(wib(21, 8))
    agus = await office.employee(AGUS, first_name="Agus")
    putri = await office.employee(PUTRI, first_name="Putri")
    syahrul = await office.employee(SYAHRUL, first_name="Syahrul")
    async with office.db.write() as session:
        putri_id = (
            await session.execute(select(col(Employee.id)).where(col(Employee.nip) == PUTRI))
        ).scalar_one()
        session.add(
            Leave(
                employee_id=putri_id, kind="cuti", start=date(2026, 12, 22), end=date(2026, 12, 22)
            )
        )

    # Monday: Agus logs in the morning; at 13:59 nobody is reminded, at 14:00 the other two.
    await agus.send("Rapat koordinasi 2 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    assert (await _tick(office, wib(21, 13, 59)))["reminders"] == 0
    assert (await _tick(office, wib(21, 14, 0)))["reminders"] == 2
    [first] = await putri.wait_for(1)
    assert "Putri Ayu Lestari" in first.text and "Senin, 21 Desember 2026" in first.text
    assert first.button_texts == ["📝 Lapor sekarang", "🔕 Jangan ingatkan lagi hari ini"]
    await syahrul.wait_for(1)
    assert _reminders(agus) == []
    # The same tick again writes nothing new: each reminder is sent once.
    assert (await _tick(office, wib(21, 14, 5)))["reminders"] == 0
    # Putri logs from the reminder's button; Syahrul gets the second one at 15:30.
    await putri.press("📝 Lapor sekarang")
    await putri.wait_for(1)
    await putri.send("Pelayanan surat pengantar")
    await putri.wait_for(1)
    await putri.send("4 surat")
    await putri.wait_for(1)
    await putri.press("1j")
    await putri.wait_for(1)
    await putri.press("Lewati")
    await putri.wait_for(1)
    await putri.press("✅ Simpan")
    await wait_for_saved(putri)
    assert (await _tick(office, wib(21, 15, 30)))["reminders"] == 1
    [second] = await syahrul.wait_for(1)
    assert "Pengingat kedua" in second.text
    assert len(_reminders(putri)) == 1

    # Tuesday: Putri is on leave; Syahrul snoozes after the first reminder.
    await _tick(office, wib(22, 14, 0))
    [reminder] = await syahrul.wait_for(1)
    assert "Selasa, 22 Desember 2026" in reminder.text
    await syahrul.press("🔕 Jangan ingatkan lagi hari ini")
    await syahrul.wait_for(1)
    await _tick(office, wib(22, 15, 30))
    assert [m.text for m in putri.messages if "22 Desember" in m.text] == []
    assert sum("22 Desember" in t for t in _reminders(syahrul)) == 1
    assert sum("22 Desember" in t for t in _reminders(agus)) == 2  # no log, no snooze: both

    # Wednesday: the bot was down from 13:00 to 16:10; only the latest reminder goes out.
    await _tick(office, wib(23, 16, 10))
    wednesday = [t for t in _reminders(syahrul) if "23 Desember" in t]
    assert len(wednesday) == 1 and "Pengingat kedua" in wednesday[0]
    # ... and nothing after the quiet hour.
    assert (await _tick(office, wib(23, 20, 30)))["reminders"] == 0

    # Thursday (cuti bersama) and Friday (Christmas): nobody is reminded.
    for day in (24, 25):
        assert (await _tick(office, wib(day, 14, 0)))["reminders"] == 0
        assert (await _tick(office, wib(day, 15, 30)))["reminders"] == 0

    async with office.db.read() as session:
        keys = (
            (
                await session.execute(
                    select(col(OutboxMessage.key)).where(col(OutboxMessage.kind) == "reminder")
                )
            )
            .scalars()
            .all()
        )
    assert len(keys) == len(set(keys))
    assert all(k.split(":")[2] < "2026-12-24" for k in keys)


async def test_own_reminder_time(office) -> None:
    office.clock.set(wib(21, 8))
    syahrul = await office.employee(SYAHRUL)
    await syahrul.send("/pengingat")
    [menu] = await syahrul.wait_for(1)
    assert "14:00, 15:30" in menu.text
    await syahrul.press("13:00")
    [done] = await syahrul.wait_for(1)
    assert "13:00" in done.text
    assert (await _tick(office, wib(21, 12, 59)))["reminders"] == 0
    assert (await _tick(office, wib(21, 13, 0)))["reminders"] == 1
    assert (await _tick(office, wib(21, 14, 30)))["reminders"] == 1  # 90 minutes later
    assert (await _tick(office, wib(21, 15, 30)))["reminders"] == 0


async def test_units_have_their_own_reminder_times_and_time_zones(office) -> None:
    """Kelurahan Belawan I (Putri, Syahrul) is moved, for the test, to Jayapura time (WIT,
    UTC+9, two hours ahead of Belawan) with reminders at 13:00 and 14:30 local; the kecamatan
    secretariat (Agus) keeps 14:00 and 15:30 WIB."""
    from models.schedule import set_unit_schedule

    office.clock.set(wib(21, 8))
    agus = await office.employee(AGUS, first_name="Agus")
    putri = await office.employee(PUTRI, first_name="Putri")
    await set_unit_schedule(
        office.db, "BLW-K01", now=office.clock.now(), actor="test",
        reminder_times="13:00,14:30", timezone="Asia/Jayapura",
    )  # fmt: skip
    # 10:59 WIB = 12:59 WIT: nobody. 11:00 WIB = 13:00 WIT: the kelurahan (Putri and Syahrul,
    # who is not linked, so only Putri).
    assert (await _tick(office, wib(21, 10, 59)))["reminders"] == 0
    assert (await _tick(office, wib(21, 11, 0)))["reminders"] == 1
    [first] = await putri.wait_for(1)
    assert "Senin, 21 Desember 2026" in first.text
    assert _reminders(agus) == []
    # 12:30 WIB = 14:30 WIT: Putri's second; Agus still nothing until 14:00 WIB.
    assert (await _tick(office, wib(21, 12, 30)))["reminders"] == 1
    await putri.wait_for(1)
    assert "Pengingat kedua" in _reminders(putri)[-1]
    assert (await _tick(office, wib(21, 13, 59)))["reminders"] == 0
    assert (await _tick(office, wib(21, 14, 0)))["reminders"] == 1
    await agus.wait_for(1)
    assert len(_reminders(agus)) == 1 and len(_reminders(putri)) == 2
    # New times the same day do not repeat a reminder already sent (keys are per number), and
    # quiet hours are the unit's own evening: 18:30 WIB is 20:30 in Jayapura.
    await set_unit_schedule(
        office.db, "BLW-K01", now=office.clock.now(), actor="test", reminder_times="18:00,20:30"
    )
    assert (await _tick(office, wib(21, 16, 0)))["reminders"] == 1  # Agus's second (15:30 WIB)
    assert len(_reminders(putri)) == 2  # 18:00 WIT is Putri's first again: already sent
    assert (await _tick(office, wib(21, 18, 30)))["reminders"] == 0  # 20:30 WIT: quiet
    await agus.wait_for(1)
    assert len(_reminders(agus)) == 2 and len(_reminders(putri)) == 2


def _last_reminder(person):
    return [m for m in person.messages if "📝 Lapor sekarang" in m.button_texts][-1]


async def test_reminder_buttons_act_on_their_own_day(office) -> None:
    """Monday's "not today" pressed on Tuesday does not silence Tuesday; "log now" on an old
    reminder logs for the reminder's day; a used reminder shows the choice and loses its
    buttons."""
    office.clock.set(wib(21, 8))
    syahrul = await office.employee(SYAHRUL, first_name="Syahrul")
    await _tick(office, wib(21, 14, 0))
    monday = _last_reminder(syahrul)
    assert "Senin, 21 Desember 2026" in monday.text

    office.clock.set(wib(22, 9))
    await syahrul.wait_for(1)
    await syahrul.press("🔕 Jangan ingatkan lagi hari ini", message_id=monday.message_id)
    [answer] = await syahrul.wait_for(1)
    assert "Senin, 21 Desember 2026" in answer.text and "sudah lewat" in answer.text
    assert "tidak ada pengingat lagi hari ini" not in answer.text
    settled = next(m for m in syahrul.messages if m.message_id == monday.message_id)
    assert settled.button_texts == []
    # Tuesday is still reminded.
    await _tick(office, wib(22, 14, 0))
    tuesday = _last_reminder(syahrul)
    assert "Selasa, 22 Desember 2026" in tuesday.text

    # "Log now" on Monday's reminder, pressed on Tuesday, asks about Monday.
    await syahrul.press("📝 Lapor sekarang", message_id=monday.message_id, forge=True)
    [ask] = await syahrul.wait_for(1)
    assert "Senin, 21 Desember 2026" in ask.text

    # Tuesday's own "not today" works, and its message shows the choice without buttons.
    await syahrul.press("🔕 Jangan ingatkan lagi hari ini", message_id=tuesday.message_id)
    [snoozed] = await syahrul.wait_for(1)
    assert "tidak ada pengingat lagi hari ini" in snoozed.text
    settled = next(m for m in syahrul.messages if m.message_id == tuesday.message_id)
    assert settled.button_texts == []
    assert "✔️ 🔕 Jangan ingatkan lagi hari ini" in settled.text
    assert (await _tick(office, wib(22, 15, 30)))["reminders"] == 0
