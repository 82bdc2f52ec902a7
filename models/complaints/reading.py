"""Reading complaints: by id, number or reporter, with their history, attachments and what a
ticket shows; the counts a purge keeps."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, true
from sqlmodel import col

from domain.complaints import Move, Status, is_final
from models.db import Database
from models.tables import (
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintEvent,
    Employee,
    TelegramUser,
    Unit,
)


async def get_complaint(db: Database, complaint_id: int) -> Complaint | None:
    async with db.read() as session:
        return await session.get(Complaint, complaint_id)


async def find_by_number(db: Database, tracking_number: str) -> Complaint | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(Complaint).where(col(Complaint.tracking_number) == tracking_number)
            )
        ).scalar_one_or_none()


async def complaints_of(db: Database, telegram_id: int, limit: int = 10) -> list[Complaint]:
    stmt = (
        select(Complaint)
        .where(col(Complaint.reporter_telegram_id) == telegram_id)
        .order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
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
        .where(col(ComplaintEvent.complaint_id) == complaint_id)
        .order_by(col(ComplaintEvent.at), col(ComplaintEvent.id))
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def attachments_of(
    db: Database, complaint_id: int, event_id: int | None = None
) -> list[ComplaintAttachment]:
    stmt = select(ComplaintAttachment).where(col(ComplaintAttachment.complaint_id) == complaint_id)
    if event_id is not None:
        stmt = stmt.where(col(ComplaintAttachment.event_id) == event_id)
    async with db.read() as session:
        return list((await session.execute(stmt.order_by(col(ComplaintAttachment.id)))).scalars())


async def citizen_chat_state(db: Database, telegram_id: int) -> tuple[str | None, bool]:
    """(language chosen, has blocked the bot) of a reporter, for relaying to them."""
    async with db.read() as session:
        user = await session.get(TelegramUser, telegram_id)
    if user is None:
        return None, False
    return user.language, user.blocked_at is not None


async def status_counts(db: Database) -> dict[tuple[str, str, str | None], int]:
    """(category code, status, outcome) → number of complaints: the statistics a purge keeps."""
    stmt = (
        select(
            col(ComplaintCategory.code), col(Complaint.status), col(Complaint.outcome), func.count()
        )
        .join(ComplaintCategory, col(ComplaintCategory.id) == Complaint.category_id)
        .group_by(col(ComplaintCategory.code), col(Complaint.status), col(Complaint.outcome))
    )
    async with db.read() as session:
        return {(c, s, o): int(n) for c, s, o, n in (await session.execute(stmt)).all()}


@dataclass
class TicketDetails:
    """What a ticket shows besides the complaint row itself: the assignee only while the
    complaint is open, where it was forwarded from only while it is ``dialihkan``."""

    category: ComplaintCategory
    unit: Unit
    assignee: Employee | None
    attachments: int
    forwarded_from: tuple[str, str | None] | None  # (unit name, reason) of the last forward


async def ticket_details(db: Database, complaint: Complaint) -> TicketDetails:
    # The category, the unit and the count in one statement: a ticket is rendered at every
    # move, and each statement is a trip through the event loop (bench/notify_latency.py).
    attached = (
        select(func.count())
        .where(col(ComplaintAttachment.complaint_id) == complaint.id)
        .scalar_subquery()
    )
    async with db.read() as session:
        category, unit, attachments = (
            await session.execute(
                # One row of each: joined on true, so SQLAlchemy does not warn of a cartesian
                # product (which a one-row pair is not).
                select(ComplaintCategory, Unit, attached)
                .join_from(ComplaintCategory, Unit, true())
                .where(
                    col(ComplaintCategory.id) == complaint.category_id,
                    col(Unit.id) == complaint.unit_id,
                )
            )
        ).one()
        # The assignee and the last forward only where the ticket shows them (an open
        # complaint's assignee; where a forwarded one came from): a statement less each at
        # most renders.
        status = Status(complaint.status)
        assignee = (
            await session.get(Employee, complaint.assignee_id)
            if complaint.assignee_id and not is_final(status)
            else None
        )
        forward = None
        if status is Status.DIALIHKAN:
            forward = (
                await session.execute(
                    select(ComplaintEvent)
                    .where(
                        col(ComplaintEvent.complaint_id) == complaint.id,
                        col(ComplaintEvent.action) == Move.FORWARD.value,
                    )
                    .order_by(col(ComplaintEvent.id).desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        forwarded_from = None
        if forward is not None:
            source = await session.get(Unit, forward.detail.get("from_unit_id"))
            forwarded_from = (source.name if source else "?", forward.note)
    assert category is not None and unit is not None
    return TicketDetails(category, unit, assignee, int(attachments), forwarded_from)


@dataclass
class ComplaintRecord:
    """Everything a complaint's export for SP4N-LAPOR! carries (``services.lapor``): the row,
    its category and unit, its attachments and its history, with the units' names by id for
    the forwards in it. Who reported it is on the row; the export decides what it shows."""

    complaint: Complaint
    category: ComplaintCategory
    unit: Unit
    attachments: list[ComplaintAttachment]
    events: list[ComplaintEvent]
    unit_names: dict[int, str]


async def complaint_record(db: Database, complaint_id: int) -> ComplaintRecord | None:
    """None for a complaint that does not exist or whose personal data was purged."""
    async with db.read() as session:
        complaint = await session.get(Complaint, complaint_id)
        if complaint is None or complaint.purged_at is not None:
            return None
        category = await session.get(ComplaintCategory, complaint.category_id)
        units = {u.id: u for u in (await session.execute(select(Unit))).scalars()}
        attachments = (
            await session.execute(
                select(ComplaintAttachment)
                .where(col(ComplaintAttachment.complaint_id) == complaint_id)
                .order_by(col(ComplaintAttachment.id))
            )
        ).scalars()
        events = (
            await session.execute(
                select(ComplaintEvent)
                .where(col(ComplaintEvent.complaint_id) == complaint_id)
                .order_by(col(ComplaintEvent.at), col(ComplaintEvent.id))
            )
        ).scalars()
        assert category is not None
        return ComplaintRecord(
            complaint,
            category,
            units[complaint.unit_id],
            list(attachments),
            list(events),
            {i: u.name for i, u in units.items() if i is not None},
        )
