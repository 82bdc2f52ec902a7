"""/libur (the office's own days off, with the national ones for context) and per-unit reminder
and digest times, from the admin's desk. Today is Tuesday 24 November 2026."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models.activities import work_calendar
from models.schedule import UnitSchedule
from models.tables import AuditEntry, Employee, Unit

FITRIANI = "198407222009012003"
AGUS = "197508121999031007"
BENNY = "197802042005011006"


async def test_office_days_off(office) -> None:  # type: ignore[no-untyped-def]
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    await fitri.send("/libur")
    [view] = await fitri.wait_for(1)
    assert "Libur nasional dan cuti bersama" in view.text
    assert "Jumat, 25 Desember 2026" in view.text  # Natal, for context
    assert "Keputusan kantor\ntidak ada" in view.text
    await fitri.press("➕ Tambah libur kantor")
    await fitri.wait_for(1)
    await fitri.send("1/12/2026")
    [ask] = await fitri.wait_for(1)
    assert "Selasa, 1 Desember 2026" in ask.text
    await fitri.send("Syukuran <HUT> Kecamatan")
    added, shown = await fitri.wait_for(2)
    assert "Syukuran <HUT> Kecamatan" in added.text  # HTML characters shown as typed
    assert "Selasa, 1 Desember 2026 — Syukuran <HUT> Kecamatan (libur kantor)" in shown.text
    assert not (await work_calendar(office.db)).is_working_day(date(2026, 12, 1))
    await fitri.press("➖ 01/12/2026")
    [removed] = await fitri.wait_for(1)
    assert "kalender nasional berlaku" in removed.text
    assert (await work_calendar(office.db)).is_working_day(date(2026, 12, 1))
    async with office.db.read() as session:
        actions = (
            (
                await session.execute(
                    select(AuditEntry.action).where(AuditEntry.actor == f"tg:{fitri.id}")
                )
            )
            .scalars()
            .all()
        )
    assert {"calendar.set", "calendar.remove"} <= set(actions)

    agus = await office.employee(AGUS, first_name="Agus")
    await agus.send("/libur")
    [denied] = await agus.wait_for(1)
    assert "Libur nasional" not in denied.text


async def test_unit_schedules_within_reach(office) -> None:  # type: ignore[no-untyped-def]
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    await fitri.send("/admin")
    await fitri.wait_for(1)
    await fitri.press("⏰ Jadwal unit")
    [view] = await fitri.wait_for(1)
    assert "BLW-SEK" in view.text and "BLW-K06" in view.text
    await fitri.press("⏰ BLW-SEK")
    [ask] = await fitri.wait_for(1)
    assert "(bawaan)" in ask.text
    await fitri.send("13.30, 15:00")
    [saved] = await fitri.wait_for(1)
    assert "pengingat 13:30,15:00" in saved.text
    await fitri.send("/admin")
    await fitri.wait_for(1)
    await fitri.press("⏰ Jadwal unit")
    await fitri.wait_for(1)
    await fitri.press("⏰ BLW-SEK")
    await fitri.wait_for(1)
    await fitri.press("Ringkasan Jumat sore")
    [saved] = await fitri.wait_for(1)
    assert "Jumat sore" in saved.text
    async with office.db.read() as session:
        sek = (await session.execute(select(Unit).where(Unit.code == "BLW-SEK"))).scalar_one()
        schedule = await session.get(UnitSchedule, sek.id)
        benny = (await session.execute(select(Employee).where(Employee.nip == BENNY))).scalar_one()
    assert schedule is not None
    assert (schedule.reminder_times, schedule.digest_mode) == ("13:30,15:00", "friday")

    # A unit admin sees and changes their own unit only.
    async with office.db.write() as session:
        row = await session.get(Employee, benny.id)
        assert row is not None
        row.roles = "employee,supervisor,unit_admin"
    user = await office.employee(BENNY, first_name="Benny")
    await user.send("/admin")
    await user.wait_for(1)
    await user.press("⏰ Jadwal unit")
    [mine] = await user.wait_for(1)
    assert mine.button_texts == ["⏰ BLW-PEM"]
    query = await user.press(callback_data=f"adm:unit:{sek.id}", forge=True)
    assert (await user.answer_to(query)).get("show_alert")
