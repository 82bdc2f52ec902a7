"""The audit log of security-relevant actions, written in the caller's transaction so that the
record and the action it describes commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import AuditEntry


def telegram_actor(user_id: int) -> str:
    return f"tg:{user_id}"


def record(
    session: AsyncSession,
    actor: str,
    action: str,
    subject: str = "",
    *,
    at: datetime | None = None,
    **detail: Any,
) -> None:
    entry = AuditEntry(actor=actor, action=action, subject=subject, detail=detail)
    if at is not None:
        entry.at = at
    session.add(entry)
