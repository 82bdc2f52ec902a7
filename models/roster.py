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

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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
    """Existing employees are updated through the ORM (few change from one import to the
    next); new ones are written with a few multi-row INSERTs and one executemany UPDATE for
    their supervisors, not an ORM object and two statements each: a city's 20,000 rows."""
    touched: dict[str, bool] = {}
    new_rows: list[dict[str, object]] = []
    for row in rows:
        wanted = {
            "name": row.name,
            "position": row.position,
            "unit_id": units[row.unit_code].id,
            "roles": format_roles(row.roles),
            "active": True,
        }
        employee = employees.get(row.nip)
        if employee is None:
            new_rows.append({"nip": row.nip, "created_at": now, "updated_at": now, **wanted})
            changes.new += 1
            continue
        differs = {k: v for k, v in wanted.items() if getattr(employee, k) != v}
        for key, value in differs.items():
            setattr(employee, key, value)
        touched[row.nip] = bool(differs)
    ids = {nip: employee.id for nip, employee in employees.items()}
    ids.update(await _insert_employees(session, new_rows))
    supervisors: list[dict[str, object]] = []
    for row in rows:
        supervisor_id = ids[row.supervisor_nip] if row.supervisor_nip else None
        employee = employees.get(row.nip)
        if employee is None:
            if supervisor_id is not None:
                supervisors.append({"b_id": ids[row.nip], "b_supervisor": supervisor_id})
        elif employee.supervisor_id != supervisor_id:
            employee.supervisor_id = supervisor_id
            touched[row.nip] = True
    if supervisors:
        table = Employee.__table__  # type: ignore[attr-defined]
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(supervisor_id=bindparam("b_supervisor")),
            supervisors,
        )
    for row in rows:
        if row.nip not in touched:
            continue  # new
        if touched[row.nip]:
            employees[row.nip].updated_at = now
            changes.changed += 1
        else:
            changes.same += 1
    await session.flush()


async def _insert_employees(
    session: AsyncSession, new_rows: Sequence[dict[str, object]]
) -> dict[str, int]:
    """Insert new employees (an executemany: SQLAlchemy sends them as batched multi-row
    INSERTs); their ids by NIP."""
    if not new_rows:
        return {}
    table = Employee.__table__  # type: ignore[attr-defined]
    statement = insert(table).returning(table.c.nip, table.c.id)
    return {nip: id_ for nip, id_ in (await session.execute(statement, list(new_rows))).all()}


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
        select(Unit.code, Employee.nip, Employee.name, TelegramLink.id, TelegramUser.blocked_at)
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(TelegramLink, TelegramLink.employee_id == Employee.id)
        .outerjoin(TelegramUser, TelegramUser.id == TelegramLink.telegram_user_id)
        .where(Employee.active)
        .order_by(Unit.code, Employee.name)
    )
    if unit_code is not None:
        stmt = stmt.where(Unit.code == unit_code)
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return [
        LinkStatus(code, nip, name, link is not None, blocked is not None)
        for code, nip, name, link, blocked in rows
    ]
