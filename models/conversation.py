"""Storage of multi-step conversations (see ``Conversation`` in ``models.tables``)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from models.db import Database
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
