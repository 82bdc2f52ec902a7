"""Importing SKP targets: all rows or none, idempotent, updated in place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from domain.skp import TargetProblem, TargetRow, validate_targets
from models import audit
from models.db import Database
from models.tables import Employee, SkpTarget
from models.types import stored_id


@dataclass
class TargetImport:
    problems: list[TargetProblem] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    same: int = 0
    saved: bool = False


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
) -> TargetImport:
    result = TargetImport()
    try:
        async with db.write() as session:
            employees = {
                nip: stored_id(employee_id)
                for nip, employee_id in await session.execute(
                    select(col(Employee.nip), col(Employee.id))
                )
            }
            result.problems = validate_targets(rows, set(employees), current_year)
            if result.problems:
                raise _Rollback()
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
                    for name, value in wanted.items():
                        setattr(target, name, value)
                    target.updated_at = now
                    result.changed += 1
                else:
                    result.same += 1
            if dry_run:
                raise _Rollback()
            audit.record(
                session,
                actor,
                "targets.import",
                at=now,
                rows=len(rows),
                new=result.new,
                changed=result.changed,
            )
        result.saved = True
    except _Rollback:
        pass
    return result
