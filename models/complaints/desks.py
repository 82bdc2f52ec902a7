"""Unit desks: the Telegram group where a unit receives its tickets, installed, moved (to
another group, or to the supergroup its group became) and removed; the units, their handlers
and the open complaints waiting for a desk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.complaints import FINAL
from models import audit
from models.db import Database
from models.outbox import enqueue
from models.tables import Complaint, ComplaintDesk, Employee, TelegramLink, Unit


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


async def unit_codes(db: Database) -> list[str]:
    async with db.read() as session:
        return list((await session.execute(select(Unit.code).order_by(Unit.code))).scalars())
