"""A supervisor's decision in two trips (``models.decisions``): what the button read may be
stale by the time the decision is written, and the decision's own statement must catch it (the
roster changed, or someone else decided first), writing nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import col

from domain.access import Actor
from domain.approvals import Decision
from domain.roster import read_roster
from models import approvals, decisions
from models.db import Database
from models.outbox import OutboxMessage, text_payload
from models.roster import import_roster
from models.tables import Activity, ActivityHistory, AuditEntry, Employee
from models.types import stored_id, utcnow
from tests.conftest import EXAMPLES

SEKCAM = "197203181998032004"
KASUBBAG = "198407222009012003"
STAFF = "197508121999031007"


async def _office(db: Database) -> tuple[dict[str, int], int]:
    """The sample roster and one waiting entry of the staff member (reports to the kasubbag)."""
    await import_roster(
        db, read_roster(EXAMPLES / "roster_belawan.csv"), dry_run=False, actor="t", now=utcnow()
    )
    async with db.write() as session:
        ids = {e.nip: stored_id(e.id) for e in (await session.scalars(select(Employee))).all()}
        entry = Activity(
            employee_id=ids[STAFF], work_date=date(2026, 11, 23), description="Arsip", minutes=60
        )
        session.add(entry)
        await session.flush()
        return ids, stored_id(entry.id)


def _supervisor(employee_id: int) -> Actor:
    return Actor(
        telegram_id=9, language="id", employee_id=employee_id, roles=frozenset({"supervisor"})
    )


async def _written(db: Database) -> tuple[int, int, int]:
    """History rows, audit entries and outbox rows of a review."""
    async with db.read() as session:
        history = await session.scalar(
            select(func.count()).where(col(ActivityHistory.action) == "reviewed")
        )
        audit = await session.scalar(
            select(func.count()).where(col(AuditEntry.action) == "activity.review")
        )
        notices = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return int(history or 0), int(audit or 0), int(notices or 0)


async def _decide(db: Database, actor: Actor, activity_id: int, seen: decisions.Pressed) -> Any:
    return await decisions.decide(
        db,
        actor,
        activity_id,
        Decision.APPROVED,
        None,
        now=utcnow(),
        indirect=False,
        notify=lambda _activity, _language: text_payload("ok"),
        seen=seen,
    )


async def test_a_report_moved_away_after_the_press_is_not_decided(db: Database) -> None:
    ids, entry = await _office(db)
    kasubbag = _supervisor(ids[KASUBBAG])
    seen = await decisions.pressed(db, kasubbag, entry, indirect=False)
    assert seen is not None and seen.in_reach and seen.day_waiting == [entry]
    async with db.write() as session:  # the roster changes between the press and the decision
        await session.execute(
            update(Employee).where(col(Employee.id) == ids[STAFF]).values(supervisor_id=ids[SEKCAM])
        )
    try:
        await _decide(db, kasubbag, entry, seen)
    except approvals.NotInReach:
        pass
    else:
        raise AssertionError("decided for someone no longer in reach")
    async with db.read() as session:
        assert (await session.get(Activity, entry)).status == "submitted"  # type: ignore[union-attr]
    assert await _written(db) == (0, 0, 0)


async def test_an_entry_decided_meanwhile_is_decided_once(db: Database) -> None:
    ids, entry = await _office(db)
    kasubbag = _supervisor(ids[KASUBBAG])
    seen = await decisions.pressed(db, kasubbag, entry, indirect=False)
    assert seen is not None
    first = await _decide(db, kasubbag, entry, seen)
    assert first.activity.status == "approved" and first.waiting == []
    assert first.name  # the day's view, read in the decision's transaction
    try:
        await _decide(db, kasubbag, entry, seen)  # the same stale read: a double tap
    except approvals.AlreadyDecided as exc:
        assert exc.status == "approved"
    else:
        raise AssertionError("decided twice")
    # One history row and one audit entry; no notice (the staff member has no Telegram).
    assert await _written(db) == (1, 1, 0)
