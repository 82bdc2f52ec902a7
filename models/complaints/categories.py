"""Complaint categories: the active ones a citizen chooses from, and the import that replaces
them all at once (``sigap complaints categories``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.complaints import CategoryProblem, CategoryRow, validate_categories
from models import audit
from models.complaints.errors import Rollback
from models.db import Database
from models.tables import ComplaintCategory, Unit


async def active_categories(db: Database) -> list[ComplaintCategory]:
    stmt = (
        select(ComplaintCategory)
        .where(ComplaintCategory.active)
        .order_by(ComplaintCategory.position, ComplaintCategory.id)
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def all_categories(db: Database) -> list[tuple[ComplaintCategory, str]]:
    stmt = (
        select(ComplaintCategory, Unit.code)
        .join(Unit, Unit.id == ComplaintCategory.unit_id)
        .order_by(ComplaintCategory.active.desc(), ComplaintCategory.position)
    )
    async with db.read() as session:
        return [(c, code) for c, code in (await session.execute(stmt)).all()]


@dataclass
class CategoryImport:
    problems: list[CategoryProblem] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    same: int = 0
    deactivated: int = 0


async def import_categories(
    db: Database, rows: Sequence[CategoryRow], *, dry_run: bool, actor: str, now: datetime
) -> CategoryImport:
    """All rows or none. Categories missing from the file are deactivated (complaints keep
    theirs); importing the same rows again changes nothing."""
    result = CategoryImport()
    try:
        async with db.write() as session:
            await _apply_categories(session, rows, result, now)
            if result.problems or dry_run:
                raise Rollback()
            audit.record(
                session,
                actor,
                "complaints.categories",
                at=now,
                new=result.new,
                changed=result.changed,
                deactivated=result.deactivated,
            )
    except Rollback:
        pass
    return result


async def _apply_categories(
    session: AsyncSession, rows: Sequence[CategoryRow], result: CategoryImport, now: datetime
) -> None:
    units = {code: unit_id for code, unit_id in (await session.execute(select(Unit.code, Unit.id)))}
    result.problems = validate_categories(rows, units)
    if result.problems:
        return
    existing = {c.code: c for c in (await session.execute(select(ComplaintCategory))).scalars()}
    for row in rows:
        values = {
            "name": row.name,
            "name_en": row.name_en,
            "unit_id": units[row.unit_code],
            "position": row.position,
            "active": True,
        }
        category = existing.pop(row.code, None)
        if category is None:
            result.new += 1
            session.add(ComplaintCategory(code=row.code, created_at=now, updated_at=now, **values))
        elif any(getattr(category, k) != v for k, v in values.items()):
            result.changed += 1
            for key, value in values.items():
                setattr(category, key, value)
            category.updated_at = now
        else:
            result.same += 1
    for category in existing.values():
        if category.active:
            result.deactivated += 1
            category.active, category.updated_at = False, now
