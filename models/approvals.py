"""Data functions for supervisors: entries waiting for approval and the decisions on them, the
team's day, personal nudges and feedback notes ("catatan kinerja").

Every function that changes something checks, inside its own transaction, that the actor may
supervise the employee (``domain.access.supervision_refusal`` on ``supervisor_chain``), and
writes the employee's notification to the outbox in that same transaction: a decision exists
exactly when its notification does, and a second tap finds the decision already made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.access import Actor, supervision_refusal
from domain.approvals import WAITING, Decision
from models import audit
from models.db import Database
from models.identity import employee_contact
from models.outbox import enqueue
from models.supervision import (
    reports_of,
    supervisor_chain,
)
from models.tables import (
    Activity,
    ActivityEvidence,
    ActivityHistory,
    Employee,
    FeedbackNote,
    Leave,
    SkpTarget,
    TelegramLink,
)
from models.types import stored_id

# Builds the employee's message in their language (None: they never chose one).
Notify = Callable[[str | None], dict[str, Any]]


class NotInReach(Exception):
    """No such entry or employee, deleted, or not someone this supervisor may act on: all look
    the same to the caller, so a forged callback learns nothing."""


class AlreadyDecided(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


async def _check_reach(
    session: AsyncSession, actor: Actor, employee_id: int, *, indirect: bool
) -> None:
    chain = await supervisor_chain(session, employee_id)
    if supervision_refusal(actor, chain, indirect=indirect) is not None:
        raise NotInReach(employee_id)


async def in_reach(db: Database, actor: Actor, employee_id: int, *, indirect: bool) -> bool:
    async with db.read() as session:
        try:
            await _check_reach(session, actor, employee_id, indirect=indirect)
        except NotInReach:
            return False
    return True


async def _notify(
    session: AsyncSession,
    employee_id: int,
    key: str,
    kind: str,
    payload: Callable[[str | None], dict[str, Any]],
    now: datetime,
) -> bool | None:
    """Queue a message to the employee in their language, in the caller's transaction. None
    when they have no Telegram account; False when this key was queued before."""
    recipient = await employee_contact(session, employee_id)
    if recipient is None:
        return None
    return await enqueue(
        session, key, recipient.telegram_id, kind, payload(recipient.language), now=now
    )


async def linked(db: Database, employee_ids: Sequence[int]) -> set[int]:
    if not employee_ids:
        return set()
    stmt = select(col(TelegramLink.employee_id)).where(
        col(TelegramLink.employee_id).in_(employee_ids)
    )
    async with db.read() as session:
        return set((await session.execute(stmt)).scalars())


# --- what waits ----------------------------------------------------------------------------


def _waiting() -> Any:
    return (col(Activity.status) == WAITING) & col(Activity.deleted_at).is_(None)


@dataclass(frozen=True)
class WaitingPerson:
    employee_id: int
    entries: int
    days: int
    oldest: date


async def waiting_in_reach(
    db: Database, supervisor_id: int, *, indirect: bool
) -> tuple[dict[int, str], list[WaitingPerson]]:
    """The supervisor's reports (id → name) and those of them with entries waiting, by name:
    /persetujuan's list, read in one session."""
    async with db.read() as session:
        reports = await reports_of(session, supervisor_id, indirect=indirect)
        names = {e.id: e.name for e in reports if e.id is not None}
        return names, await _waiting_by_person(session, list(names))


async def waiting_by_person(db: Database, employee_ids: Sequence[int]) -> list[WaitingPerson]:
    """People among ``employee_ids`` with entries waiting, in the order given."""
    async with db.read() as session:
        return await _waiting_by_person(session, employee_ids)


async def _waiting_by_person(
    session: AsyncSession, employee_ids: Sequence[int]
) -> list[WaitingPerson]:
    if not employee_ids:
        return []
    stmt = (
        select(
            col(Activity.employee_id),
            func.count(),
            func.count(func.distinct(col(Activity.work_date))),
            func.min(col(Activity.work_date)),
        )
        .where(_waiting(), col(Activity.employee_id).in_(employee_ids))
        .group_by(col(Activity.employee_id))
    )
    rows = {e: WaitingPerson(e, int(n), int(d), o) for e, n, d, o in await session.execute(stmt)}
    return [rows[e] for e in employee_ids if e in rows]


