"""The audit log of security-relevant actions, written in the caller's transaction so that the
record and the action it describes commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.one_trip import Step, prepared_insert
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


_ENTRIES = AuditEntry.metadata.tables["audit_log"]  # SQLModel does not type __table__
_INSERT = prepared_insert(_ENTRIES, [c.name for c in _ENTRIES.c if c.name != "id"])


def step(actor: str, action: str, subject: str, *, at: datetime, **detail: Any) -> Step:
    """:func:`record` as a statement of a ``models.one_trip`` transaction (no ORM session)."""
    values = {"at": at, "actor": actor, "action": action, "subject": subject, "detail": detail}
    return (_INSERT, values)
