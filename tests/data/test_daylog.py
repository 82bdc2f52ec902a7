"""Logging a day at a time, on both databases: all lines or none, routines, repeats."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from domain.roster import read_roster
from models import conversation, daylog
from models.activities import ActivityDraft, AlreadySaved, save_and_count
from models.db import Database
from models.roster import import_roster
from models.tables import Activity, Employee
from models.types import utcnow
from tests.conftest import EXAMPLES

AGUS = "197508121999031007"
SUSANTI = "199203032019032012"
TODAY = date(2026, 11, 24)
DAYS = [TODAY - timedelta(days=n) for n in (1, 4, 5, 6, 7, 8, 11, 12, 13, 14)]  # working days


async def _employees(db: Database) -> dict[str, int]:
    await import_roster(
        db, read_roster(EXAMPLES / "roster_belawan.csv"), dry_run=False, actor="t", now=utcnow()
    )
    async with db.read() as session:
        rows = await session.execute(select(col(Employee.nip), col(Employee.id)))
        return {nip: int(employee_id) for nip, employee_id in rows.all() if employee_id}


async def _log(db: Database, employee_id: int, day: date, text: str, minutes: int) -> int:
    draft = ActivityDraft(day, text, minutes, 1, "kegiatan")
    saved, _ = await save_and_count(db, employee_id, draft, source="quick", actor="t", now=utcnow())
    assert saved.id is not None
    return saved.id


async def _count(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(Activity))).scalar_one())


async def test_a_day_is_saved_whole_or_not_at_all(db: Database) -> None:
    agus = (await _employees(db))[AGUS]
    now = utcnow()
    started = await conversation.begin(db, 1, 1, "day", "summary", {"lines": []}, 10, now)
    drafts = [ActivityDraft(TODAY, f"Kegiatan {n}", 30) for n in range(5)]
    ids, moved = await daylog.save_day(
        db, agus, drafts, source="list", actor="t", now=now, conversation=started,
        update_id=11, then=("saved", {"lines": []}), numbers=[1, 2, 3, 4, 5],
    )  # fmt: skip
    assert len(ids) == 5 and await _count(db) == 5
    assert moved.step == "saved" and moved.data["just_saved"] == [
        [n, i] for n, i in zip([1, 2, 3, 4, 5], ids, strict=True)
    ]
    # The same press again (a double tap, a second process) holds the old version: nothing.
    with pytest.raises(AlreadySaved):
        await daylog.save_day(
            db, agus, drafts, source="list", actor="t", now=now, conversation=started,
            update_id=12, then=("saved", {"lines": []}), numbers=[1, 2, 3, 4, 5],
        )  # fmt: skip
    assert await _count(db) == 5


async def test_routines_are_three_of_the_last_ten_days_with_the_latest_duration(
    db: Database,
) -> None:
    people = await _employees(db)
    agus, susanti = people[AGUS], people[SUSANTI]
    for day, minutes in zip(DAYS[:3][::-1], (20, 25, 30), strict=True):  # oldest first
        await _log(db, agus, day, "Apel pagi" if minutes != 25 else "apel  PAGI", minutes)
    for day in DAYS[:2]:
        await _log(db, agus, day, "Rapat koordinasi", 120)  # two days: not a routine
    for day in DAYS[7:]:
        await _log(db, susanti, day, "Rekap kas", 60)
    await _log(db, susanti, TODAY - timedelta(days=30), "Rekap kas", 60)  # outside the ten
    found = await daylog.routines(db, [agus, susanti], DAYS)
    [apel] = found[agus]
    assert (apel.description, apel.minutes, apel.days) == ("Apel pagi", 30, 3)
    assert [r.days for r in found[susanti]] == [3]
    assert await daylog.logged_on(db, [agus, susanti], DAYS[0]) == {agus}


async def test_a_repeat_is_saved_once_a_day_and_only_from_ones_own(db: Database) -> None:
    people = await _employees(db)
    agus, susanti = people[AGUS], people[SUSANTI]
    source = await _log(db, agus, DAYS[0], "Apel pagi", 30)
    first, created = await daylog.repeat_activity(
        db, agus, source, TODAY, late=False, actor="t", now=utcnow()
    )
    again, created_again = await daylog.repeat_activity(
        db, agus, source, TODAY, late=False, actor="t", now=utcnow()
    )
    assert created and not created_again and first.id == again.id
    assert (first.work_date, first.minutes, first.source) == (TODAY, 30, "repeat")
    with pytest.raises(LookupError):
        await daylog.repeat_activity(
            db, susanti, source, TODAY, late=False, actor="t", now=utcnow()
        )
    assert await _count(db) == 2
