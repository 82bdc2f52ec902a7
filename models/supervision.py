"""Who reports to whom: the supervisor lines the roster draws (``Employee.supervisor_id``).

Every supervisor action (approvals, team view, exports, assessments) asks these functions for the
people in reach and ``domain.access.supervision_refusal`` for the decision on one person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.db import Database
from models.tables import Employee, TelegramLink, TelegramUser

# Deep enough for any kecamatan (camat → sekcam → kasubbag → staff); also stops a loop that a
# bad roster edit could draw.
MAX_DEPTH = 8


def _chain(employee: Any, *, nesting: bool = False) -> Any:
    """Each step up from ``employee`` (a column expression: a bound id, a subquery) (depth 0)
    with the supervisor it names, to MAX_DEPTH steps: one statement instead of one per step
    (approvals check reach inside the one writer's transaction on SQLite, where each statement
    held it for a trip through the event loop)."""
    employees = Employee.metadata.tables["employee"]  # SQLModel does not type __table__
    start = (
        select(
            employees.c.id,
            employees.c.supervisor_id.label("boss"),
            literal_column("0").label("depth"),
        )
        .where(employees.c.id == employee)
        .cte("chain", recursive=True, nesting=nesting)
    )
    step = (
        select(employees.c.id, employees.c.supervisor_id, start.c.depth + 1)
        .join(start, employees.c.id == start.c.boss)
        .where(start.c.depth < MAX_DEPTH - 1)
    )
    return start.union_all(step)


def chain_statement(employee: Any) -> Any:
    """The statement of :func:`supervisor_chain` for ``employee`` (a column expression), whose
    rows :func:`chain_of` reads."""
    chain = _chain(employee)
    return select(chain.c.boss).order_by(chain.c.depth)


def reach_condition(employee: Any, supervisor: Any, *, indirect: bool) -> Any:
    """``supervisor`` is in ``employee``'s chain (nearest only unless ``indirect``), as a SQL
    condition: the part of ``domain.access.supervision_refusal`` that the roster decides, for a
    write that must still hold when it commits (``models.approvals.decide``). The same bosses
    as :func:`chain_of` (which stops at a repeat or at the employee: past it a loop only
    repeats them)."""
    # Its WITH inside the condition (``nesting``): in front of an UPDATE, Python's sqlite3
    # would not count the rows the UPDATE changed (it reads the statement's first word), and
    # a one-trip guard on it would never stop anything.
    chain = _chain(employee, nesting=True)
    return (
        select(literal_column("1"))
        .select_from(chain)
        .where(
            chain.c.boss == supervisor,
            chain.c.depth < (MAX_DEPTH if indirect else 1),
            chain.c.boss != employee,
        )
        .exists()
    )


_CHAIN = chain_statement(bindparam("employee"))


def chain_of(employee_id: int, bosses: Any) -> list[int]:
    """The chain from :func:`chain_statement`'s rows (each a boss, nearest first): up to the
    top of the tree, a loop or the employee."""
    chain: list[int] = []
    for boss in bosses:
        if boss is None or boss in chain or boss == employee_id:
            break
        chain.append(boss)
    return chain


async def supervisor_chain(session: AsyncSession, employee_id: int) -> list[int]:
    """The employee's supervisors, nearest first; empty for the top of the tree."""
    rows = await session.execute(_CHAIN, {"employee": employee_id})
    return chain_of(employee_id, rows.scalars())


async def reports_of(
    session: AsyncSession, supervisor_id: int, *, indirect: bool = False
) -> list[Employee]:
    """Active direct reports (and, with ``indirect``, everyone below them), by name."""
    found: dict[int, Employee] = {}
    frontier = [supervisor_id]
    for _ in range(MAX_DEPTH if indirect else 1):
        if not frontier:
            break
        rows = (
            await session.scalars(
                select(Employee).where(
                    col(Employee.supervisor_id).in_(frontier),
                    col(Employee.active).is_(True),
                )
            )
        ).all()
        frontier = [
            e.id for e in rows if e.id is not None and e.id not in found and e.id != supervisor_id
        ]
        for employee in rows:
            if employee.id is not None and employee.id != supervisor_id:
                found.setdefault(employee.id, employee)
    return sorted(found.values(), key=lambda e: e.name.casefold())


async def is_unit_head(session: AsyncSession, employee_id: int) -> bool:
    """A unit's head is whoever in it has a supervisor outside the unit (or none): the rule the
    roster import uses for unit parents."""
    me = await session.get(Employee, employee_id)
    if me is None:
        return False
    if me.supervisor_id is None:
        return True
    boss = await session.get(Employee, me.supervisor_id)
    return boss is None or boss.unit_id != me.unit_id


async def unit_head_chats(db: Database, unit_id: int) -> list[int]:
    """Telegram chats of the unit's heads: its supervisors whose own supervisor works
    elsewhere (or who have none), linked and not blocking the bot: the people a late
    complaint must reach."""
    stmt = (
        select(Employee, col(TelegramLink.telegram_user_id))
        .join(TelegramLink, col(TelegramLink.employee_id) == Employee.id)
        .outerjoin(TelegramUser, col(TelegramUser.id) == TelegramLink.telegram_user_id)
        .where(
            col(Employee.unit_id) == unit_id,
            col(Employee.active),
            col(TelegramUser.blocked_at).is_(None),
        )
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
        heads = []
        for employee, chat in rows:
            if "supervisor" not in employee.role_set:
                continue
            boss = (
                await session.get(Employee, employee.supervisor_id)
                if employee.supervisor_id
                else None
            )
            if boss is None or boss.unit_id != unit_id:
                heads.append(chat)
    return heads