@dataclass(frozen=True)
class WaitingEntry:
    activity: Activity
    target: str | None  # the SKP indicator
    evidence: int


async def waiting_on(db: Database, employee_id: int, day: date) -> list[WaitingEntry]:
    async with db.read() as session:
        return await _waiting_on(session, employee_id, day)


async def day_view(
    db: Database, employee_id: int, day: date
) -> tuple[Employee | None, list[WaitingEntry]]:
    """The person and their day's waiting entries, read in one session (the view redrawn after
    every decision)."""
    async with db.read() as session:
        return await session.get(Employee, employee_id), await _waiting_on(
            session, employee_id, day
        )


async def _waiting_on(session: AsyncSession, employee_id: int, day: date) -> list[WaitingEntry]:
    evidence = (
        select(func.count())
        .where(col(ActivityEvidence.activity_id) == Activity.id)
        .correlate(Activity)
        .scalar_subquery()
    )
    stmt = (
        select(Activity, col(SkpTarget.indicator), evidence)
        .outerjoin(SkpTarget, col(SkpTarget.id) == Activity.target_id)
        .where(_waiting(), col(Activity.employee_id) == employee_id, col(Activity.work_date) == day)
        .order_by(col(Activity.id))
    )
    return [WaitingEntry(a, t, int(n)) for a, t, n in await session.execute(stmt)]


async def evidence_of(
    db: Database, actor: Actor, activity_id: int, *, indirect: bool
) -> tuple[Activity, list[ActivityEvidence]]:
    async with db.read() as session:
        activity = await session.get(Activity, activity_id)
        if activity is None or activity.deleted_at is not None:
            raise NotInReach(activity_id)
        await _check_reach(session, actor, activity.employee_id, indirect=indirect)
        rows = await session.execute(
            select(ActivityEvidence)
            .where(col(ActivityEvidence.activity_id) == activity_id)
            .order_by(col(ActivityEvidence.id))
        )
        return activity, list(rows.scalars())


# --- decisions -----------------------------------------------------------------------------


def _apply(
    session: AsyncSession,
    activity: Activity,
    decision: Decision,
    note: str | None,
    actor: Actor,
    now: datetime,
) -> ActivityHistory:
    before = {
        "status": activity.status,
        "reviewer_id": activity.reviewer_id,
        "review_note": activity.review_note,
    }
    activity.status = decision.value
    activity.reviewer_id = actor.employee_id
    activity.review_note = note
    activity.reviewed_at = now
    activity.updated_at = now
    who = audit.telegram_actor(actor.telegram_id)
    history = ActivityHistory(
        activity_id=stored_id(activity.id), at=now, actor=who, action="reviewed", before=before
    )
    session.add(history)
    audit.record(
        session,
        who,
        "activity.review",
        f"activity:{activity.id}",
        at=now,
        decision=decision.value,
        employee_id=activity.employee_id,
        supervisor_id=actor.employee_id,
        note=note,
    )
    return history


async def approve_day(
    db: Database,
    actor: Actor,
    employee_id: int,
    day: date,
    up_to_id: int,
    *,
    now: datetime,
    indirect: bool,
    notify: Callable[[Sequence[Activity], str | None], dict[str, Any]],
) -> list[Activity]:
    """Approve every entry of one person-day that was waiting when the supervisor looked
    (ids up to ``up_to_id``: an entry sent after the confirmation was shown is not approved
    unseen). One notification for all of them."""
    async with db.write() as session:
        await _check_reach(session, actor, employee_id, indirect=indirect)
        rows = await session.execute(
            select(Activity)
            .where(
                _waiting(),
                col(Activity.employee_id) == employee_id,
                col(Activity.work_date) == day,
                col(Activity.id) <= up_to_id,
            )
            .order_by(col(Activity.id))
            .with_for_update()
        )
        entries = list(rows.scalars())
        if not entries:
            raise AlreadyDecided(Decision.APPROVED.value)
        histories = [_apply(session, a, Decision.APPROVED, None, actor, now) for a in entries]
        await session.flush()
        await _notify(
            session,
            employee_id,
            f"review_day:{employee_id}:{day.isoformat()}:{histories[0].id}",
            "review",
            lambda language: notify(entries, language),
            now,
        )
    return entries


# --- the team's day ------------------------------------------------------------------------


