"""Data functions for complaints: categories, unit desks, complaints with their history,
attachments and Telegram messages, bans, and the retention purge.

One transaction per acknowledged action: a submission, a status change or a message is
committed (with its history row) before anyone is told about it. Status rules live in
``domain.complaints`` and are checked inside the transaction, on the row as it is then, so a
double tap or two staff members pressing at once cannot both move a complaint.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import WorkCalendar
from domain.complaints import (
    FINAL,
    OUTCOMES,
    CategoryProblem,
    CategoryRow,
    Deadlines,
    Earlier,
    InvalidMove,
    Move,
    Privacy,
    Status,
    can_reopen,
    due_dates,
    format_tracking_number,
    next_status,
    period_of,
    validate_categories,
)
from domain.files import stored_relative
from models import audit, survey
from models.activities import AlreadySaved, EvidenceDraft, _finish_conversation  # shared
from models.db import Database, insert_once
from models.files import FileCount, delete_files, referenced
from models.outbox import OutboxMessage, enqueue
from models.tables import (
    Complaint,
    ComplaintAttachment,
    ComplaintBan,
    ComplaintCategory,
    ComplaintCounter,
    ComplaintDesk,
    ComplaintEvent,
    ComplaintMessage,
    Employee,
    TelegramLink,
    TelegramUser,
    Unit,
)

DAY = timedelta(hours=24)


class Banned(Exception):
    """This account may not file complaints."""


class LimitReached(Exception):
    """Too many complaints from this account in the last 24 hours."""


class ComplaintClosed(Exception):
    """The complaint is closed (or its personal data purged): nothing more can be added."""


class AlreadyRecorded(Exception):
    """This incoming Telegram message was stored before: Telegram (or the polling inbox)
    delivered it again after a crash. ``relayed`` says whether it also reached the other side
    then; if not, the process died between storing and relaying, and the relay is owed."""

    def __init__(self, complaint: Complaint, relayed: bool) -> None:
        super().__init__(complaint.id)
        self.complaint = complaint
        self.relayed = relayed


class MessageLimit(Exception):
    """The citizen sent the most messages allowed about this complaint in an hour."""

    def __init__(self, tracking_number: str, again: datetime) -> None:
        super().__init__(tracking_number)
        self.tracking_number, self.again = tracking_number, again


class ReopenExpired(Exception):
    """The citizen answered "belum selesai" after the reopening window."""


# --- Categories -------------------------------------------------------------------------------


async def active_categories(db: Database) -> list[ComplaintCategory]:
    stmt = (
        select(ComplaintCategory)
        .where(ComplaintCategory.active)
        .order_by(ComplaintCategory.position, ComplaintCategory.id)
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def all_categories(db: Database) -> list[tuple[ComplaintCategory, str]]:
    stmt = (
        select(ComplaintCategory, Unit.code)
        .join(Unit, Unit.id == ComplaintCategory.unit_id)
        .order_by(ComplaintCategory.active.desc(), ComplaintCategory.position)
    )
    async with db.read() as session:
        return [(c, code) for c, code in (await session.execute(stmt)).all()]


@dataclass
class CategoryImport:
    problems: list[CategoryProblem] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    same: int = 0
    deactivated: int = 0


async def import_categories(
    db: Database, rows: Sequence[CategoryRow], *, dry_run: bool, actor: str, now: datetime
) -> CategoryImport:
    """All rows or none. Categories missing from the file are deactivated (complaints keep
    theirs); importing the same rows again changes nothing."""
    result = CategoryImport()
    try:
        async with db.write() as session:
            await _apply_categories(session, rows, result, now)
            if result.problems or dry_run:
                raise _Rollback()
            audit.record(
                session,
                actor,
                "complaints.categories",
                at=now,
                new=result.new,
                changed=result.changed,
                deactivated=result.deactivated,
            )
    except _Rollback:
        pass
    return result


class _Rollback(Exception):
    """Leave the transaction without saving (a dry run, or bad rows)."""


async def _apply_categories(
    session: AsyncSession, rows: Sequence[CategoryRow], result: CategoryImport, now: datetime
) -> None:
    units = {code: unit_id for code, unit_id in (await session.execute(select(Unit.code, Unit.id)))}
    result.problems = validate_categories(rows, units)
    if result.problems:
        return
    existing = {c.code: c for c in (await session.execute(select(ComplaintCategory))).scalars()}
    for row in rows:
        values = {
            "name": row.name,
            "name_en": row.name_en,
            "unit_id": units[row.unit_code],
            "position": row.position,
            "active": True,
        }
        category = existing.pop(row.code, None)
        if category is None:
            result.new += 1
            session.add(ComplaintCategory(code=row.code, created_at=now, updated_at=now, **values))
        elif any(getattr(category, k) != v for k, v in values.items()):
            result.changed += 1
            for key, value in values.items():
                setattr(category, key, value)
            category.updated_at = now
        else:
            result.same += 1
    for category in existing.values():
        if category.active:
            result.deactivated += 1
            category.active, category.updated_at = False, now


# --- Desks ------------------------------------------------------------------------------------


@dataclass
class DeskInstall:
    """A unit's desk installed in a group; ``moved_from`` is the group it was in before (None
    for a new desk, or the same group again), whose open tickets now wait to be posted here."""

    unit: Unit
    moved_from: int | None = None
    old_title: str = ""
    old_tickets: list[int] = field(default_factory=list)  # message ids in the old group


async def install_desk(
    db: Database, unit_code: str, chat_id: int, title: str, *, telegram_id: int, now: datetime
) -> DeskInstall | None:
    """Make this group the unit's complaint desk, None if no unit has this code. Replacing an
    earlier group moves the desk's open tickets: they are posted again here (``unposted``), so
    the handlers answer, and the citizens' messages arrive, in the new group."""
    async with db.write() as session:
        unit = (
            await session.execute(select(Unit).where(func.upper(Unit.code) == unit_code.upper()))
        ).scalar_one_or_none()
        if unit is None:
            return None
        desk = (
            await session.execute(
                select(ComplaintDesk).where(ComplaintDesk.unit_id == unit.id).with_for_update()
            )
        ).scalar_one_or_none()
        result = DeskInstall(unit)
        if desk is None:
            session.add(
                ComplaintDesk(
                    unit_id=unit.id,
                    chat_id=chat_id,
                    title=title[:255],
                    installed_by=telegram_id,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            if desk.chat_id != chat_id:
                result.moved_from, result.old_title = desk.chat_id, desk.title
                result.old_tickets = await _clear_tickets(session, desk.chat_id, chat_id)
            desk.chat_id, desk.title, desk.installed_by = chat_id, title[:255], telegram_id
            desk.updated_at = now
        audit.record(
            session,
            audit.telegram_actor(telegram_id),
            "complaints.desk_installed",
            unit.code,
            at=now,
            chat_id=chat_id,
            from_chat_id=result.moved_from,
            tickets=len(result.old_tickets),
        )
    return result


async def desk_chat(db: Database, unit_id: int) -> int | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(ComplaintDesk.chat_id).where(ComplaintDesk.unit_id == unit_id)
            )
        ).scalar_one_or_none()


