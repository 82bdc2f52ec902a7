"""Applying a roster file to the database: all rows or none, in one transaction.

Validation (``domain.roster``) runs inside the same transaction that writes, against the
employees already stored, so a supervisor may be someone imported earlier and a cycle through
stored data is caught too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.access import format_roles
from domain.roster import RosterProblem, RosterRow, scope_problems, validate_roster
from models import audit
from models.conversation import FlowEnd, finish_in, leave_counts
from models.db import Database
from models.menus import MenuFor, linked_accounts, queue_menus
from models.tables import Employee, TelegramLink, TelegramUser, Unit


@dataclass
class RosterChanges:
    units_new: int = 0
    units_changed: int = 0
    units_same: int = 0
    new: int = 0
    changed: int = 0
    same: int = 0
    deactivated: int = 0


@dataclass(frozen=True)
class PersonChange:
    """One employee in a preview: who, and for a change each field as (old, new)."""

    nip: str
    name: str
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RosterRefusal:
    """Why a roster that is valid row by row may still not be applied, as a code with
    parameters: ``orphaned_staff`` (someone deactivated still supervises active staff),
    ``last_admin`` (no admin would be left)."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class RosterDiff:
    """What applying the file does, person by person, for the preview in the chat."""

    new: list[PersonChange] = field(default_factory=list)
    changed: list[PersonChange] = field(default_factory=list)
    deactivated: list[PersonChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.deactivated)


@dataclass
class RosterResult:
    problems: list[RosterProblem] = field(default_factory=list)
    changes: RosterChanges = field(default_factory=RosterChanges)
    diff: RosterDiff = field(default_factory=RosterDiff)
    refusals: list[RosterRefusal] = field(default_factory=list)
    saved: bool = False


@dataclass(frozen=True)
class RosterScope:
    """Which part of the roster a file stands for. ``unit_code`` None: the whole office.
    ``deactivate_missing``: employees of that part who are not in the file leave (the file is
    the whole roster, as when an admin sends it back in the chat)."""

    unit_code: str | None = None
    deactivate_missing: bool = False


class _Rollback(Exception):
    pass


class AlreadyApplied(Exception):
    """The preview this apply came from was already applied or cancelled (a double tap)."""


async def import_roster(
    db: Database,
    rows: Sequence[RosterRow],
    *,
    dry_run: bool,
    actor: str,
    now: datetime,
    timezone: str = "Asia/Jakarta",
    scope: RosterScope = RosterScope(),
    file: dict[str, object] | None = None,
    conversation: FlowEnd | None = None,
    menus: MenuFor | None = None,
) -> RosterResult:
    """Validate and apply a roster in one transaction: all rows or none.

    The CLI and the chat share this path; a preview is the same run rolled back, so what the
    preview shows is what applying does. ``file`` (stored path, digest) goes into the audit
    entry; ``conversation`` is the chat's preview, ended in the same transaction so that a
    second press of "Terapkan" applies nothing (``AlreadyApplied``), leaving the receipt that
    confirms the same counts to that press (a double tap, a redelivery after a kill).
    ``menus``: the command menu of every linked person whose roles changed or who left (or
    came back) is queued in the same transaction (``models.menus``).
    """
    result = RosterResult()
    try:
        async with db.write() as session:
            if conversation is not None and not await finish_in(session, *conversation[:3]):
                raise AlreadyApplied()
            employees = {e.nip: e for e in (await session.execute(select(Employee))).scalars()}
            units_by_id = {u.id: u for u in (await session.execute(select(Unit))).scalars()}
            by_id = {e.id: e for e in employees.values()}
            existing = {
                nip: (by_id[e.supervisor_id].nip if e.supervisor_id in by_id else None)
                for nip, e in employees.items()
            }
            result.problems = validate_roster(rows, existing)
            if scope.unit_code is not None:
                elsewhere = {
                    nip: units_by_id[e.unit_id].code
                    for nip, e in employees.items()
                    if e.active and e.unit_id in units_by_id
                }
                result.problems += scope_problems(rows, scope.unit_code, elsewhere)
                result.problems.sort(key=lambda problem: problem.line)
            if result.problems:
                raise _Rollback()
            before = _Snapshot.of(employees.values(), units_by_id)
            admins_before = _admins(employees.values())
            units = await _apply_units(session, rows, result.changes, now, timezone)
            await _apply_employees(session, rows, employees, units, result.changes, now)
            await _apply_unit_parents(session, rows, units)
            if scope.deactivate_missing:
                _deactivate_missing(rows, employees, units, scope, result.changes, now)
            await session.flush()
            units_by_id.update({u.id: u for u in units.values()})
            result.diff = before.diff(employees.values(), units_by_id, rows)
            was_active = {nip for nip, v in before.values.items() if v["active"] == "1"}
            # New people are bulk inserted, not ORM objects: their admins are counted from the file.
            new_admins = sum(1 for r in rows if r.nip not in employees and "admin" in r.roles)
            result.refusals = _refusals(employees.values(), was_active, admins_before, new_admins)
            if dry_run or result.refusals:
                raise _Rollback()
            if menus is not None:
                accounts = await linked_accounts(session, before.menu_changes(employees.values()))
                await queue_menus(session, accounts, menus, now)
            await _record(session, result.changes, actor, now, scope, len(rows), file, conversation)
        result.saved = True
    except _Rollback:
        pass
    return result


