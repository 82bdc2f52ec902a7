"""The quick log's save in one trip (``models.activities.save_and_count``), on both databases:
the flow ended as the trip's guard, so a second Save writes nothing; the entry, its evidence,
history, receipt and confirmation message written together."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from domain.roster import read_roster
from models import conversation
from models.activities import ActivityDraft, AlreadySaved, EvidenceDraft, save_and_count
from models.daylog import saved_by
from models.db import Database
from models.roster import import_roster
from models.tables import Activity, ActivityEvidence, ActivityHistory, Employee
from models.types import utcnow
from tests.conftest import EXAMPLES

AGUS = "197508121999031007"
TODAY = date(2026, 11, 24)


async def _agus(db: Database) -> int:
    await import_roster(
        db, read_roster(EXAMPLES / "roster_belawan.csv"), dry_run=False, actor="t", now=utcnow()
    )
    async with db.read() as session:
        found = await session.execute(select(col(Employee.id)).where(col(Employee.nip) == AGUS))
        employee_id = found.scalar_one()
    assert employee_id is not None
    return employee_id


async def _count(db: Database, table: type) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_save_ends_its_flow_once_and_writes_everything_together(db: Database) -> None:
    agus, now = await _agus(db), utcnow()
    started = await conversation.begin(db, 7, 7, "log", "summary", {"x": 1}, 10, now)
    end = conversation.FlowEnd(7, 7, started.version, 11, {"description": "Rapat"}, "log", "f:1")
    photo = EvidenceDraft("photo", "file-1", "unique-1", "a.jpg", "image/jpeg", 10, None)
    draft = ActivityDraft(TODAY, "Rapat", 60, 1, "kegiatan", evidence=[photo])
    saved, totals = await save_and_count(
        db, agus, draft, source="quick", actor="t", now=now, conversation=end, confirmation=(7, 99)
    )
    assert saved.id is not None and saved.description == "Rapat" and saved.minutes == 60
    assert totals == (1, 60)
    assert await conversation.load(db, 7, 7) is None
    receipt = await conversation.receipt_for(db, 7, 7, 11)
    assert receipt is not None and receipt.data == {"description": "Rapat"}
    assert await saved_by(db, 7, 99) == {1: saved.id}
    async with db.read() as session:
        evidence = (await session.execute(select(ActivityEvidence))).scalars().all()
        history = (await session.execute(select(ActivityHistory))).scalars().all()
    assert [(e.activity_id, e.file_unique_id) for e in evidence] == [(saved.id, "unique-1")]
    assert [(h.activity_id, h.action) for h in history] == [(saved.id, "created")]

    # The same Save again (a double tap): the flow has ended, nothing more is written.
    with pytest.raises(AlreadySaved):
        await save_and_count(db, agus, draft, source="quick", actor="t", now=now, conversation=end)
    assert await _count(db, Activity) == 1
    assert await _count(db, ActivityEvidence) == 1
    assert await _count(db, ActivityHistory) == 1