async def desk_unit(db: Database, chat_id: int) -> Unit | None:
    """The unit whose desk is this group, if any."""
    stmt = select(Unit).join(ComplaintDesk, ComplaintDesk.unit_id == Unit.id)
    async with db.read() as session:
        return (
            await session.execute(stmt.where(ComplaintDesk.chat_id == chat_id))
        ).scalar_one_or_none()


@dataclass
class DeskMove:
    """A desk that moved to the supergroup its group became, and the tickets it showed."""

    unit: Unit
    old_tickets: list[int]  # message ids, in the old group, of the open tickets there


async def move_desk(
    db: Database, old_chat_id: int, new_chat_id: int, *, actor: str, now: datetime
) -> DeskMove | None:
    """The desk group became a supergroup with a new id: the desk follows it.

    Open tickets keep their desk but lose their message (the supergroup has its own message
    ids, and the old messages cannot be reached through the new id), so ``unposted`` returns
    them and they are posted again in the new group. None when no desk is at ``old_chat_id``
    (not a desk, or already moved: both service messages and a failed send all report the
    same upgrade, and only the first moves anything).
    """
    async with db.write() as session:
        desk = (
            await session.execute(
                select(ComplaintDesk).where(ComplaintDesk.chat_id == old_chat_id).with_for_update()
            )
        ).scalar_one_or_none()
        if desk is None:
            return None
        unit = await session.get(Unit, desk.unit_id)
        assert unit is not None
        desk.chat_id, desk.updated_at = new_chat_id, now
        tickets = await _clear_tickets(session, old_chat_id, new_chat_id)
        audit.record(
            session,
            actor,
            "complaints.desk_moved",
            unit.code,
            at=now,
            from_chat_id=old_chat_id,
            to_chat_id=new_chat_id,
            tickets=len(tickets),
        )
    return DeskMove(unit, tickets)


async def _clear_tickets(session: AsyncSession, chat_id: int, new_chat_id: int | None) -> list[int]:
    """Open complaints whose ticket is in ``chat_id``: their desk becomes ``new_chat_id`` and
    the ticket is forgotten, to be posted again (``unposted``). Returns the old message ids."""
    open_here = (
        Complaint.desk_chat_id == chat_id,
        Complaint.status.not_in([s.value for s in FINAL]),
        Complaint.purged_at.is_(None),
    )
    tickets = [
        m
        for m in (
            await session.execute(select(Complaint.ticket_message_id).where(*open_here))
        ).scalars()
        if m is not None
    ]
    await session.execute(
        update(Complaint).where(*open_here).values(desk_chat_id=new_chat_id, ticket_message_id=None)
    )
    return tickets


