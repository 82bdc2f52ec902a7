"""Data functions for the work log: activities and their evidence and history, SKP targets,
leave, and local calendar overrides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.calendar import CalendarOverride as DomainOverride
from domain.calendar import Leave as DomainLeave
from domain.calendar import OverrideKind, WorkCalendar
from domain.files import safe_file_name, safe_mime
from models import audit
from models.conversation import FlowEnd, finish_in
from models.conversation import ending as conversation_ending
from models.db import Database, rows_changed, upsert
from models.one_trip import (
    Earlier,
    Prepared,
    Step,
    Unchanged,
    prepared_insert,
    prepared_upsert,
    run,
)
from models.tables import (
    Activity,
    ActivityEvidence,
    ActivityHistory,
    CalendarOverride,
    Leave,
    SavedMessage,
    SkpTarget,
)
from models.types import as_loaded

EDITABLE_FIELDS = (
    "description",
    "quantity",
    "output_unit",
    "minutes",
    "target_id",
    "work_date",
    "training_jp",
)


@dataclass
class EvidenceDraft:
    kind: str
    telegram_file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    stored_path: str | None = None

    def __post_init__(self) -> None:
        # Drafts saved before names were made safe (or by an older version) are cleaned here,
        # on their way to the file_name and mime_type columns.
        self.file_name = safe_file_name(self.file_name)
        self.mime_type = safe_mime(self.mime_type)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ActivityDraft:
    """What a person has told us so far; kept in the conversation until they press Save."""

    work_date: date
    description: str
    minutes: int
    quantity: int | None = None
    output_unit: str | None = None
    target_id: int | None = None
    training_jp: int | None = None
    late: bool = False
    evidence: list[EvidenceDraft] = field(default_factory=list)

    def as_changes(self) -> dict[str, Any]:
        """The editable fields, for updating an existing entry (evidence is handled apart)."""
        return {name: getattr(self, name) for name in EDITABLE_FIELDS} | {"late": self.late}


def _snapshot(activity: Activity) -> dict[str, Any]:
    values = {name: getattr(activity, name) for name in (*EDITABLE_FIELDS, "status")}
    values["work_date"] = activity.work_date.isoformat()
    return values


class AlreadySaved(Exception):
    """The flow this save came from was already finished (double tap)."""


async def save_and_count(
    db: Database,
    employee_id: int,
    draft: ActivityDraft,
    *,
    source: str,
    actor: str,
    now: datetime,
    conversation: FlowEnd | tuple[int, int, int] | None = None,
    confirmation: tuple[int, int] | None = None,
) -> tuple[Activity, tuple[int, int]]:
    """Save one activity, and :func:`minutes_on` for its day read in the same
    transaction (what the "Tersimpan" confirmation shows), without a session of its own.
    ``confirmation``: the message (chat id, message id) that becomes its confirmation.

    The quick log's save, in one trip (``models.one_trip``): the flow ended (the guard: a
    second Save finds none and writes nothing), its receipt, the entry with its evidence and
    history, the confirmation's message and the day's totals. Through the ORM's session the
    same statements took eight hand-offs to SQLite's thread and most of the press's CPU
    (bench/paths.py)."""
    ending = conversation_ending(db, conversation) if conversation is not None else None
    steps: list[Step] = list(ending.steps) if ending is not None else []
    values = _activity_values(employee_id, draft, source, now)
    added = len(steps)
    steps.append((_ADD_ALONE, values))
    activity_id = Earlier(added)
    for item in draft.evidence:
        evidence = {"activity_id": activity_id, "created_at": now, **item.as_dict()}
        steps.append((_ADD_EVIDENCE_ALONE, evidence))
    history = {"activity_id": activity_id, "at": now, "actor": actor, "action": "created"}
    steps.append((_ADD_HISTORY_ALONE, history | {"before": {}}))
    if confirmation is not None:
        steps.append(_saved_step(db, confirmation, activity_id, now))
    steps.append((_MINUTES_ON_ALONE, {"employee": employee_id, "day": draft.work_date}))
    try:
        outcomes = await run(db, steps, write=True, guard=0 if ending is not None else None)
    except Unchanged:
        raise AlreadySaved() from None
    if ending is not None:
        ending.committed()
    [(count, minutes)] = outcomes[-1].rows
    return _activity({"id": outcomes[added].rows[0][0], **values}), (int(count), int(minutes))


def _activity_values(
    employee_id: int, draft: ActivityDraft, source: str, now: datetime
) -> dict[str, Any]:
    fixed = {"employee_id": employee_id, "source": source, "status": "submitted"}
    drafted = {name: getattr(draft, name) for name in _DRAFTED}
    return fixed | drafted | {"created_at": now, "updated_at": now}


# The columns of an entry that its draft gives (``_activity_values``).
_DRAFTED = (*EDITABLE_FIELDS, "late")


def _activity(columns: dict[str, Any]) -> Activity:
    """The entry ``columns`` wrote (``models.types.as_loaded``): SQLModel's ``__init__`` cost
    as much as a statement."""
    return as_loaded(Activity, dict.fromkeys(_ACTIVITY_COLUMNS) | columns)


def _saved_step(db: Database, message: tuple[int, int], activity_id: Any, now: datetime) -> Step:
    """:func:`remember_confirmation` as a statement of a one-trip save."""
    return prepared_upsert(db.dialect, _SAVED, _SAVED_KEY), _saved(message, activity_id, now)


def _saved(message: tuple[int, int], activity_id: Any, now: datetime) -> dict[str, Any]:
    chat_id, message_id = message
    return {"chat_id": chat_id, "message_id": message_id, "position": 1} | {
        "activity_id": activity_id,
        "created_at": now,
    }


async def remember_confirmation(
    session: AsyncSession, message: tuple[int, int] | None, activity_id: int, now: datetime
) -> None:
    """In the save's transaction: the message (chat id, message id) that is edited into the
    entry's "Tersimpan" once the save commits, so that a reply to it corrects the entry
    (``models.daylog.saved_by``). Known before the save when the confirmation is the pressed
    summary itself, so a kill before the edit leaves nothing to write afterwards."""
    if message is None:
        return
    # A message id is never used twice in a chat; should it be, this entry wins.
    statement = upsert(session.get_bind().dialect.name, _SAVED, _SAVED_KEY)
    await session.execute(statement, _saved(message, activity_id, now))


async def add_activity(
    session: AsyncSession,
    employee_id: int,
    draft: ActivityDraft,
    *,
    source: str,
    actor: str,
    now: datetime,
) -> Activity:
    """Write one entry with its evidence and its "created" history, in the caller's
    transaction (one entry, or a whole day saved at once)."""
    values = _activity_values(employee_id, draft, source, now)
    # Core statements built once, not the ORM's unit of work: the save is the quick log's
    # hottest write (bench/paths.py), and nothing here reads the rows back as objects.
    activity_id = (await session.execute(_ADD, values)).scalar_one()
    if draft.evidence:
        files = [
            {"activity_id": activity_id, "created_at": now, **e.as_dict()} for e in draft.evidence
        ]
        await session.execute(_ADD_EVIDENCE, files)
    history = {"activity_id": activity_id, "at": now, "actor": actor, "action": "created"}
    await session.execute(_ADD_HISTORY, history | {"before": {}})
    return _activity({"id": activity_id, **values})


_TABLES = Activity.metadata.tables  # SQLModel does not type __table__
_ADD = insert(_TABLES["activity"]).returning(_TABLES["activity"].c.id)
_ADD_EVIDENCE = insert(_TABLES["activity_evidence"])
_ADD_HISTORY = insert(_TABLES["activity_history"])
_SAVED = SavedMessage.metadata.tables["saved_message"]
_SAVED_KEY = ("chat_id", "message_id", "position")
_ACTIVITY_COLUMNS = tuple(column.name for column in _TABLES["activity"].c)
# The same, for a save in one trip (``save_and_count``): the columns ``_activity_values`` and
# the evidence and history rows give.
_ADD_ALONE = prepared_insert(
    _TABLES["activity"],
    ("employee_id", "source", "status", *_DRAFTED, "created_at", "updated_at"),
    returning=("id",),
)
_ADD_EVIDENCE_ALONE = prepared_insert(
    _TABLES["activity_evidence"],
    ("activity_id", "created_at", *(f.name for f in fields(EvidenceDraft))),
)
_ADD_HISTORY_ALONE = prepared_insert(
    _TABLES["activity_history"], ("activity_id", "at", "actor", "action", "before")
)


async def minutes_on(db: Database, employee_id: int, day: date) -> tuple[int, int]:
    """(entries, minutes) logged for a day, rejected and deleted entries excluded."""
    async with db.read() as session:
        return await _minutes_on(session, employee_id, day)


_DAY = Activity.metadata.tables["activity"].c  # SQLModel does not type __table__
# Built once (Core, bind parameters): read by every save's confirmation.
_MINUTES_ON = select(func.count(), func.coalesce(func.sum(_DAY.minutes), 0)).where(
    _DAY.employee_id == bindparam("employee"),
    _DAY.work_date == bindparam("day"),
    _DAY.deleted_at.is_(None),
    _DAY.status != "rejected",
)
_MINUTES_ON_ALONE = Prepared(_MINUTES_ON)


async def _minutes_on(session: AsyncSession, employee_id: int, day: date) -> tuple[int, int]:
    count, minutes = (
        await session.execute(_MINUTES_ON, {"employee": employee_id, "day": day})
    ).one()
    return int(count), int(minutes)


async def activities_between(
    db: Database, employee_id: int, start: date, end: date
) -> list[Activity]:
    stmt = (
        select(Activity)
        .where(
            col(Activity.employee_id) == employee_id,
            col(Activity.work_date) >= start,
            col(Activity.work_date) <= end,
            col(Activity.deleted_at).is_(None),
        )
        .order_by(col(Activity.work_date), col(Activity.id))
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def evidence_counts(db: Database, activity_ids: Sequence[int]) -> dict[int, int]:
    if not activity_ids:
        return {}
    stmt = (
        select(col(ActivityEvidence.activity_id), func.count())
        .where(col(ActivityEvidence.activity_id).in_(activity_ids))
        .group_by(col(ActivityEvidence.activity_id))
    )
    async with db.read() as session:
        return {a: int(n) for a, n in (await session.execute(stmt)).all()}


async def get_activity(db: Database, activity_id: int) -> Activity | None:
    async with db.read() as session:
        activity = await session.get(Activity, activity_id)
    if activity is None or activity.deleted_at is not None:
        return None
    return activity


class NotEditable(Exception):
    """Approved (or otherwise locked) entries cannot be changed by the employee."""


async def _changeable(session: AsyncSession, activity_id: int, employee_id: int) -> Activity:
    """The employee's own, not deleted, not yet approved entry, read inside the writing
    transaction so that an approval landing meanwhile wins."""
    activity = await session.get(Activity, activity_id)
    if activity is None or activity.deleted_at is not None or activity.employee_id != employee_id:
        raise LookupError(activity_id)
    if activity.status == "approved":
        raise NotEditable(activity_id)
    return activity


async def update_activity(
    db: Database,
    activity_id: int,
    changes: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    expected_employee_id: int,
    conversation: FlowEnd | tuple[int, int, int] | None = None,
    evidence: Sequence[EvidenceDraft] | None = None,
    replace_evidence: bool = False,
    confirmation: tuple[int, int] | None = None,
) -> Activity:
    """Change fields of one's own entry; the status check happens inside the transaction so
    an approval that lands meanwhile wins. ``replace_evidence`` removes the evidence stored
    before (kept in the history) so that ``evidence`` is all there is. ``confirmation``: as
    :func:`save_and_count`'s."""
    async with db.write() as session:
        if conversation is not None and not await finish_in(session, *conversation):
            raise AlreadySaved()
        activity = await _changeable(session, activity_id, expected_employee_id)
        await remember_confirmation(session, confirmation, activity_id, now)
        before = _snapshot(activity)
        for name, value in changes.items():
            if name not in (*EDITABLE_FIELDS, "late"):
                raise ValueError(name)
            setattr(activity, name, value)
        if replace_evidence:
            removed = (
                (
                    await session.execute(
                        select(ActivityEvidence).where(
                            col(ActivityEvidence.activity_id) == activity_id
                        )
                    )
                )
                .scalars()
                .all()
            )
            before["evidence_removed"] = [
                {"kind": e.kind, "file_name": e.file_name, "stored_path": e.stored_path}
                for e in removed
            ]
            for item in removed:
                await session.delete(item)
            await session.flush()
        if evidence is not None:
            known = set(
                (
                    await session.execute(
                        select(col(ActivityEvidence.file_unique_id)).where(
                            col(ActivityEvidence.activity_id) == activity_id
                        )
                    )
                ).scalars()
            )
            for draft in evidence:
                if draft.file_unique_id not in known:
                    session.add(
                        ActivityEvidence(activity_id=activity_id, created_at=now, **draft.as_dict())
                    )
        if activity.status == "revision_requested":
            # Revised as asked: back to the supervisor's queue.
            activity.status = "submitted"
        activity.updated_at = now
        session.add(
            ActivityHistory(
                activity_id=activity_id, at=now, actor=actor, action="edited", before=before
            )
        )
    return activity


