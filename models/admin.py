"""What the admin's desk in the chat reads: the roster as a file shows it, the units an admin
reaches, and the audit log's last entries. Writes go through the importers
(``models.roster``, ``models.targets``) and ``models.admin_people``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import col

from models.db import Database
from models.tables import AuditEntry, Employee, SkpTarget, TelegramLink, Unit


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
            col(Employee.nip),
            col(Employee.name),
            col(Employee.position),
            col(Unit.code),
            col(Unit.name),
            col(boss.nip),
            col(Employee.roles),
        )
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .outerjoin(boss, col(boss.id) == Employee.supervisor_id)
        .where(col(Employee.active))
        .order_by(col(Unit.code), col(Employee.name))
    )
    if unit_id is not None:
        stmt = stmt.where(col(Employee.unit_id) == unit_id)
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
    """The newest audit entries, with the name of the employee behind each Telegram actor.
    For a unit admin (``unit_code``) only the entries about that unit."""
    stmt = (
        select(AuditEntry)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    )
    if unit_code is not None:
        stmt = stmt.where(col(AuditEntry.subject) == f"unit:{unit_code}")
    async with db.read() as session:
        entries = list((await session.execute(stmt)).scalars())
        ids = {
            int(e.actor[3:]) for e in entries if e.actor.startswith("tg:") and e.actor[3:].isdigit()
        }
        names: dict[int, str] = {}
        if ids:
            rows = await session.execute(
                select(col(TelegramLink.telegram_user_id), col(Employee.name))
                .join(Employee, col(Employee.id) == TelegramLink.employee_id)
                .where(col(TelegramLink.telegram_user_id).in_(ids))
            )
            names = {int(tg): name for tg, name in rows.all()}
    return [
        AuditLine(
            e.at,
            e.actor,
            names.get(_telegram_id(e.actor) or 0),
            e.action,
            e.subject,
            dict(e.detail or {}),
        )
        for e in entries
    ]


def _telegram_id(actor: str) -> int | None:
    """The Telegram id in an audit actor ``tg:<id>`` (``models.audit.telegram_actor``)."""
    head, _, rest = actor.partition(":")
    return int(rest) if head == "tg" and rest.isdigit() else None


@dataclass(frozen=True)
class TargetLine:
    """One SKP target in the columns of the targets file (with the name, for the reader)."""

    nip: str
    name: str
    year: int
    rhk: str
    indicator: str
    target_quantity: int
    unit: str
    kind: str
    complaint_work: bool = False


async def target_lines(db: Database, year: int, unit_id: int | None = None) -> list[TargetLine]:
    """The targets of a year of active employees (of one unit, or all), by unit and name."""
    stmt = (
        select(
            col(Employee.nip),
            col(Employee.name),
            col(SkpTarget.year),
            col(SkpTarget.rhk),
            col(SkpTarget.indicator),
            col(SkpTarget.target_quantity),
            col(SkpTarget.unit),
            col(SkpTarget.kind),
            col(SkpTarget.complaint_work),
        )
        .join(Employee, col(Employee.id) == SkpTarget.employee_id)
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .where(col(Employee.active), col(SkpTarget.year) == year)
        .order_by(col(Unit.code), col(Employee.name), col(SkpTarget.id))
    )
    if unit_id is not None:
        stmt = stmt.where(col(Employee.unit_id) == unit_id)
    async with db.read() as session:
        return [TargetLine(*row) for row in (await session.execute(stmt)).all()]


async def nips_of_unit(db: Database, unit_id: int) -> set[str]:
    async with db.read() as session:
        stmt = select(col(Employee.nip)).where(col(Employee.unit_id) == unit_id)
        return set((await session.execute(stmt)).scalars())