@dataclass
class DeskRemoval:
    unit: Unit
    open_tickets: int  # open complaints whose ticket was in the group: posted at the next desk


async def remove_desk(
    db: Database,
    chat_id: int,
    *,
    actor: str,
    now: datetime,
    reason: str,
    unit_id: int | None = None,
    notices: Callable[[Unit, int, str], Sequence[tuple[str, int, dict[str, Any]]]] | None = None,
) -> DeskRemoval | None:
    """This group is no longer its unit's desk (``/lepas_meja``, or the bot was removed from
    it). New complaints of the unit wait for the next desk (``unposted``), and so do the open
    ones shown here; meanwhile overdue ones are escalated to the unit's head.
    ``notices(unit, open tickets, group title)`` gives (key, chat id, outbox payload) to queue
    in the same transaction. ``unit_id``: only if the desk still belongs to that unit. None
    when this group is no desk (any more)."""
    async with db.write() as session:
        stmt = select(ComplaintDesk).where(ComplaintDesk.chat_id == chat_id)
        if unit_id is not None:
            stmt = stmt.where(ComplaintDesk.unit_id == unit_id)
        desk = (await session.execute(stmt.with_for_update())).scalar_one_or_none()
        if desk is None:
            return None
        unit = await session.get(Unit, desk.unit_id)
        assert unit is not None
        title = desk.title
        await session.delete(desk)
        tickets = await _clear_tickets(session, chat_id, None)
        audit.record(
            session,
            actor,
            "complaints.desk_removed",
            unit.code,
            at=now,
            chat_id=chat_id,
            reason=reason,
            open_tickets=len(tickets),
        )
        for key, target, payload in notices(unit, len(tickets), title) if notices else ():
            await enqueue(session, key, target, "desk", payload, now=now)
    return DeskRemoval(unit, len(tickets))


async def units_with_desks(db: Database) -> list[Unit]:
    stmt = select(Unit).join(ComplaintDesk, ComplaintDesk.unit_id == Unit.id).order_by(Unit.code)
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def get_unit(db: Database, unit_id: int) -> Unit | None:
    async with db.read() as session:
        return await session.get(Unit, unit_id)


async def unit_handlers(db: Database, unit_id: int) -> list[Employee]:
    """Linked, active complaint handlers of a unit: whom a ticket can be assigned to."""
    stmt = (
        select(Employee)
        .join(TelegramLink, TelegramLink.employee_id == Employee.id)
        .where(Employee.unit_id == unit_id, Employee.active)
        .order_by(Employee.name)
    )
    async with db.read() as session:
        employees = (await session.execute(stmt)).scalars()
        return [e for e in employees if "complaint_handler" in e.role_set]


async def employee_chat(db: Database, employee_id: int) -> int | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(TelegramLink.telegram_user_id).where(TelegramLink.employee_id == employee_id)
            )
        ).scalar_one_or_none()


