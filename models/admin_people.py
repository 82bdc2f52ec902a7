"""People as the admin's desk sees them: search by name or NIP, one person's card, and what an
admin does to their account (revoke invites, unlink a lost phone). Each change is audited in
the transaction that makes it; the old account of an unlinked person is told through the
outbox in that same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import col

from models import audit
from models.db import Database, rows_changed
from models.identity import employee_contact
from models.menus import MenuFor, queue_menus
from models.outbox import enqueue
from models.tables import Activity, Employee, Invite, TelegramLink, TelegramUser, Unit
from models.types import stored_id

MAX_RESULTS = 10


@dataclass(frozen=True)
class PersonHit:
    id: int
    name: str
    nip: str
    unit_code: str
    active: bool


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_people(db: Database, query: str, unit_id: int | None) -> list[PersonHit]:
    """Up to ``MAX_RESULTS`` employees whose name or NIP contains ``query`` (case ignored), of
    one unit or all; active ones first."""
    digits = "".join(query.split())
    condition: ColumnElement[bool] = func.lower(col(Employee.name)).like(
        _like(query.strip().lower()), escape="\\"
    )
    if digits.isdigit():
        condition = or_(condition, col(Employee.nip).like(_like(digits), escape="\\"))
    stmt = (
        select(
            col(Employee.id),
            col(Employee.name),
            col(Employee.nip),
            col(Unit.code),
            col(Employee.active),
        )
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .where(condition)
        .order_by(col(Employee.active).desc(), col(Employee.name))
        .limit(MAX_RESULTS)
    )
    if unit_id is not None:
        stmt = stmt.where(col(Employee.unit_id) == unit_id)
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return [
        PersonHit(stored_id(employee_id), name, nip, unit, active)
        for employee_id, name, nip, unit, active in rows
    ]


@dataclass(frozen=True)
class PersonCard:
    id: int
    nip: str
    name: str
    position: str
    unit_id: int
    unit_code: str
    unit_name: str
    supervisor: str | None
    roles: frozenset[str]
    active: bool
    linked: bool
    blocked: bool
    last_entry: date | None
    invite_expires: datetime | None  # an unused invite still valid


async def person_card(db: Database, employee_id: int, now: datetime) -> PersonCard | None:
    boss = aliased(Employee)
    stmt = (
        select(
            Employee,
            col(Unit.code),
            col(Unit.name),
            col(boss.name),
            col(TelegramLink.id),
            col(TelegramUser.blocked_at),
        )
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .outerjoin(boss, col(boss.id) == Employee.supervisor_id)
        .outerjoin(TelegramLink, col(TelegramLink.employee_id) == Employee.id)
        .outerjoin(TelegramUser, col(TelegramUser.id) == TelegramLink.telegram_user_id)
        .where(col(Employee.id) == employee_id)
    )
    async with db.read() as session:
        row = (await session.execute(stmt)).one_or_none()
        if row is None:
            return None
        employee, code, unit_name, boss_name, link, blocked = row
        last = (
            await session.execute(
                select(func.max(col(Activity.work_date))).where(
                    col(Activity.employee_id) == employee_id,
                    col(Activity.deleted_at).is_(None),
                )
            )
        ).scalar_one_or_none()
        expires = (
            await session.execute(
                select(func.max(col(Invite.expires_at))).where(
                    col(Invite.employee_id) == employee_id,
                    col(Invite.used_at).is_(None),
                    col(Invite.expires_at) > now,
                )
            )
        ).scalar_one_or_none()
    return PersonCard(
        stored_id(employee.id),
        employee.nip,
        employee.name,
        employee.position,
        employee.unit_id,
        code,
        unit_name,
        boss_name,
        employee.role_set,
        employee.active,
        link is not None,
        blocked is not None,
        last,
        expires,
    )


async def revoke_invites(db: Database, employee_id: int, *, actor: str, now: datetime) -> int:
    """Unused invite links of this employee stop working; how many did."""
    async with db.write() as session:
        result = await rows_changed(
            session,
            update(Invite)
            .where(
                col(Invite.employee_id) == employee_id,
                col(Invite.used_at).is_(None),
                col(Invite.expires_at) > now,
            )
            .values(expires_at=now),
        )
        count = int(result)
        if count:
            audit.record(session, actor, "invite.revoke", f"employee:{employee_id}", at=now)
    return count


async def unlink_account(
    db: Database,
    employee_id: int,
    *,
    actor: str,
    now: datetime,
    notice: Callable[[str | None], dict[str, Any]],
    menus: MenuFor | None = None,
) -> int | None:
    """Remove the link between the employee and their Telegram account (a lost or changed
    phone); the old account is told, in its language, through the outbox, and gets back the
    menu of someone who is not an employee (``menus``). The Telegram id that was linked, or
    None if there was no link."""
    async with db.write() as session:
        contact = await employee_contact(session, employee_id)
        if contact is None:
            return None
        await session.execute(
            delete(TelegramLink).where(col(TelegramLink.employee_id) == employee_id)
        )
        audit.record(session, actor, "account.unlink", f"employee:{employee_id}", at=now)
        await enqueue(
            session,
            f"unlinked:{employee_id}:{contact.telegram_id}:{now.isoformat()}",
            contact.telegram_id,
            "unlinked",
            notice(contact.language),
            now=now,
        )
        if menus is not None:
            await queue_menus(session, [contact.telegram_id], menus, now)
    return contact.telegram_id
