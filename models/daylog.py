"""Data functions for logging a day at a time: several entries saved at once, routines repeated
with one tap, and the bot's "Tersimpan" messages that a reply can correct."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from models import conversation as conversations
from models.activities import ActivityDraft, AlreadySaved, add_activity
from models.db import Database
from models.one_trip import prepared_upsert, run
from models.tables import Activity, Conversation, SavedMessage

ROUTINE_MIN_DAYS = 3  # an activity saved on at least this many of the days looked at:
ROUTINE_DAYS = 10  # the last ten working days


async def save_day(
    db: Database,
    employee_id: int,
    drafts: Sequence[ActivityDraft],
    *,
    source: str,
    actor: str,
    now: datetime,
    conversation: Conversation,
    update_id: int,
    then: tuple[str, dict[str, Any]],
    numbers: Sequence[int],
) -> tuple[list[int], Conversation]:
    """Write every draft and move the conversation to ``then`` (its step and data, with
    ``just_saved``: each draft's line number and new id) in one transaction: all of them or
    none, and a second tap (or a redelivered one) finds the conversation moved on and saves
    nothing."""
    step, data = then
    async with db.write() as session:
        ids: list[int] = []
        for draft in drafts:
            activity = await add_activity(
                session, employee_id, draft, source=source, actor=actor, now=now
            )
            assert activity.id is not None
            ids.append(activity.id)
        try:
            moved = await conversations.set_state(
                session,
                conversation,
                step=step,
                version=conversation.version + 1,
                data=data | {"just_saved": [list(pair) for pair in zip(numbers, ids, strict=True)]},
                update_id=update_id,
                now=now,
            )
        except conversations.StaleStep:
            raise AlreadySaved() from None
    return ids, moved


def _key(description: str) -> str:
    return " ".join(description.split()).casefold().rstrip(".,;:!")


@dataclass(frozen=True)
class Routine:
    """An activity done on many recent days, as last saved (its duration, count and target)."""

    activity_id: int
    description: str
    minutes: int
    days: int


async def routines(
    db: Database, employee_ids: Sequence[int], days: Sequence[date], *, limit: int = 5
) -> dict[int, list[Routine]]:
    """Per employee, what they saved on at least ``ROUTINE_MIN_DAYS`` of ``days`` (the same
    description, spelled with any capitals and spaces), most frequent first; one query for a
    whole reminder wave."""
    if not employee_ids or not days:
        return {}
    stmt = (
        select(
            col(Activity.employee_id),
            col(Activity.id),
            col(Activity.description),
            col(Activity.work_date),
            col(Activity.minutes),
        )
        .where(
            col(Activity.employee_id).in_(list(employee_ids)),
            col(Activity.work_date).in_(list(days)),
            col(Activity.deleted_at).is_(None),
            col(Activity.status) != "rejected",
        )
        .order_by(col(Activity.work_date), col(Activity.id))
    )
    seen: dict[int, dict[str, tuple[set[date], Any]]] = defaultdict(dict)
    async with db.read() as session:
        for employee_id, activity_id, description, work_date, minutes in (
            await session.execute(stmt)
        ).all():
            dates, _ = seen[employee_id].get(_key(description), (set(), None))
            dates.add(work_date)
            # Rows come oldest first: the last one kept is the latest ("yesterday's duration").
            seen[employee_id][_key(description)] = (dates, (activity_id, description, minutes))
    result: dict[int, list[Routine]] = {}
    for employee_id, by_key in seen.items():
        found = [
            Routine(latest[0], latest[1], latest[2], len(dates))
            for dates, latest in by_key.values()
            if len(dates) >= ROUTINE_MIN_DAYS
        ]
        found.sort(key=lambda r: (-r.days, r.activity_id))
        if found:
            result[employee_id] = found[:limit]
    return result


async def repeat_activity(
    db: Database,
    employee_id: int,
    activity_id: int,
    day: date,
    *,
    late: bool,
    actor: str,
    now: datetime,
) -> tuple[Activity, bool]:
    """Save again, for ``day``, an entry of one's own (a routine's "Ulangi"); False when that
    day already holds it, so a second tap or a redelivered one adds nothing."""
    async with db.write() as session:
        source = await session.get(Activity, activity_id)
        if source is None or source.employee_id != employee_id or source.deleted_at is not None:
            raise LookupError(activity_id)
        same_day = (
            await session.execute(
                select(Activity).where(
                    col(Activity.employee_id) == employee_id,
                    col(Activity.work_date) == day,
                    col(Activity.deleted_at).is_(None),
                    func.lower(col(Activity.description)) == source.description.lower(),
                )
            )
        ).scalar_one_or_none()
        if same_day is not None:
            return same_day, False
        draft = ActivityDraft(
            work_date=day,
            description=source.description,
            minutes=source.minutes,
            quantity=source.quantity,
            output_unit=source.output_unit,
            target_id=source.target_id,
            late=late,
        )
        return await add_activity(
            session, employee_id, draft, source="repeat", actor=actor, now=now
        ), True


async def remember_saved(
    db: Database,
    chat_id: int,
    message_id: int,
    activity_ids: Sequence[int],
    now: datetime,
    numbers: Sequence[int] | None = None,
) -> None:
    """The confirmation that went out for these entries, each under the number the person
    knows it by (its line in the day they typed; 1, 2... by default)."""
    if not activity_ids:
        return
    numbers = numbers or range(1, len(activity_ids) + 1)
    rows = [
        {
            "chat_id": chat_id,
            "message_id": message_id,
            "position": position,
            "activity_id": activity_id,
            "created_at": now,
        }
        for position, activity_id in zip(numbers, activity_ids, strict=True)
    ]
    # A transaction of its own, in one trip (``models.one_trip``): the confirmation's message
    # id is known only once it went out, after the save committed. A message id is never used
    # twice in a chat; should it be, the entries given now win.
    statement = prepared_upsert(db.dialect, _SAVED_MESSAGES, ("chat_id", "message_id", "position"))
    await run(db, [(statement, row) for row in rows], write=True)


_SAVED_MESSAGES = SavedMessage.metadata.tables["saved_message"]  # SQLModel: __table__ untyped


async def saved_by(db: Database, chat_id: int, message_id: int) -> dict[int, int]:
    """The entries a confirmation in this chat listed, by their number (empty: not ours)."""
    stmt = select(col(SavedMessage.position), col(SavedMessage.activity_id)).where(
        col(SavedMessage.chat_id) == chat_id, col(SavedMessage.message_id) == message_id
    )
    async with db.read() as session:
        return {int(n): int(a) for n, a in (await session.execute(stmt)).all()}


async def logged_on(db: Database, employee_ids: Sequence[int], day: date) -> set[int]:
    """Which of these employees have an entry (not rejected) on ``day``: "Salin kemarin"."""
    if not employee_ids:
        return set()
    stmt = (
        select(col(Activity.employee_id))
        .where(
            col(Activity.employee_id).in_(list(employee_ids)),
            col(Activity.work_date) == day,
            col(Activity.deleted_at).is_(None),
            col(Activity.status) != "rejected",
        )
        .distinct()
    )
    async with db.read() as session:
        return set((await session.execute(stmt)).scalars())