async def unposted(db: Database, unit_id: int) -> list[Complaint]:
    """Open complaints of a unit that never reached a desk (it had none yet)."""
    stmt = (
        select(Complaint)
        .where(
            Complaint.unit_id == unit_id,
            Complaint.ticket_message_id.is_(None),
            Complaint.status.not_in([s.value for s in FINAL]),
            Complaint.purged_at.is_(None),
        )
        .order_by(Complaint.id)
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


# --- Filing ----------------------------------------------------------------------------------


@dataclass
class ComplaintDraft:
    """What the citizen told us, kept in the conversation until they press Submit."""

    reporter_telegram_id: int
    reporter_name: str
    kind: str
    category_id: int
    story: str
    privacy: str
    location_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    contact_phone: str | None = None
    attachments: list[EvidenceDraft] = field(default_factory=list)


async def is_banned(db: Database, telegram_id: int) -> bool:
    async with db.read() as session:
        return await _banned(session, telegram_id)


async def _banned(session: AsyncSession, telegram_id: int) -> bool:
    found = await session.execute(
        select(ComplaintBan.id).where(ComplaintBan.telegram_user_id == telegram_id)
    )
    return found.first() is not None


async def filed_since(db: Database, telegram_id: int, since: datetime) -> list[datetime]:
    """When this account filed complaints since ``since``, oldest first (for the daily limit)."""
    async with db.read() as session:
        return await _filed_since(session, telegram_id, since)


async def _filed_since(session: AsyncSession, telegram_id: int, since: datetime) -> list[datetime]:
    stmt = (
        select(Complaint.created_at)
        .where(Complaint.reporter_telegram_id == telegram_id, Complaint.created_at >= since)
        .order_by(Complaint.created_at)
    )
    return list((await session.execute(stmt)).scalars())


async def recent_stories(db: Database, telegram_id: int, since: datetime) -> list[Earlier]:
    """This account's open complaints since ``since``, for duplicate detection."""
    stmt = select(Complaint).where(
        Complaint.reporter_telegram_id == telegram_id,
        Complaint.created_at >= since,
        Complaint.status.not_in([s.value for s in FINAL]),
    )
    async with db.read() as session:
        return [
            Earlier(c.id, c.tracking_number, c.story, c.created_at)  # type: ignore[arg-type]
            for c in (await session.execute(stmt)).scalars()
        ]


async def submit_complaint(
    db: Database,
    draft: ComplaintDraft,
    *,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    deadlines: Deadlines,
    daily_limit: int,
    conversation: tuple[int, int, int] | None = None,
) -> Complaint:
    """Store a complaint with the next tracking number of the month; ends the flow in the same
    transaction so that a second Submit cannot file it twice."""
    period = period_of(today)
    dues = due_dates(None, today, calendar, deadlines)
    for attempt in range(5):
        try:
            async with db.write() as session:
                if conversation is not None and not await _finish_conversation(
                    session, *conversation
                ):
                    raise AlreadySaved()
                if await _banned(session, draft.reporter_telegram_id):
                    raise Banned()
                filed = await _filed_since(session, draft.reporter_telegram_id, now - DAY)
                if len(filed) >= daily_limit:
                    raise LimitReached()
                category = await session.get(ComplaintCategory, draft.category_id)
                if category is None or not category.active:
                    raise LookupError(draft.category_id)
                sequence = await _next_sequence(session, period)
                complaint = Complaint(
                    tracking_number=format_tracking_number(period, sequence),
                    period=period,
                    sequence=sequence,
                    kind=draft.kind,
                    category_id=category.id,  # type: ignore[arg-type]
                    unit_id=category.unit_id,
                    story=draft.story,
                    location_text=draft.location_text,
                    latitude=draft.latitude,
                    longitude=draft.longitude,
                    privacy=draft.privacy,
                    reporter_alias=1000 + secrets.randbelow(9000),
                    reporter_telegram_id=draft.reporter_telegram_id,
                    reporter_name=_kept_name(draft),
                    contact_phone=draft.contact_phone,
                    contact_consent_at=now if draft.contact_phone else None,
                    status=Status.BARU.value,
                    created_at=now,
                    updated_at=now,
                    **dues,
                )
                session.add(complaint)
                await session.flush()
                event = ComplaintEvent(
                    complaint_id=complaint.id,  # type: ignore[arg-type]
                    at=now,
                    actor="citizen",
                    action="submitted",
                    to_status=Status.BARU.value,
                )
                session.add(event)
                await session.flush()
                _add_attachments(session, complaint, event, draft.attachments, now)
                return complaint
        except IntegrityError:
            # The first two submissions of a month both created its counter: the loser retries
            # and then waits on the winner's row lock.
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _kept_name(draft: ComplaintDraft) -> str | None:
    """Nobody may see an anonymous reporter's name, so it is not kept (UU 27/2022); their chat
    id stays, to answer them."""
    if draft.privacy == Privacy.ANONIM.value:
        return None
    return draft.reporter_name[:255]


async def _next_sequence(session: AsyncSession, period: str) -> int:
    counter = (
        await session.execute(
            select(ComplaintCounter).where(ComplaintCounter.period == period).with_for_update()
        )
    ).scalar_one_or_none()
    if counter is None:
        counter = ComplaintCounter(period=period, last=0)
        session.add(counter)
    counter.last += 1
    await session.flush()
    return counter.last


def _add_attachments(
    session: AsyncSession,
    complaint: Complaint,
    event: ComplaintEvent,
    attachments: Sequence[EvidenceDraft],
    now: datetime,
) -> None:
    for item in attachments:
        session.add(
            ComplaintAttachment(
                complaint_id=complaint.id,  # type: ignore[arg-type]
                event_id=event.id,
                created_at=now,
                **item.as_dict(),
            )
        )


# --- Reading ------------------------------------------------------------------------------------


async def get_complaint(db: Database, complaint_id: int) -> Complaint | None:
    async with db.read() as session:
        return await session.get(Complaint, complaint_id)


async def find_by_number(db: Database, tracking_number: str) -> Complaint | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(Complaint).where(Complaint.tracking_number == tracking_number)
            )
        ).scalar_one_or_none()


