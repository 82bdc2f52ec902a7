"""Guards for rules that a deliberate one-line bug once slipped past the suite: a leave of
several days, entries that were deleted, and what counts for a day (issue 18, item 7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from domain.access import Actor
from domain.calendar import WorkCalendar
from domain.digest import totals
from domain.roster import read_roster
from models import activities, approvals
from models.activities import ActivityDraft
from models.db import Database
from models.digest import team_weeks
from models.identity import fetch_identity, issue_invites, redeem_invite
from models.outbox import text_payload
from models.reminders import candidates
from models.roster import import_roster
from models.tables import Activity, Employee
from models.types import utcnow
from tests.conftest import EXAMPLES

STAFF = "197508121999031007"
KASUBBAG = "198407222009012003"
ZONE = "Asia/Jakarta"
MONDAY = date(2026, 11, 23)


async def _office(db: Database) -> dict[str, int]:
    """The sample roster, with the staff member and their supervisor linked to Telegram."""
    await import_roster(
        db, read_roster(EXAMPLES / "roster_belawan.csv"), dry_run=False, actor="t", now=utcnow()
    )
    for telegram_id, nip in ((501, STAFF), (502, KASUBBAG)):
        [invite] = await issue_invites(db, now=utcnow(), ttl=timedelta(days=1), actor="t", nip=nip)
        await redeem_invite(
            db, invite.token, telegram_id=telegram_id, first_name="x", username=None, now=utcnow()
        )
    async with db.read() as session:
        return {e.nip: e.id for e in (await session.scalars(select(Employee))).all() if e.id}


async def _reminded(db: Database, employee_id: int, day: date) -> bool:
    return employee_id in {c.employee_id for c in await candidates(db, ZONE, day)}


async def test_a_leave_of_several_days_spares_every_day_of_it(db: Database) -> None:
    ids = await _office(db)
    staff = ids[STAFF]
    # Monday to Wednesday: the first, the middle and the last day are all spared.
    await activities.add_leave(
        db, staff, "sakit", MONDAY, MONDAY + timedelta(days=2), None, actor="t", now=utcnow()
    )
    assert await _reminded(db, staff, MONDAY - timedelta(days=3))  # the Friday before
    for offset in range(3):
        assert not await _reminded(db, staff, MONDAY + timedelta(days=offset)), offset
    assert await _reminded(db, staff, MONDAY + timedelta(days=3))  # Thursday: back at work
    team = [staff]
    assert await approvals.leave_kinds_on(db, team, MONDAY + timedelta(days=1)) == {staff: "sakit"}
    assert await approvals.leave_kinds_on(db, team, MONDAY + timedelta(days=2)) == {staff: "sakit"}
    assert await approvals.leave_kinds_on(db, team, MONDAY + timedelta(days=3)) == {}


async def test_a_deleted_entry_no_longer_counts_as_logged(db: Database) -> None:
    ids = await _office(db)
    staff = ids[STAFF]
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    entry, _ = await activities.save_and_count(
        db, staff, ActivityDraft(MONDAY, "Rapat koordinasi", 60), source="t", actor="t", now=now
    )
    assert not await _reminded(db, staff, MONDAY)
    assert await approvals.logged_on(db, [staff], MONDAY) == {staff: (1, 60)}
    assert entry.id is not None
    await activities.delete_activity(db, entry.id, actor="t", now=now, expected_employee_id=staff)

    # Silent again: the reminder, /tim and the supervisor's nudge all see it so.
    assert await _reminded(db, staff, MONDAY)
    assert await approvals.logged_on(db, [staff], MONDAY) == {}
    assert await activities.minutes_on(db, staff, MONDAY) == (0, 0)
    identity = await fetch_identity(db, 502)
    supervisor = Actor(
        telegram_id=502,
        language="id",
        employee_id=identity.employee_id,
        unit_id=identity.unit_id,
        roles=identity.roles,
    )
    outcome = await approvals.nudge(
        db, supervisor, staff, MONDAY, now=now, indirect=False, notify=lambda _: text_payload("x")
    )
    assert outcome is approvals.NudgeOutcome.SENT


async def test_digest_totals_with_weekend_work_and_a_rejected_late_entry(db: Database) -> None:
    """The week of 16–22 November 2026 of one report: Monday approved 60 min, Tuesday a late
    entry rejected (45 min), Wednesday a late entry waiting (30 min), Thursday and Friday 30 min
    each, Saturday 120 min and Sunday 15 min approved. The rejected entry counts for nothing (not
    its minutes, day or lateness); the weekend counts as logged work, but does not make up for
    the Tuesday in the team's "days logged of days expected"."""
    ids = await _office(db)
    staff, supervisor = ids[STAFF], ids[KASUBBAG]
    week = (date(2026, 11, 16), date(2026, 11, 22))
    entries = [
        (0, "approved", 60, False),
        (1, "rejected", 45, True),
        (2, "submitted", 30, True),
        (3, "approved", 30, False),
        (4, "approved", 30, False),
        (5, "approved", 120, False),
        (6, "approved", 15, False),
    ]
    async with db.write() as session:
        for offset, status, minutes, late in entries:
            session.add(
                Activity(
                    employee_id=staff,
                    work_date=week[0] + timedelta(days=offset),
                    description=f"Kegiatan {offset}",
                    minutes=minutes,
                    status=status,
                    late=late,
                    source="t",
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
    [by_supervisor] = await team_weeks(db, WorkCalendar(), [week], [supervisor])
    [person] = [p for p in by_supervisor[supervisor] if p.employee_id == staff]
    assert (person.entries, person.minutes, person.late) == (6, 285, 1)
    assert (person.approved, person.waiting, person.revision) == (5, 1, 0)
    assert person.expected_days == 5
    assert person.logged_on == [week[0] + timedelta(days=n) for n in (0, 2, 3, 4, 5, 6)]
    assert person.days_with_entries == 6 and person.silent_days == 0
    team = totals(by_supervisor[supervisor])
    others = [p for p in by_supervisor[supervisor] if p.employee_id != staff]
    assert not any(p.entries for p in others)
    assert (team.entries, team.minutes, team.late, team.approved) == (6, 285, 1, 5)
    assert team.expected_days == 5 * (1 + len(others))
    assert team.days_with_entries == 4  # Monday, Wednesday, Thursday, Friday
