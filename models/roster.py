"""Applying a roster file to the database: all rows or none, in one transaction.

Validation (``domain.roster``) runs inside the same transaction that writes, against the
employees already stored, so a supervisor may be someone imported earlier and a cycle through
stored data is caught too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.access import format_roles
from domain.roster import RosterProblem, RosterRow, validate_roster
from models import audit
from models.db import Database
from models.tables import Employee, TelegramLink, TelegramUser, Unit


@dataclass
class RosterChanges:
    units_new: int = 0
    units_changed: int = 0
    units_same: int = 0
    new: int = 0
    changed: int = 0
    same: int = 0


@dataclass
class RosterResult:
    problems: list[RosterProblem] = field(default_factory=list)
    changes: RosterChanges = field(default_factory=RosterChanges)
    saved: bool = False


class _Rollback(Exception):
    pass


async def import_roster(
    db: Database,
    rows: Sequence[RosterRow],
    *,
    dry_run: bool,
    actor: str,
    now: datetime,
    timezone: str = "Asia/Jakarta",
) -> RosterResult:
    result = RosterResult()
    try:
        async with db.write() as session:
            employees = {e.nip: e for e in (await session.execute(select(Employee))).scalars()}
            by_id = {e.id: e for e in employees.values()}
            existing = {
                nip: (by_id[e.supervisor_id].nip if e.supervisor_id in by_id else None)
                for nip, e in employees.items()
            }
            result.problems = validate_roster(rows, existing)
            if result.problems:
                raise _Rollback()
            units = await _apply_units(session, rows, result.changes, now, timezone)
            await _apply_employees(session, rows, employees, units, result.changes, now)
            await _apply_unit_parents(session, rows, units)
            if dry_run:
                raise _Rollback()
            audit.record(
                session,
                actor,
                "roster.import",
                at=now,
                rows=len(rows),
                new=result.changes.new,
                changed=result.changes.changed,
            )
        result.saved = True
    except _Rollback:
        pass
    return result


async def _apply_units(
    session: AsyncSession,
    rows: Sequence[RosterRow],
    changes: RosterChanges,
    now: datetime,
    timezone: str,
) -> dict[str, Unit]:
    units = {u.code: u for u in (await session.execute(select(Unit))).scalars()}
    names = {row.unit_code: row.unit_name for row in rows}
    for code, name in names.items():
        unit = units.get(code)
        if unit is None:
            unit = Unit(code=code, name=name, timezone=timezone, created_at=now, updated_at=now)
            session.add(unit)
            units[code] = unit
            changes.units_new += 1
        elif unit.name != name:
            unit.name, unit.updated_at = name, now
            changes.units_changed += 1
        else:
            changes.units_same += 1
    await session.flush()
    return units


async def _apply_employees(
    session: AsyncSession,
    rows: Sequence[RosterRow],
    employees: dict[str, Employee],
    units: dict[str, Unit],
    changes: RosterChanges,
    now: datetime,
) -> None:
    touched: dict[str, bool] = {}
    created: set[str] = set()
    for row in rows:
        wanted: dict[str, Any] = {
            "name": row.name,
            "position": row.position,
            "unit_id": units[row.unit_code].id,
            "roles": format_roles(row.roles),
            "active": True,
        }
        employee = employees.get(row.nip)
        if employee is None:
            employee = Employee(nip=row.nip, created_at=now, updated_at=now, **wanted)
            session.add(employee)
            employees[row.nip] = employee
            created.add(row.nip)
            touched[row.nip] = True
            changes.new += 1
            continue
        differs = {k: v for k, v in wanted.items() if getattr(employee, k) != v}
        for key, value in differs.items():
            setattr(employee, key, value)
        touched[row.nip] = bool(differs)
    await session.flush()
    for row in rows:
        employee = employees[row.nip]
        supervisor_id = employees[row.supervisor_nip].id if row.supervisor_nip else None
        if employee.supervisor_id != supervisor_id:
            employee.supervisor_id = supervisor_id
            touched[row.nip] = True
    for row in rows:
        if row.nip in created:
            continue
        if touched[row.nip]:
            employees[row.nip].updated_at = now
            changes.changed += 1
        else:
            changes.same += 1
    await session.flush()


async def _apply_unit_parents(
    session: AsyncSession, rows: Sequence[RosterRow], units: dict[str, Unit]
) -> None:
    """The roster has no "parent unit" column: a unit's parent is the unit of whoever
    supervises its head (the people in it whose supervisor works elsewhere)."""
    unit_of = {row.nip: row.unit_code for row in rows}
    votes: dict[str, Counter[str]] = {}
    for row in rows:
        boss_unit = unit_of.get(row.supervisor_nip or "")
        if boss_unit and boss_unit != row.unit_code:
            votes.setdefault(row.unit_code, Counter())[boss_unit] += 1
    for code, counter in votes.items():
        parent = units[counter.most_common(1)[0][0]]
        if units[code].parent_id != parent.id:
            units[code].parent_id = parent.id
    await session.flush()


async def get_employee(db: Database, employee_id: int) -> Employee | None:
    async with db.read() as session:
        return await session.get(Employee, employee_id)


@dataclass(frozen=True)
class LinkStatus:
    """One employee's Telegram account as the office sees it, for chasing invites."""

    unit_code: str
    nip: str
    name: str
    linked: bool
    blocked: bool  # linked, but Telegram refuses messages to them (they blocked the bot)


async def link_status(db: Database, unit_code: str | None = None) -> list[LinkStatus]:
    """Active employees (of one unit, or all) with whether they linked their account."""
    stmt = (
        select(
            col(Unit.code),
            col(Employee.nip),
            col(Employee.name),
            col(TelegramLink.id),
            col(TelegramUser.blocked_at),
        )
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .outerjoin(TelegramLink, col(TelegramLink.employee_id) == Employee.id)
        .outerjoin(TelegramUser, col(TelegramUser.id) == TelegramLink.telegram_user_id)
        .where(col(Employee.active))
        .order_by(col(Unit.code), col(Employee.name))
    )
    if unit_code is not None:
        stmt = stmt.where(col(Unit.code) == unit_code)
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return [
        LinkStatus(code, nip, name, link is not None, blocked is not None)
        for code, nip, name, link, blocked in rows
    ]