async def complaints_of(db: Database, telegram_id: int, limit: int = 10) -> list[Complaint]:
    stmt = (
        select(Complaint)
        .where(Complaint.reporter_telegram_id == telegram_id)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(limit)
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def category_of(db: Database, category_id: int) -> ComplaintCategory | None:
    async with db.read() as session:
        return await session.get(ComplaintCategory, category_id)


async def history(db: Database, complaint_id: int) -> list[ComplaintEvent]:
    stmt = (
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint_id)
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def attachments_of(
    db: Database, complaint_id: int, event_id: int | None = None
) -> list[ComplaintAttachment]:
    stmt = select(ComplaintAttachment).where(ComplaintAttachment.complaint_id == complaint_id)
    if event_id is not None:
        stmt = stmt.where(ComplaintAttachment.event_id == event_id)
    async with db.read() as session:
        return list((await session.execute(stmt.order_by(ComplaintAttachment.id))).scalars())


async def citizen_chat_state(db: Database, telegram_id: int) -> tuple[str | None, bool]:
    """(language chosen, has blocked the bot) of a reporter, for relaying to them."""
    async with db.read() as session:
        user = await session.get(TelegramUser, telegram_id)
    if user is None:
        return None, False
    return user.language, user.blocked_at is not None


# --- Moves --------------------------------------------------------------------------------------


@dataclass
class MoveResult:
    complaint: Complaint
    event: ComplaintEvent
    previous_status: Status
    previous_unit_id: int
    previous_ticket: tuple[int, int] | None  # (chat, message) of the ticket before a forward


async def apply_move(
    db: Database,
    complaint_id: int,
    move: Move,
    *,
    actor: str,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    deadlines: Deadlines,
    employee_id: int | None = None,
    note: str | None = None,
    target_unit_id: int | None = None,
    assignee_id: int | None = None,
    reporter_telegram_id: int | None = None,
    survey_offer: survey.SurveyOffer,
) -> MoveResult:
    """Move a complaint, with its history row, in one transaction. A closing queues the SKM
    invitation (rendered by ``survey_offer``) in the same transaction.

    Raises ``InvalidMove`` (the status no longer allows it), ``LookupError`` (no such
    complaint, or not this reporter's), ``ReopenExpired``.
    """
    async with db.write() as session:
        complaint = (
            await session.execute(
                select(Complaint).where(Complaint.id == complaint_id).with_for_update()
            )
        ).scalar_one_or_none()
        if complaint is None or complaint.purged_at is not None:
            raise LookupError(complaint_id)
        if reporter_telegram_id is not None and complaint.reporter_telegram_id != (
            reporter_telegram_id
        ):
            raise LookupError(complaint_id)
        before = Status(complaint.status)
        after = next_status(before, move)
        if move is Move.REOPEN and not can_reopen(today, complaint.reopen_until):
            raise ReopenExpired()
        if move is Move.FORWARD and (target_unit_id is None or target_unit_id == complaint.unit_id):
            raise InvalidMove(move, before)
        previous_unit, previous_ticket = complaint.unit_id, None
        detail: dict[str, Any] = {}
        if move is Move.FORWARD:
            assert target_unit_id is not None
            if complaint.desk_chat_id is not None and complaint.ticket_message_id is not None:
                previous_ticket = (complaint.desk_chat_id, complaint.ticket_message_id)
            detail = {"from_unit_id": complaint.unit_id, "to_unit_id": target_unit_id}
            complaint.unit_id = target_unit_id
            complaint.assignee_id = None
            complaint.desk_chat_id = complaint.ticket_message_id = None
        if move is Move.ASSIGN:
            detail = {"assignee_id": assignee_id}
            complaint.assignee_id = assignee_id
        for name, value in due_dates(move, today, calendar, deadlines).items():
            setattr(complaint, name, value)
        if move is Move.VERIFY:
            complaint.verified_at = now
        if move is Move.RESOLVE:
            complaint.resolved_at, complaint.resolution_note = now, note
        if move in OUTCOMES:
            complaint.outcome = OUTCOMES[move].value
        if after in FINAL:
            complaint.closed_at = now
        complaint.status = after.value
        complaint.updated_at = now
        event = ComplaintEvent(
            complaint_id=complaint_id,
            at=now,
            actor=actor,
            employee_id=employee_id,
            action=move.value,
            from_status=before.value,
            to_status=after.value,
            note=note,
            detail=detail,
        )
        session.add(event)
        await session.flush()
        if after is Status.DITUTUP:
            # The SKM invitation commits with the closing (issue 8).
            await survey.offer_after_complaint(session, complaint, now, survey_offer)
    return MoveResult(complaint, event, before, previous_unit, previous_ticket)


async def add_message(
    db: Database,
    complaint_id: int,
    *,
    side: str,
    text: str | None,
    attachments: Sequence[EvidenceDraft] = (),
    actor: str,
    now: datetime,
    employee_id: int | None = None,
    reporter_telegram_id: int | None = None,
    source: tuple[int, int] | None = None,
    per_hour: int | None = None,
) -> tuple[Complaint, ComplaintEvent]:
    """A message from the citizen (``side="citizen"``) or from staff, stored with the
    complaint. Raises ``ComplaintClosed`` on closed complaints, ``LookupError`` if the
    reporter does not match, ``AlreadyRecorded`` when ``source`` (the incoming message's chat
    and message id) was stored before, ``MessageLimit`` past ``per_hour`` citizen messages."""
    async with db.write() as session:
        complaint = await _open_complaint(session, complaint_id, reporter_telegram_id)
        again = None
        if source is not None and not await _claim_incoming(session, complaint_id, source, now):
            received = (
                await session.execute(
                    select(ComplaintMessage.detail).where(
                        ComplaintMessage.chat_id == source[0],
                        ComplaintMessage.message_id == source[1],
                    )
                )
            ).scalar_one()
            # Rows from before the mark existed were relayed in the same update. Raised after
            # the block: an exception inside it would roll back and detach ``complaint``.
            again = AlreadyRecorded(complaint, relayed=received.get("relayed", True))
        else:
            if per_hour is not None:
                await _check_limit(session, complaint, now, per_hour)
            event = ComplaintEvent(
                complaint_id=complaint_id,
                at=now,
                actor=actor,
                employee_id=employee_id,
                action=f"{side}_message",
                note=text,
            )
            session.add(event)
            await session.flush()
            _add_attachments(session, complaint, event, attachments, now)
            complaint.updated_at = now
    if again is not None:
        raise again
    return complaint, event


async def check_citizen_message(
    db: Database,
    complaint_id: int,
    *,
    reporter_telegram_id: int,
    now: datetime,
    per_hour: int,
    source: tuple[int, int] | None = None,
) -> None:
    """Whether ``add_message`` would take this citizen's message, asked before anything is
    downloaded for it: raises ``Banned``, ``LookupError``, ``ComplaintClosed`` or
    ``MessageLimit`` as it would. A message stored before (delivered again) passes."""
    async with db.read() as session:
        if await _banned(session, reporter_telegram_id):
            raise Banned()
        complaint = await _open_complaint(session, complaint_id, reporter_telegram_id)
        if source is not None:
            known = await session.execute(
                select(ComplaintMessage.id).where(
                    ComplaintMessage.chat_id == source[0], ComplaintMessage.message_id == source[1]
                )
            )
            if known.first() is not None:
                return
        await _check_limit(session, complaint, now, per_hour)


async def _open_complaint(
    session: AsyncSession, complaint_id: int, reporter_telegram_id: int | None
) -> Complaint:
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None or (
        reporter_telegram_id is not None and complaint.reporter_telegram_id != reporter_telegram_id
    ):
        raise LookupError(complaint_id)
    if Status(complaint.status) in FINAL or complaint.purged_at is not None:
        raise ComplaintClosed()
    return complaint


async def _check_limit(
    session: AsyncSession, complaint: Complaint, now: datetime, per_hour: int
) -> None:
    """At most ``per_hour`` citizen messages about a complaint in any hour: each one reaches
    the unit's group, and a group takes about 20 messages a minute from the bot in all."""
    hour = timedelta(hours=1)
    sent = list(
        (
            await session.execute(
                select(ComplaintEvent.at)
                .where(
                    ComplaintEvent.complaint_id == complaint.id,
                    ComplaintEvent.action == "citizen_message",
                    ComplaintEvent.at > now - hour,
                )
                .order_by(ComplaintEvent.at)
            )
        ).scalars()
    )
    if len(sent) >= per_hour:
        raise MessageLimit(complaint.tracking_number, sent[len(sent) - per_hour] + hour)


async def _claim_incoming(
    session: AsyncSession, complaint_id: int, source: tuple[int, int], now: datetime
) -> bool:
    """Remember an incoming message under the (chat, message) key that routes replies; False if
    it was remembered before. Kind ``received`` is never a reply target."""
    values = {
        "complaint_id": complaint_id,
        "chat_id": source[0],
        "message_id": source[1],
        "kind": "received",
        "detail": {"relayed": False},
        "created_at": now,
    }
    return await insert_once(session, ComplaintMessage, values, key=["chat_id", "message_id"])


async def mark_relayed(db: Database, source: tuple[int, int]) -> None:
    """The incoming message ``source`` has been passed on (to the desk or to the citizen)."""
    async with db.write() as session:
        await session.execute(
            update(ComplaintMessage)
            .where(
                ComplaintMessage.chat_id == source[0],
                ComplaintMessage.message_id == source[1],
                ComplaintMessage.kind == "received",
            )
            .values(detail={"relayed": True})
        )


# --- Telegram messages about complaints --------------------------------------------------------


async def set_ticket(db: Database, complaint_id: int, chat_id: int, message_id: int) -> None:
    async with db.write() as session:
        await session.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id)
            .values(desk_chat_id=chat_id, ticket_message_id=message_id)
        )
        session.add(
            ComplaintMessage(
                complaint_id=complaint_id, chat_id=chat_id, message_id=message_id, kind="ticket"
            )
        )