async def delete_activity(
    db: Database, activity_id: int, *, actor: str, now: datetime, expected_employee_id: int
) -> Activity:
    async with db.write() as session:
        activity = await _changeable(session, activity_id, expected_employee_id)
        session.add(
            ActivityHistory(
                activity_id=activity_id,
                at=now,
                actor=actor,
                action="deleted",
                before=_snapshot(activity),
            )
        )
        activity.deleted_at = now
    return activity


# --- SKP targets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetProgress:
    target: SkpTarget
    realised: int  # sum of quantities of linked entries that were not rejected
    approved: int  # of which approved by the supervisor
    entries: int


async def targets_with_progress(db: Database, employee_id: int, year: int) -> list[TargetProgress]:
    realised = func.coalesce(func.sum(col(Activity.quantity)), 0)
    approved = func.coalesce(
        func.sum(col(Activity.quantity)).filter(col(Activity.status) == "approved"), 0
    )
    stmt = (
        select(SkpTarget, realised, approved, func.count(col(Activity.id)))
        .outerjoin(
            Activity,
            and_(
                col(Activity.target_id) == SkpTarget.id,
                col(Activity.deleted_at).is_(None),
                col(Activity.status) != "rejected",
            ),
        )
        .where(col(SkpTarget.employee_id) == employee_id, col(SkpTarget.year) == year)
        .group_by(col(SkpTarget.id))
        .order_by(col(SkpTarget.kind).desc(), col(SkpTarget.id))  # utama before tambahan
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return [TargetProgress(t, int(r or 0), int(a or 0), int(n)) for t, r, a, n in rows]


async def targets_for(db: Database, employee_id: int, year: int) -> list[SkpTarget]:
    stmt = (
        select(SkpTarget)
        .where(col(SkpTarget.employee_id) == employee_id, col(SkpTarget.year) == year)
        .order_by(col(SkpTarget.kind).desc(), col(SkpTarget.id))
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def training_jp(db: Database, employee_id: int, year: int) -> int:
    stmt = select(func.coalesce(func.sum(col(Activity.training_jp)), 0)).where(
        col(Activity.employee_id) == employee_id,
        col(Activity.deleted_at).is_(None),
        col(Activity.status) != "rejected",
        col(Activity.work_date) >= date(year, 1, 1),
        col(Activity.work_date) <= date(year, 12, 31),
    )
    async with db.read() as session:
        return int((await session.execute(stmt)).scalar_one() or 0)


# --- Leave and calendar -------------------------------------------------------------------


async def add_leave(
    db: Database,
    employee_id: int,
    kind: str,
    start: date,
    end: date,
    note: str | None,
    *,
    actor: str,
    now: datetime,
    conversation: FlowEnd | tuple[int, int, int] | None = None,
) -> Leave:
    async with db.write() as session:
        if conversation is not None and not await finish_in(session, *conversation):
            raise AlreadySaved()
        leave = Leave(
            employee_id=employee_id, kind=kind, start=start, end=end, note=note, created_at=now
        )
        session.add(leave)
    return leave


async def leaves_between(db: Database, employee_id: int, start: date, end: date) -> list[Leave]:
    stmt = (
        select(Leave)
        .where(
            col(Leave.employee_id) == employee_id,
            col(Leave.cancelled_at).is_(None),
            col(Leave.start) <= end,
            col(Leave.end) >= start,
        )
        .order_by(col(Leave.start))
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def calendar_overrides(db: Database) -> list[CalendarOverride]:
    async with db.read() as session:
        return list((await session.execute(select(CalendarOverride))).scalars())


async def set_calendar_override(
    db: Database, day: date, kind: str, name: str, *, actor: str, now: datetime
) -> None:
    async with db.write() as session:
        existing = (
            await session.execute(select(CalendarOverride).where(col(CalendarOverride.day) == day))
        ).scalar_one_or_none()
        if existing is None:
            session.add(CalendarOverride(day=day, kind=kind, name=name, created_at=now))
        else:
            existing.kind, existing.name = kind, name
        audit.record(session, actor, "calendar.set", day.isoformat(), at=now, kind=kind, name=name)


async def remove_calendar_override(db: Database, day: date, *, actor: str, now: datetime) -> bool:
    async with db.write() as session:
        removed = bool(
            await rows_changed(
                session, delete(CalendarOverride).where(col(CalendarOverride.day) == day)
            )
        )
        if removed:
            audit.record(session, actor, "calendar.remove", day.isoformat(), at=now)
    return removed


# --- Summaries ----------------------------------------------------------------------------


@dataclass
class DaySummary:
    entries: int = 0
    minutes: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


async def day_summaries(
    db: Database, employee_id: int, start: date, end: date
) -> dict[date, DaySummary]:
    """Entries and minutes per day and status, aggregated in SQL."""
    stmt = (
        select(
            col(Activity.work_date),
            col(Activity.status),
            func.count(),
            func.coalesce(func.sum(col(Activity.minutes)), 0),
        )
        .where(
            col(Activity.employee_id) == employee_id,
            col(Activity.work_date) >= start,
            col(Activity.work_date) <= end,
            col(Activity.deleted_at).is_(None),
        )
        .group_by(col(Activity.work_date), col(Activity.status))
    )
    result: dict[date, DaySummary] = {}
    async with db.read() as session:
        for day, status, count, minutes in (await session.execute(stmt)).all():
            summary = result.setdefault(day, DaySummary())
            summary.by_status[status] = int(count)
            if status != "rejected":
                summary.entries += int(count)
                summary.minutes += int(minutes)
    return result


async def work_calendar(db: Database) -> WorkCalendar:
    """The national calendar with this office's overrides."""
    # The stored kind is a plain string; DomainOverride refuses one that is not an OverrideKind.
    return WorkCalendar(
        DomainOverride(row.day, cast(OverrideKind, row.kind), row.name)
        for row in await calendar_overrides(db)
    )


async def employee_leaves(
    db: Database, employee_id: int, start: date, end: date
) -> list[DomainLeave]:
    return [
        DomainLeave(row.start, row.end, row.kind)
        for row in await leaves_between(db, employee_id, start, end)
    ]
