"""What the admin's desk in the chat reads: the roster as a file shows it, the units an admin
reaches, and the audit log's last entries. Writes go through the importers
(``models.roster``, ``models.targets``) and ``models.admin_people``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from models.db import Database
from models.tables import AuditEntry, Employee, Unit


@dataclass(frozen=True)
class RosterLine:
    """One active employee, in the columns of the roster file."""

    nip: str
    name: str
    position: str
    unit_code: str
    unit_name: str
    supervisor_nip: str
    roles: frozenset[str]


async def roster_lines(db: Database, unit_id: int | None = None) -> list[RosterLine]:
    """Active employees (of one unit, or all) by unit and name: the file an admin downloads
    and sends back."""
    boss = aliased(Employee)
    stmt = (
        select(
            Employee.nip,
            Employee.name,
            Employee.position,
            Unit.code,
            Unit.name,
            boss.nip,
            Employee.roles,
        )
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(boss, boss.id == Employee.supervisor_id)
        .where(Employee.active)
        .order_by(Unit.code, Employee.name)
    )
    if unit_id is not None:
        stmt = stmt.where(Employee.unit_id == unit_id)
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return [
        RosterLine(nip, name, position, code, unit, sup or "", frozenset(roles.split(",")))
        for nip, name, position, code, unit, sup, roles in rows
    ]


async def unit_by_id(db: Database, unit_id: int) -> Unit | None:
    async with db.read() as session:
        return await session.get(Unit, unit_id)


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    actor_name: str | None  # the employee behind a "tg:<id>" actor, when linked
    action: str
    subject: str
    detail: dict[str, Any]


async def recent_changes(
    db: Database, *, limit: int = 15, unit_code: str | None = None
) -> list[AuditLine]:
    """The newest audit entries, with the name of the employee who made each. For a unit
    admin (``unit_code``) only the entries about that unit."""
    from models.tables import TelegramLink

    stmt = (
        select(AuditEntry, Employee.name)
        .outerjoin(
            TelegramLink,
            AuditEntry.actor == ("tg:" + TelegramLink.telegram_user_id.cast(_text())),  # type: ignore[attr-defined]
        )
        .outerjoin(Employee, Employee.id == TelegramLink.employee_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    )
    if unit_code is not None:
        stmt = stmt.where(or_(AuditEntry.subject == f"unit:{unit_code}"))
    async with db.read() as session:
        rows: Sequence[Any] = (await session.execute(stmt)).all()
    return [
        AuditLine(e.at, e.actor, name, e.action, e.subject, dict(e.detail or {}))
        for e, name in rows
    ]


def _text() -> Any:
    from sqlalchemy import String

    return String()