async def remember_messages(
    db: Database,
    complaint_id: int,
    chat_id: int,
    message_ids: Sequence[int],
    kind: str,
    *,
    move: str | None = None,
    employee_id: int | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    if not message_ids:
        return
    async with db.write() as session:
        for message_id in message_ids:
            row = ComplaintMessage(
                complaint_id=complaint_id,
                chat_id=chat_id,
                message_id=message_id,
                kind=kind,
                move=move,
                employee_id=employee_id,
                detail=detail or {},
            )
            if now is not None:
                row.created_at = now
            session.add(row)


async def find_message(db: Database, chat_id: int, message_id: int) -> ComplaintMessage | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(ComplaintMessage).where(
                    ComplaintMessage.chat_id == chat_id, ComplaintMessage.message_id == message_id
                )
            )
        ).scalar_one_or_none()


async def take_prompt(db: Database, prompt_id: int) -> bool:
    """Use a question once: True for the first answer, False for any later one."""
    async with db.write() as session:
        result = await session.execute(
            delete(ComplaintMessage).where(
                ComplaintMessage.id == prompt_id, ComplaintMessage.kind == "prompt"
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


# --- Privacy ------------------------------------------------------------------------------------


async def record_disclosure(
    db: Database, complaint: Complaint, action: str, actor: str, now: datetime, **detail: Any
) -> None:
    """Personal data of a reporter was shown to staff: write it to the audit log."""
    async with db.write() as session:
        audit.record(session, actor, action, complaint.tracking_number, at=now, **detail)


async def ban_reporter(
    db: Database, tracking_number: str, reason: str, *, actor: str, now: datetime
) -> bool:
    """Ban whoever filed this complaint, without anyone having to see who that is."""
    async with db.write() as session:
        reporter = (
            await session.execute(
                select(Complaint.reporter_telegram_id).where(
                    Complaint.tracking_number == tracking_number
                )
            )
        ).scalar_one_or_none()
        if reporter is None:
            return False
        if not await _banned(session, reporter):
            session.add(
                ComplaintBan(
                    telegram_user_id=reporter, reason=reason, banned_by=actor, created_at=now
                )
            )
        audit.record(session, actor, "complaints.ban", tracking_number, at=now, reason=reason)
    return True


async def unban_reporter(db: Database, tracking_number: str, *, actor: str, now: datetime) -> bool:
    async with db.write() as session:
        reporter = select(Complaint.reporter_telegram_id).where(
            Complaint.tracking_number == tracking_number
        )
        result = await session.execute(
            delete(ComplaintBan).where(ComplaintBan.telegram_user_id.in_(reporter))
        )
        removed = bool(result.rowcount)  # type: ignore[attr-defined]
        if removed:
            audit.record(session, actor, "complaints.unban", tracking_number, at=now)
    return removed


# Outbox rows about one complaint, by their keys (written by ``scheduler.escalations`` and
# ``models.survey``): some carry the reporter's chat id, so the purge removes them all.
_OUTBOX_PREFIXES = ("escalation:", "complaint-closed:", "survey-offer:")
_OUTBOX_KEY = re.compile(r"(?:escalation|complaint-closed|survey-offer):(\d+)(?::|$)")


@dataclass
class PurgeResult:
    """What a purge removed (or, in a dry run, would remove)."""

    complaints: int = 0
    messages: int = 0  # texts in the history: messages, reasons, the resolution
    telegram_messages: int = 0  # the routing records (chat and message ids) of sent messages
    attachments: int = 0
    outbox: int = 0
    files: FileCount = field(default_factory=FileCount)


async def purge_personal_data(
    db: Database,
    *,
    closed_before: datetime,
    now: datetime,
    actor: str,
    data_dir: Path,
    dry_run: bool = False,
) -> PurgeResult:
    """Remove personal data of complaints closed before ``closed_before`` (UU 27/2022: keep
    only what is needed). Kept for statistics: kind, category, unit, privacy choice, status,
    outcome, dates and the history's moves without their text. Files are found under
    ``data_dir``; those still used by a kept complaint, an activity or a draft stay."""
    result = PurgeResult()
    unused: set[PurePosixPath] = set()
    try:
        async with db.write() as session:
            ids = list(
                (
                    await session.execute(
                        select(Complaint.id).where(
                            Complaint.status.in_([s.value for s in FINAL]),
                            Complaint.closed_at < closed_before,
                            Complaint.purged_at.is_(None),
                        )
                    )
                ).scalars()
            )
            result.complaints = len(ids)
            if ids:
                unused = await _purge_rows(session, ids, now, result)
                audit.record(
                    session,
                    actor,
                    "complaints.purge",
                    at=now,
                    complaints=len(ids),
                    before=closed_before.isoformat(),
                    messages=result.messages,
                    attachments=result.attachments,
                    outbox=result.outbox,
                )
            if dry_run:
                raise _Rollback()
    except _Rollback:
        pass
    result.files = await asyncio.to_thread(delete_files, data_dir, unused, dry_run=dry_run)
    return result


async def _purge_rows(
    session: AsyncSession, ids: list[int], now: datetime, result: PurgeResult
) -> set[PurePosixPath]:
    """Clear and delete what is personal about these complaints; the files nothing uses now."""
    stored = (
        await session.execute(
            select(ComplaintAttachment.stored_path).where(ComplaintAttachment.complaint_id.in_(ids))
        )
    ).scalars()
    candidates = {r for r in map(stored_relative, stored) if r is not None}
    await session.execute(
        update(Complaint)
        .where(Complaint.id.in_(ids))
        .values(
            reporter_telegram_id=None,
            reporter_name=None,
            contact_phone=None,
            contact_consent_at=None,
            location_text=None,
            latitude=None,
            longitude=None,
            story="",
            resolution_note=None,
            purged_at=now,
            updated_at=now,
        )
    )
    with_text = (ComplaintEvent.complaint_id.in_(ids), ComplaintEvent.note.is_not(None))
    result.messages = await _rowcount(
        session, update(ComplaintEvent).where(*with_text).values(note=None)
    )
    result.attachments = await _rowcount(
        session, delete(ComplaintAttachment).where(ComplaintAttachment.complaint_id.in_(ids))
    )
    result.telegram_messages = await _rowcount(
        session, delete(ComplaintMessage).where(ComplaintMessage.complaint_id.in_(ids))
    )
    wanted = set(ids)
    outbox_rows = [
        row_id
        for row_id, key in (
            await session.execute(
                select(OutboxMessage.id, OutboxMessage.key).where(
                    or_(*(OutboxMessage.key.startswith(p) for p in _OUTBOX_PREFIXES))
                )
            )
        ).all()
        if (match := _OUTBOX_KEY.match(key)) and int(match.group(1)) in wanted
    ]
    if outbox_rows:
        result.outbox = await _rowcount(
            session, delete(OutboxMessage).where(OutboxMessage.id.in_(outbox_rows))
        )
    # The same photo sent again with a complaint that is kept shares the stored file.
    return candidates - await referenced(session, candidates)


async def _rowcount(session: AsyncSession, statement: Any) -> int:
    return int((await session.execute(statement)).rowcount)


async def status_counts(db: Database) -> dict[tuple[str, str, str | None], int]:
    """(category code, status, outcome) → number of complaints: the statistics a purge keeps."""
    stmt = (
        select(ComplaintCategory.code, Complaint.status, Complaint.outcome, func.count())
        .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .group_by(ComplaintCategory.code, Complaint.status, Complaint.outcome)
    )
    async with db.read() as session:
        return {(c, s, o): int(n) for c, s, o, n in (await session.execute(stmt)).all()}


@dataclass
class TicketDetails:
    """What a ticket shows besides the complaint row itself."""

    category: ComplaintCategory
    unit: Unit
    assignee: Employee | None
    attachments: int
    forwarded_from: tuple[str, str | None] | None  # (unit name, reason) of the last forward


async def ticket_details(db: Database, complaint: Complaint) -> TicketDetails:
    async with db.read() as session:
        category = await session.get(ComplaintCategory, complaint.category_id)
        unit = await session.get(Unit, complaint.unit_id)
        assignee = (
            await session.get(Employee, complaint.assignee_id) if complaint.assignee_id else None
        )
        attachments = (
            await session.execute(
                select(func.count()).where(ComplaintAttachment.complaint_id == complaint.id)
            )
        ).scalar_one()
        forward = (
            await session.execute(
                select(ComplaintEvent)
                .where(
                    ComplaintEvent.complaint_id == complaint.id,
                    ComplaintEvent.action == Move.FORWARD.value,
                )
                .order_by(ComplaintEvent.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        forwarded_from = None
        if forward is not None:
            source = await session.get(Unit, forward.detail.get("from_unit_id"))
            forwarded_from = (source.name if source else "?", forward.note)
    assert category is not None and unit is not None
    return TicketDetails(category, unit, assignee, int(attachments), forwarded_from)


async def unit_codes(db: Database) -> list[str]:
    async with db.read() as session:
        return list((await session.execute(select(Unit.code).order_by(Unit.code))).scalars())
