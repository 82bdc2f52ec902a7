"""Routines ("Ulangi", "Salin kemarin") under /lapor and the reminder, and what a five-activity
day costs the person in each way of logging it (issue 17 item 5)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from models.activities import ActivityDraft, save_and_count
from models.tables import Activity, Employee
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"
SUSANTI = "199203032019032012"
RIZKY = "199603052020121003"
TODAY = date(2026, 11, 24)  # the harness's Tuesday
EARLIER = (date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 23))  # Thu, Fri, Mon
FIVE = (
    ("Apel pagi", None, None, 30),
    ("Rapat koordinasi", None, None, 120),
    ("Input SIAK", 40, "berkas", 180),
    ("Pelayanan KTP", 12, "warga", 60),
    ("Menyusun notulen rapat", 1, "notulen", 60),
)
REMINDER_TIME = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 14:00 WIB


async def _seed(office, nip: str, entries: tuple[Any, ...], days: tuple[date, ...]) -> None:
    async with office.db.read() as session:
        employee_id = (
            await session.execute(select(col(Employee.id)).where(col(Employee.nip) == nip))
        ).scalar_one()
    for day in days:
        for description, quantity, unit, minutes in entries:
            draft = ActivityDraft(day, description, minutes, quantity or 1, unit or "kegiatan")
            await save_and_count(
                office.db, employee_id, draft, source="quick", actor="test", now=office.clock.now()
            )


async def _today(office, nip: str) -> list[Activity]:
    async with office.db.read() as session:
        stmt = (
            select(Activity)
            .join(Employee, col(Employee.id) == col(Activity.employee_id))
            .where(col(Employee.nip) == nip, col(Activity.work_date) == TODAY)
            .order_by(col(Activity.id))
        )
        return list((await session.execute(stmt)).scalars())


async def test_lapor_offers_routines_one_tap_each(office) -> None:
    agus = await office.employee(AGUS)
    await _seed(office, AGUS, FIVE[:2], EARLIER)
    await _seed(office, AGUS, (("Rapat evaluasi", None, None, 60),), EARLIER[:2])  # 2 days only
    await agus.send("/lapor")
    _, offer = await agus.wait_for(2)
    assert offer.button_texts == [
        "🔁 Apel pagi · 30 menit",
        "🔁 Rapat koordinasi · 2 jam",
        "🔁 Semua rutin (2)",
        "📋 Salin kemarin",
    ]
    [[(_, repeat_data)], *_] = offer.buttons
    assert await _today(office, AGUS) == []  # nothing saved without a tap
    await agus.press("🔁 Apel pagi · 30 menit")
    [saved] = await agus.wait_for(1)
    assert (
        "Tersimpan: Apel pagi, 30 menit" in saved.text
        and "1 kegiatan, total 30 menit" in saved.text
    )
    edited = await agus.wait_for_edit()
    assert "🔁 Apel pagi · 30 menit" not in edited.button_texts  # the others stay to tap
    # A second press of the same routine (a double tap racing the edit) adds nothing.
    await agus.press(callback_data=repeat_data, message_id=offer.message_id, forge=True)
    [again] = await agus.wait_for(1)
    assert "1 kegiatan, total 30 menit" in again.text
    [entry] = await _today(office, AGUS)
    assert (entry.description, entry.minutes, entry.source) == ("Apel pagi", 30, "repeat")


async def test_the_reminder_offers_yesterday_and_routines(office) -> None:
    agus = await office.employee(AGUS)
    await _seed(office, AGUS, FIVE[:3], EARLIER)
    office.clock.set(REMINDER_TIME)
    await office.scheduler.tick()
    await office.scheduler.sender.run_until_idle()
    [reminder] = await agus.wait_for(1)
    assert "🔁 Input SIAK · 3 jam" in reminder.button_texts
    assert "📋 Salin kemarin" in reminder.button_texts
    await agus.press("📋 Salin kemarin")
    [summary] = await agus.wait_for(1)
    assert "3 kegiatan untuk Selasa, 24 November 2026" in summary.text
    assert "3. Input SIAK — 40 berkas · 3 jam" in summary.text
    assert await _today(office, AGUS) == []  # copied into a summary, not saved
    await agus.press("✅ Simpan semua")
    saved = await wait_for_saved(agus)
    assert "Tersimpan 3 kegiatan" in saved.text
    assert [a.source for a in await _today(office, AGUS)] == ["copy"] * 3


class Counted:
    """A person whose actions are counted: every message sent and every button pressed."""

    def __init__(self, person: Any) -> None:
        self.person = person
        self.actions = 0

    async def send(self, text: str) -> None:
        self.actions += 1
        await self.person.send(text)

    async def press(self, label: str) -> None:
        self.actions += 1
        await self.person.press(label)

    async def wait_for(self, count: int = 1) -> Any:
        return await self.person.wait_for(count)


def _typed(entry: tuple[Any, ...]) -> str:
    description, quantity, unit, minutes = entry
    words = description.split(maxsplit=1)
    if quantity and quantity > 1:
        words.insert(1, f"{quantity} {unit}")
    hours, rest = divmod(minutes, 60)
    return " ".join(words) + (f" {hours} jam" if hours else "") + (f" {rest} menit" if rest else "")


async def test_actions_for_a_five_activity_day(office) -> None:
    """Measured: one by one costs ten actions; a list, or the routines, two."""
    one_by_one = Counted(await office.employee(AGUS))
    for entry in FIVE:
        await one_by_one.send(_typed(entry))
        await one_by_one.wait_for(1)
        await one_by_one.press("✅ Simpan")
        await wait_for_saved(one_by_one.person)

    as_list = Counted(await office.employee(SUSANTI))
    await as_list.send("\n".join(f"{n}. {_typed(e)}" for n, e in enumerate(FIVE, start=1)))
    await as_list.wait_for(1)
    await as_list.press("✅ Simpan semua")
    await wait_for_saved(as_list.person)

    routines = Counted(await office.employee(RIZKY))
    await _seed(office, RIZKY, FIVE, EARLIER)
    office.clock.set(REMINDER_TIME)
    await office.scheduler.tick()
    await office.scheduler.sender.run_until_idle()
    await routines.wait_for(1)  # the reminder: nothing typed
    await routines.press("🔁 Semua rutin (5)")
    await routines.wait_for(1)
    await routines.press("✅ Simpan semua")
    await wait_for_saved(routines.person)

    for nip in (AGUS, SUSANTI, RIZKY):
        entries = await _today(office, nip)
        assert len(entries) == 5 and sum(a.minutes for a in entries) == 450, nip
    assert (one_by_one.actions, as_list.actions, routines.actions) == (10, 2, 2)
