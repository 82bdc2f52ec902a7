"""Who may file complaints, and how often: bans (set by staff without seeing who the reporter
is) and the count behind the daily limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import audit
from models.db import Database, rows_changed
from models.one_trip import Prepared, run
from models.tables import Complaint, ComplaintBan, ComplaintCategory

DAY = timedelta(hours=24)


async def is_banned(db: Database, telegram_id: int) -> bool:
    async with db.read() as session:
        return await banned_in(session, telegram_id)


async def banned_in(session: AsyncSession, telegram_id: int) -> bool:
    found = await session.execute(
        select(col(ComplaintBan.id)).where(col(ComplaintBan.telegram_user_id) == telegram_id)
    )
    return found.first() is not None


async def filed_since(db: Database, telegram_id: int, since: datetime) -> list[datetime]:
    """When this account filed complaints since ``since``, oldest first (for the daily limit)."""
    async with db.read() as session:
        return await filed_in(session, telegram_id, since)


async def filed_in(session: AsyncSession, telegram_id: int, since: datetime) -> list[datetime]:
    stmt = (
        select(col(Complaint.created_at))
        .where(
            col(Complaint.reporter_telegram_id) == telegram_id, col(Complaint.created_at) >= since
        )
        .order_by(col(Complaint.created_at))
    )
    return list((await session.execute(stmt)).scalars())


_BANS = ComplaintBan.metadata.tables["complaint_ban"]
_COMPLAINTS = Complaint.metadata.tables["complaint"]
_CATEGORIES = ComplaintCategory.metadata.tables["complaint_category"]
_BANNED = Prepared(select(_BANS.c.id).where(_BANS.c.telegram_user_id == bindparam("reporter")))
_FILED = Prepared(
    select(_COMPLAINTS.c.created_at)
    .where(
        _COMPLAINTS.c.reporter_telegram_id == bindparam("reporter"),
        _COMPLAINTS.c.created_at >= bindparam("since", type_=_COMPLAINTS.c.created_at.type),
    )
    .order_by(_COMPLAINTS.c.created_at)
)
_ANY_CATEGORY = Prepared(select(_CATEGORIES.c.id).where(_CATEGORIES.c.active.is_(True)).limit(1))


class FilingState(NamedTuple):
    """What /aduan checks before the first question: a ban, the complaints filed since the
    day's limit began (oldest first), and whether there is any category to choose."""

    banned: bool
    filed: list[datetime]
    has_categories: bool


async def filing_state(db: Database, telegram_id: int, since: datetime) -> FilingState:
    """``is_banned``, ``filed_since`` and whether any category is active, in one trip: three
    sessions of their own before every /aduan's first question (bench/notify_latency.py)."""
    banned, filed, category = await run(
        db,
        [
            (_BANNED, {"reporter": telegram_id}),
            (_FILED, {"reporter": telegram_id, "since": since}),
            (_ANY_CATEGORY, {}),
        ],
        write=False,
    )
    return FilingState(bool(banned.rows), [at for (at,) in filed.rows], bool(category.rows))


async def ban_reporter(
    db: Database, tracking_number: str, reason: str, *, actor: str, now: datetime
) -> bool:
    """Ban whoever filed this complaint, without anyone having to see who that is."""
    async with db.write() as session:
        reporter = (
            await session.execute(
                select(col(Complaint.reporter_telegram_id)).where(
                    col(Complaint.tracking_number) == tracking_number
                )
            )
        ).scalar_one_or_none()
        if reporter is None:
            return False
        if not await banned_in(session, reporter):
            session.add(
                ComplaintBan(
                    telegram_user_id=reporter, reason=reason, banned_by=actor, created_at=now
                )
            )
        audit.record(session, actor, "complaints.ban", tracking_number, at=now, reason=reason)
    return True


async def unban_reporter(db: Database, tracking_number: str, *, actor: str, now: datetime) -> bool:
    async with db.write() as session:
        reporter = select(col(Complaint.reporter_telegram_id)).where(
            col(Complaint.tracking_number) == tracking_number
        )
        removed = bool(
            await rows_changed(
                session,
                delete(ComplaintBan).where(col(ComplaintBan.telegram_user_id).in_(reporter)),
            )
        )
        if removed:
            audit.record(session, actor, "complaints.unban", tracking_number, at=now)
    return removed


# Outbox rows about one complaint, by their keys (written by ``scheduler.escalations`` and
# ``models.survey``): some carry the reporter's chat id, so the purge removes them all.
