"""Complaint categories: the active ones a citizen chooses from, and the import that replaces
them all at once (``sigap complaints categories``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.complaints import CategoryProblem, CategoryRow, validate_categories
from models import audit
from models.complaints.errors import Rollback
from models.conversation import FlowEnd, finish_in, leave_counts
from models.db import Database
from models.one_trip import Prepared, run
from models.roster import AlreadyApplied
from models.tables import ComplaintCategory, Unit


async def active_categories(db: Database) -> list[ComplaintCategory]:
    stmt = (
        select(ComplaintCategory)
        .where(col(ComplaintCategory.active))
        .order_by(col(ComplaintCategory.position), col(ComplaintCategory.id))
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


class CategoryChoice(NamedTuple):
    """What the filing shows of a category and checks of it, without an ORM object."""

    id: int
    name: str
    name_en: str
    active: bool


_CATEGORIES = ComplaintCategory.metadata.tables["complaint_category"]
_CHOICE_COLUMNS = (
    _CATEGORIES.c.id,
    _CATEGORIES.c.name,
    _CATEGORIES.c.name_en,
    _CATEGORIES.c.active,
)
_ACTIVE_CHOICES = Prepared(
    select(*_CHOICE_COLUMNS)
    .where(_CATEGORIES.c.active.is_(True))
    .order_by(_CATEGORIES.c.position, _CATEGORIES.c.id)
)
_CHOICE = Prepared(select(*_CHOICE_COLUMNS).where(_CATEGORIES.c.id == bindparam("category")))


async def category_choices(db: Database) -> list[CategoryChoice]:
    """``active_categories`` as the filing's question lists them: every step of a citizen's
    complaint reads a category or all of them, and loading them as ORM objects in a session
    of their own cost more than anything else in those steps (bench/notify_latency.py)."""
    [found] = await run(db, [(_ACTIVE_CHOICES, {})], write=False)
    return [CategoryChoice(*row) for row in found.rows]


async def category_choice(db: Database, category_id: int) -> CategoryChoice | None:
    """``category_of`` for the filing: the one category, in one trip (``category_choices``)."""
    [found] = await run(db, [(_CHOICE, {"category": category_id})], write=False)
    return CategoryChoice(*found.rows[0]) if found.rows else None


async def all_categories(db: Database) -> list[tuple[ComplaintCategory, str]]:
    stmt = (
        select(ComplaintCategory, col(Unit.code))
        .join(Unit, col(Unit.id) == ComplaintCategory.unit_id)
        .order_by(col(ComplaintCategory.active).desc(), col(ComplaintCategory.position))
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
    db: Database,
    rows: Sequence[CategoryRow],
    *,
    dry_run: bool,
    actor: str,
    now: datetime,
    file: dict[str, object] | None = None,
    conversation: FlowEnd | None = None,
) -> CategoryImport:
    """All rows or none. Categories missing from the file are deactivated (complaints keep
    theirs); importing the same rows again changes nothing. ``file`` and ``conversation``
    (the chat's preview, ended with the change: a second press raises ``AlreadyApplied``) as in
    ``models.roster.import_roster``."""
    result = CategoryImport()
    try:
        async with db.write() as session:
            if conversation is not None and not await finish_in(session, *conversation[:3]):
                raise AlreadyApplied()
            await _apply_categories(session, rows, result, now)
            if result.problems or dry_run:
                raise Rollback()
            stored_file: dict[str, Any] = {"file": file} if file else {}
            audit.record(
                session,
                actor,
                "complaints.categories",
                at=now,
                new=result.new,
                changed=result.changed,
                deactivated=result.deactivated,
                **stored_file,
            )
            await leave_counts(
                session,
                conversation,
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
    units = {
        code: unit_id
        for code, unit_id in (await session.execute(select(col(Unit.code), col(Unit.id))))
    }
    result.problems = validate_categories(rows, units)
    if result.problems:
        return
    existing = {c.code: c for c in (await session.execute(select(ComplaintCategory))).scalars()}
    for row in rows:
        values: dict[str, Any] = {
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
