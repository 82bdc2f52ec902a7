"""Storage of multi-step conversations (see ``Conversation`` in ``models.tables``)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.files import stored_relative
from models import audit
from models.db import Database
from models.files import FileCount, delete_files, draft_files, referenced, stored_before
from models.schedule import claim_run
from models.tables import Conversation


class StaleStep(Exception):
    """Another update already moved this conversation on (a double tap, a redelivery)."""


async def load(db: Database, chat_id: int, user_id: int) -> Conversation | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(Conversation).where(
                    Conversation.chat_id == chat_id, Conversation.user_id == user_id
                )
            )
        ).scalar_one_or_none()


async def begin(
    db: Database,
    chat_id: int,
    user_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    update_id: int,
    now: datetime,
) -> Conversation:
    """Start a flow, replacing any flow this person had open in this chat."""
    async with db.write() as session:
        await session.execute(
            delete(Conversation).where(
                Conversation.chat_id == chat_id, Conversation.user_id == user_id
            )
        )
        conversation = Conversation(
            # A random start: buttons of an earlier conversation in this chat carry a version
            # that the new one will not reach, so an old summary's Save cannot save a new draft.
            version=secrets.randbelow(2**30) + 1,
            chat_id=chat_id,
            user_id=user_id,
            flow=flow,
            step=step,
            data=data,
            last_update_id=update_id,
            started_at=now,
            updated_at=now,
        )
        session.add(conversation)
    return conversation


async def _compare_and_set(
    db: Database,
    current: Conversation,
    *,
    step: str,
    version: int,
    data: dict[str, Any],
    update_id: int,
    now: datetime,
) -> Conversation:
    """Write the new state only if the row still has the version (and step) that was read:
    a double tap or a second process that got there first makes this raise ``StaleStep``."""
    async with db.write() as session:
        result = await session.execute(
            update(Conversation)
            .where(
                Conversation.id == current.id,
                Conversation.version == current.version,
                Conversation.step == current.step,
            )
            .values(step=step, data=data, last_update_id=update_id, updated_at=now, version=version)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleStep()
    return Conversation(
        id=current.id,
        chat_id=current.chat_id,
        user_id=current.user_id,
        flow=current.flow,
        step=step,
        data=data,
        last_update_id=update_id,
        version=version,
        started_at=current.started_at,
        updated_at=now,
    )


async def advance(
    db: Database,
    current: Conversation,
    step: str,
    data: dict[str, Any],
    update_id: int,
    now: datetime,
) -> Conversation:
    """Move to ``step``; the new version makes the buttons of the previous step stale."""
    return await _compare_and_set(
        db, current, step=step, version=current.version + 1, data=data, update_id=update_id, now=now
    )


async def save_data(
    db: Database, current: Conversation, data: dict[str, Any], update_id: int, now: datetime
) -> Conversation:
    """Store answers within the same step; the version stays, so the step's buttons stay
    valid."""
    return await _compare_and_set(
        db,
        current,
        step=current.step,
        version=current.version,
        data=data,
        update_id=update_id,
        now=now,
    )


async def finish(db: Database, chat_id: int, user_id: int) -> bool:
    async with db.write() as session:
        result = await session.execute(
            delete(Conversation).where(
                Conversation.chat_id == chat_id, Conversation.user_id == user_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def finish_in(
    session: AsyncSession, chat_id: int | None, user_id: int | None, version: int | None
) -> bool:
    """End the flow in the same transaction as the save (of an activity, a complaint, an
    assessment, an answer), so that a second Save (a double tap, a redelivered update) finds no
    flow and can create no second row. False if it had ended already."""
    if chat_id is None or user_id is None:
        return True
    stmt = delete(Conversation).where(
        Conversation.chat_id == chat_id, Conversation.user_id == user_id
    )
    if version is not None:
        stmt = stmt.where(Conversation.version == version)
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class DraftExpiry:
    """What ``expire_drafts`` removed; ``ran`` is False when this period's run happened before."""

    ran: bool = True
    drafts: int = 0
    files: FileCount = field(default_factory=FileCount)


async def expire_drafts(
    db: Database,
    *,
    now: datetime,
    idle: timedelta,
    data_dir: Path,
    actor: str,
    period: str | None = None,
    dry_run: bool = False,
) -> DraftExpiry:
    """Delete flows nobody answered for ``idle`` (abandoned /aduan drafts with their story,
    phone number and files), and the files that nothing points to any more in month folders
    that ended ``idle`` ago (a cancelled flow's, a failed save's). ``period``: the scheduler's
    once-a-day key (``job_run``)."""
    result = DraftExpiry()
    cutoff = now - idle
    # The last file of a month folder may have been downloaded just before it ended.
    old_months = (cutoff - timedelta(days=1)).strftime("%Y-%m")
    unused: set[PurePosixPath] = set()
    swept = await asyncio.to_thread(_files_before, data_dir, old_months)
    try:
        async with db.write() as session:
            if period is not None and not await claim_run(session, "draft_expiry", period, now):
                return DraftExpiry(ran=False)
            stale = Conversation.updated_at < cutoff
            drafts = (await session.execute(select(Conversation.data).where(stale))).scalars()
            candidates = {
                relative
                for data in drafts
                for relative in map(stored_relative, draft_files(data))
                if relative is not None
            }
            candidates |= swept
            deleted = await session.execute(delete(Conversation).where(stale))
            result.drafts = int(deleted.rowcount)  # type: ignore[attr-defined]
            if result.drafts:
                audit.record(session, actor, "drafts.expired", at=now, drafts=result.drafts)
            unused = candidates - await referenced(session, candidates)
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    result.files = await asyncio.to_thread(delete_files, data_dir, unused, dry_run=dry_run)
    return result


class _DryRun(Exception):
    """Leave the transaction without saving: only counting."""


def _files_before(data_dir: Path, month: str) -> set[PurePosixPath]:
    return set(stored_before(data_dir, month))
