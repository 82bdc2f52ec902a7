"""Who may file complaints, and how often: bans (set by staff without seeing who the reporter
is) and the count behind the daily limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.db import Database
from models.tables import Complaint, ComplaintBan

DAY = timedelta(hours=24)


async def is_banned(db: Database, telegram_id: int) -> bool:
    async with db.read() as session:
        return await banned_in(session, telegram_id)


async def banned_in(session: AsyncSession, telegram_id: int) -> bool:
    found = await session.execute(
        select(ComplaintBan.id).where(ComplaintBan.telegram_user_id == telegram_id)
    )
    return found.first() is not None


async def filed_since(db: Database, telegram_id: int, since: datetime) -> list[datetime]:
    """When this account filed complaints since ``since``, oldest first (for the daily limit)."""
    async with db.read() as session:
        return await filed_in(session, telegram_id, since)


async def filed_in(session: AsyncSession, telegram_id: int, since: datetime) -> list[datetime]:
    stmt = (
        select(Complaint.created_at)
        .where(Complaint.reporter_telegram_id == telegram_id, Complaint.created_at >= since)
        .order_by(Complaint.created_at)
    )
    return list((await session.execute(stmt)).scalars())


async def ban_reporter(
    db: Database, tracking_number: str, reason: str, *, actor: str, now: datetime
) -> bool:
    """Ban whoever filed this complaint, without anyone having to see who that is."""
    async with db.write() as session:
        reporter = (
            await session.execute(
                select(Complaint.reporter_telegram_id).where(
                    Complaint.tracking_number == tracking_number
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
        reporter = select(Complaint.reporter_telegram_id).where(
            Complaint.tracking_number == tracking_number
        )
        result = await session.execute(
            delete(ComplaintBan).where(ComplaintBan.telegram_user_id.in_(reporter))
        )
        removed = bool(result.rowcount)  # type: ignore[attr-defined]
        if removed:
            audit.record(session, actor, "complaints.unban", tracking_number, at=now)
    return removed


# Outbox rows about one complaint, by their keys (written by ``scheduler.escalations`` and
# ``models.survey``): some carry the reporter's chat id, so the purge removes them all.
