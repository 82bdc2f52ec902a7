"""Importing SKP targets: all rows or none, idempotent, updated in place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.skp import TargetProblem, TargetRow, validate_targets
from models import audit
from models.conversation import FlowEnd, finish_in, leave_counts
from models.db import Database
from models.roster import AlreadyApplied
from models.tables import Employee, SkpTarget
from models.types import stored_id


@dataclass(frozen=True)
class TargetChange:
    """A target the file changes, for the preview: whose, which, and old → new."""

    nip: str
    rhk: str
    indicator: str
    old: str
    new: str


@dataclass
class TargetImport:
    problems: list[TargetProblem] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    same: int = 0
    saved: bool = False
    changes: list[TargetChange] = field(default_factory=list)


class _Rollback(Exception):
    pass


async def import_targets(
    db: Database,
    rows: Sequence[TargetRow],
    *,
    dry_run: bool,
    actor: str,
    now: datetime,
    current_year: int,
    nips_in_reach: set[str] | None = None,
    file: dict[str, object] | None = None,
    conversation: FlowEnd | None = None,
) -> TargetImport:
    """All rows or none. ``nips_in_reach``: the employees a unit admin's file may set targets
    for (others are bad rows); ``file`` and ``conversation`` as in ``models.roster``."""
    result = TargetImport()
    try:
        async with db.write() as session:
            if conversation is not None and not await finish_in(session, *conversation[:3]):
                raise AlreadyApplied()
            employees = await _employee_ids(session)
            result.problems = validate_targets(rows, set(employees), current_year)
            if nips_in_reach is not None:
                result.problems += [
                    TargetProblem(row.line, row.nip, "other_unit")
                    for row in rows
                    if row.nip in employees and row.nip not in nips_in_reach
                ]
                result.problems.sort(key=lambda problem: problem.line)
            if result.problems:
                raise _Rollback()
            await _merge_targets(session, rows, employees, now, result)
            if dry_run:
                raise _Rollback()
            stored_file: dict[str, Any] = {"file": file} if file else {}
            audit.record(
                session,
                actor,
                "targets.import",
                at=now,
                rows=len(rows),
                new=result.new,
                changed=result.changed,
                **stored_file,
            )
            await leave_counts(session, conversation, new=result.new, changed=result.changed)
        result.saved = True
    except _Rollback:
        pass
    return result


async def _employee_ids(session: AsyncSession) -> dict[str, int]:
    """NIP → employee id, of everyone in the roster."""
    rows = await session.execute(select(col(Employee.nip), col(Employee.id)))
    return {nip: stored_id(employee_id) for nip, employee_id in rows}


async def _merge_targets(
    session: AsyncSession,
    rows: Sequence[TargetRow],
    employees: dict[str, int],
    now: datetime,
    result: TargetImport,
) -> None:
    """Add the new targets and change the changed ones, counting each in ``result``."""
    existing = {
        (t.employee_id, t.year, t.rhk, t.indicator): t
        for t in (await session.execute(select(SkpTarget))).scalars()
    }
    for row in rows:
        key = (employees[row.nip], row.year, row.rhk, row.indicator)
        target = existing.get(key)
        wanted: dict[str, Any] = {
            "target_quantity": row.target_quantity,
            "unit": row.unit,
            "kind": row.kind,
            "complaint_work": row.complaint_work,
        }
        if target is None:
            session.add(
                SkpTarget(
                    employee_id=key[0],
                    year=row.year,
                    rhk=row.rhk,
                    indicator=row.indicator,
                    created_at=now,
                    updated_at=now,
                    **wanted,
                )
            )
            result.new += 1
        elif any(getattr(target, k) != v for k, v in wanted.items()):
            result.changes.append(
                TargetChange(
                    row.nip,
                    row.rhk,
                    row.indicator,
                    _summary(
                        target.target_quantity, target.unit, target.kind, target.complaint_work
                    ),
                    _summary(row.target_quantity, row.unit, row.kind, row.complaint_work),
                )
            )
            for name, value in wanted.items():
                setattr(target, name, value)
            target.updated_at = now
            result.changed += 1
        else:
            result.same += 1


def _summary(quantity: int, unit: str, kind: str, complaint_work: bool) -> str:
    """``450 surat (utama)``, with ``, aduan`` for the target complaint work counts towards."""
    return f"{quantity} {unit} ({kind}{', aduan' if complaint_work else ''})"
