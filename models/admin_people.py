"""People as the admin's desk sees them: search by name or NIP, one person's card, and what an
admin does to their account (revoke invites, unlink a lost phone). Each change is audited in
the transaction that makes it; the old account of an unlinked person is told through the
outbox in that same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import aliased

from models import audit
from models.db import Database
from models.identity import employee_contact
from models.outbox import enqueue
from models.tables import Activity, Employee, Invite, TelegramLink, TelegramUser, Unit

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
    condition = func.lower(Employee.name).like(_like(query.strip().lower()), escape="\\")
    if digits.isdigit():
        condition = or_(condition, Employee.nip.like(_like(digits), escape="\\"))  # type: ignore[attr-defined]
    stmt = (
        select(Employee.id, Employee.name, Employee.nip, Unit.code, Employee.active)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(condition)
        .order_by(Employee.active.desc(), Employee.name)  # type: ignore[attr-defined]
        .limit(MAX_RESULTS)
    )
    if unit_id is not None:
        stmt = stmt.where(Employee.unit_id == unit_id)
    async with db.read() as session:
        return [PersonHit(*row) for row in (await session.execute(stmt)).all()]


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
        select(Employee, Unit.code, Unit.name, boss.name, TelegramLink.id, TelegramUser.blocked_at)
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(boss, boss.id == Employee.supervisor_id)
        .outerjoin(TelegramLink, TelegramLink.employee_id == Employee.id)
        .outerjoin(TelegramUser, TelegramUser.id == TelegramLink.telegram_user_id)
        .where(Employee.id == employee_id)
    )
    async with db.read() as session:
        row = (await session.execute(stmt)).one_or_none()
        if row is None:
            return None
        employee, code, unit_name, boss_name, link, blocked = row
        last = (
            await session.execute(
                select(func.max(Activity.work_date)).where(
                    Activity.employee_id == employee_id,
                    Activity.deleted_at.is_(None),  # type: ignore[union-attr]
                )
            )
        ).scalar_one_or_none()
        expires = (
            await session.execute(
                select(func.max(Invite.expires_at)).where(
                    Invite.employee_id == employee_id,
                    Invite.used_at.is_(None),  # type: ignore[union-attr]
                    Invite.expires_at > now,
                )
            )
        ).scalar_one_or_none()
    return PersonCard(
        employee.id,
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
        result = await session.execute(
            update(Invite)
            .where(
                Invite.employee_id == employee_id,
                Invite.used_at.is_(None),  # type: ignore[union-attr]
                Invite.expires_at > now,
            )
            .values(expires_at=now)
        )
        count = int(result.rowcount)  # type: ignore[attr-defined]
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
) -> int | None:
    """Remove the link between the employee and their Telegram account (a lost or changed
    phone); the old account is told, in its language, through the outbox. The Telegram id that
    was linked, or None if there was no link."""
    async with db.write() as session:
        contact = await employee_contact(session, employee_id)
        if contact is None:
            return None
        await session.execute(delete(TelegramLink).where(TelegramLink.employee_id == employee_id))
        audit.record(session, actor, "account.unlink", f"employee:{employee_id}", at=now)
        await enqueue(
            session,
            f"unlinked:{employee_id}:{contact.telegram_id}:{now.isoformat()}",
            contact.telegram_id,
            "unlinked",
            notice(contact.language),
            now=now,
        )
    return contact.telegram_id