def _counted(day: date) -> list[Any]:
    """Entries that count for a day: not deleted, not rejected."""
    return [
        col(Activity.work_date) == day,
        col(Activity.deleted_at).is_(None),
        col(Activity.status) != "rejected",
    ]


async def logged_on(
    db: Database, employee_ids: Sequence[int], day: date
) -> dict[int, tuple[int, int]]:
    """(entries, minutes) per employee for one day; rejected and deleted entries excluded."""
    if not employee_ids:
        return {}
    stmt = (
        select(
            col(Activity.employee_id),
            func.count(),
            func.coalesce(func.sum(col(Activity.minutes)), 0),
        )
        .where(col(Activity.employee_id).in_(employee_ids), *_counted(day))
        .group_by(col(Activity.employee_id))
    )
    async with db.read() as session:
        return {e: (int(n), int(m)) for e, n, m in await session.execute(stmt)}


async def leave_kinds_on(db: Database, employee_ids: Sequence[int], day: date) -> dict[int, str]:
    if not employee_ids:
        return {}
    stmt = select(col(Leave.employee_id), col(Leave.kind)).where(
        col(Leave.employee_id).in_(employee_ids),
        col(Leave.cancelled_at).is_(None),
        col(Leave.start) <= day,
        col(Leave.end) >= day,
    )
    async with db.read() as session:
        return dict((await session.execute(stmt)).all())


class NudgeOutcome(StrEnum):
    SENT = "sent"
    ALREADY = "already"  # this person was nudged today (by anyone)
    LOGGED = "logged"  # not silent any more
    NOT_LINKED = "not_linked"  # no Telegram account to send to


async def nudge(
    db: Database,
    actor: Actor,
    employee_id: int,
    day: date,
    *,
    now: datetime,
    indirect: bool,
    notify: Notify,
) -> NudgeOutcome:
    """A supervisor's personal reminder to one silent report, at most once per person and day."""
    async with db.write() as session:
        await _check_reach(session, actor, employee_id, indirect=indirect)
        logged = await session.scalar(
            select(func.count()).where(col(Activity.employee_id) == employee_id, *_counted(day))
        )
        if logged:
            return NudgeOutcome.LOGGED
        written = await _notify(
            session,
            employee_id,
            f"team_nudge:{employee_id}:{day.isoformat()}",
            "team_nudge",
            notify,
            now,
        )
        if written is None:
            return NudgeOutcome.NOT_LINKED
        if not written:
            return NudgeOutcome.ALREADY
        audit.record(
            session,
            audit.telegram_actor(actor.telegram_id),
            "team.nudge",
            f"employee:{employee_id}",
            at=now,
            day=day.isoformat(),
        )
    return NudgeOutcome.SENT


# --- feedback notes ------------------------------------------------------------------------


async def add_feedback(
    db: Database,
    actor: Actor,
    employee_id: int,
    text: str,
    *,
    now: datetime,
    indirect: bool,
    notify: Notify,
) -> FeedbackNote:
    async with db.write() as session:
        await _check_reach(session, actor, employee_id, indirect=indirect)
        note = FeedbackNote(
            employee_id=employee_id, supervisor_id=actor.employee_id, text=text, created_at=now
        )
        session.add(note)
        await session.flush()
        audit.record(
            session,
            audit.telegram_actor(actor.telegram_id),
            "feedback.write",
            f"employee:{employee_id}",
            at=now,
            note_id=note.id,
        )
        await _notify(session, employee_id, f"feedback:{note.id}", "feedback", notify, now)
    return note


@dataclass(frozen=True)
class NoteView:
    text: str
    created_at: datetime
    supervisor: str | None


async def feedback_notes(db: Database, employee_id: int, limit: int = 5) -> list[NoteView]:
    """The latest notes to one employee, newest first."""
    stmt = (
        select(col(FeedbackNote.text), col(FeedbackNote.created_at), col(Employee.name))
        .outerjoin(Employee, col(Employee.id) == FeedbackNote.supervisor_id)
        .where(col(FeedbackNote.employee_id) == employee_id)
        .order_by(col(FeedbackNote.created_at).desc(), col(FeedbackNote.id).desc())
        .limit(limit)
    )
    async with db.read() as session:
        return [NoteView(*row) for row in await session.execute(stmt)]