async def _record(
    session: AsyncSession,
    n: RosterChanges,
    actor: str,
    now: datetime,
    scope: RosterScope,
    rows: int,
    file: dict[str, object] | None,
    conversation: FlowEnd | None,
) -> None:
    """The import in the audit log, and its counts left for the chat's receipt."""
    counts: dict[str, Any] = {"new": n.new, "changed": n.changed, "deactivated": n.deactivated}
    audit.record(
        session,
        actor,
        "roster.import",
        f"unit:{scope.unit_code}" if scope.unit_code else "",
        at=now,
        rows=rows,
        **counts,
        **({"file": file} if file else {}),
    )
    await leave_counts(session, conversation, **counts)


def _admins(employees: Iterable[Employee]) -> int:
    return sum(1 for e in employees if e.active and "admin" in e.role_set)


def _deactivate_missing(
    rows: Sequence[RosterRow],
    employees: dict[str, Employee],
    units: dict[str, Unit],
    scope: RosterScope,
    changes: RosterChanges,
    now: datetime,
) -> None:
    in_file = {row.nip for row in rows}
    unit_id = units[scope.unit_code].id if scope.unit_code in units else None
    for nip, employee in employees.items():
        if nip in in_file or not employee.active:
            continue
        if scope.unit_code is not None and employee.unit_id != unit_id:
            continue
        employee.active, employee.updated_at = False, now
        changes.deactivated += 1


def _refusals(
    employees: Iterable[Employee], was_active: set[str], admins_before: int, new_admins: int
) -> list[RosterRefusal]:
    """Rules on the roster as it would be: nobody active under someone who leaves with this
    file, and an admin left if there was one."""
    people = list(employees)
    by_id = {e.id: e for e in people}
    orphans: dict[int, list[str]] = {}
    for employee in people:
        boss = by_id.get(employee.supervisor_id) if employee.supervisor_id else None
        if employee.active and boss is not None and not boss.active and boss.nip in was_active:
            orphans.setdefault(boss.id or 0, []).append(employee.name)
    refusals = [
        RosterRefusal(
            "orphaned_staff",
            {"supervisor": by_id[boss_id].name, "nip": by_id[boss_id].nip, "staff": names},
        )
        for boss_id, names in orphans.items()
    ]
    if admins_before and not _admins(people) and not new_admins:
        refusals.append(RosterRefusal("last_admin"))
    return refusals


_DIFF_FIELDS = ("name", "position", "unit", "supervisor", "roles", "active")


@dataclass
class _Snapshot:
    """Each employee's fields as a preview compares them, before the file is applied."""

    values: dict[str, dict[str, str]]

    @classmethod
    def of(cls, employees: Iterable[Employee], units: dict[int | None, Unit]) -> _Snapshot:
        people = list(employees)
        return cls({e.nip: _fields(e, units, {p.id: p.nip for p in people}) for e in people})

    def menu_changes(self, employees: Iterable[Employee]) -> list[int]:
        """The employees whose menu may differ now: their roles changed, or they left or came
        back (the people new in the file have no Telegram account yet)."""
        return [
            e.id
            for e in employees
            if e.id is not None
            and (old := self.values.get(e.nip)) is not None
            and (old["roles"], old["active"]) != (e.roles, "1" if e.active else "0")
        ]

    def diff(
        self,
        employees: Iterable[Employee],
        units: dict[int | None, Unit],
        rows: Sequence[RosterRow],
    ) -> RosterDiff:
        people = list(employees)
        nips = {p.id: p.nip for p in people}
        order = {row.nip: row.line for row in rows}
        diff = RosterDiff()
        # New people are inserted in bulk, without ORM objects (``_apply_employees``): the
        # rows say who they are.
        known = {p.nip for p in people}
        diff.new = [
            PersonChange(row.nip, row.name)
            for row in rows
            if row.nip not in self.values and row.nip not in known
        ]
        for employee in sorted(people, key=lambda e: (order.get(e.nip, 0), e.name)):
            after = _fields(employee, units, nips)
            old = self.values.get(employee.nip)
            if old is None:
                diff.new.append(PersonChange(employee.nip, employee.name))
            elif old["active"] == "1" and after["active"] == "0":
                diff.deactivated.append(PersonChange(employee.nip, employee.name))
            else:
                fields = {k: (old[k], after[k]) for k in _DIFF_FIELDS if old[k] != after[k]}
                if fields:
                    diff.changed.append(PersonChange(employee.nip, employee.name, fields))
        return diff


def _fields(
    employee: Employee, units: dict[int | None, Unit], nips: dict[int | None, str]
) -> dict[str, str]:
    unit = units.get(employee.unit_id)
    return {
        "name": employee.name,
        "position": employee.position,
        "unit": unit.code if unit is not None else "",
        "supervisor": nips.get(employee.supervisor_id, "") if employee.supervisor_id else "",
        "roles": employee.roles,
        "active": "1" if employee.active else "0",
    }


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
        wanted: dict[str, Any] = {
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
        table = Employee.metadata.tables["employee"]  # SQLModel does not type __table__
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
    table = Employee.metadata.tables["employee"]  # SQLModel does not type __table__
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
