"""Notices that are said once, ever: a hint given to a person the first time it applies.

The outbox's unique key is what makes it once: the notice is a row keyed by what it is about,
and a second attempt under the same key writes nothing, across restarts and processes alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.db import Database
from models.outbox import enqueue


async def notify_once(
    db: Database, key: str, chat_id: int, kind: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Queue ``payload`` for ``chat_id`` unless a notice under ``key`` was ever queued."""
    async with db.write() as session:
        return await enqueue(session, key, chat_id, kind, payload, now=now)
