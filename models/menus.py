"""People's command menus following the changes that decide them.

Telegram's command menu of a linked person is set for their chat (``BotCommandScopeChat``) from
their roles and language. When something else changes those (a roster import from the chat or
the CLI, an admin unlinking a lost phone, a re-link that takes the employee away from an older
account), the new menu of each person affected is queued in the outbox inside the transaction
that made the change (:func:`queue_menus`): it exists exactly when the change does, survives a
restart, is sent once by whichever process delivers the outbox, and is paced behind the
notices people wait for (kind ``menu``: a wave, as digests are).

What the menu holds is the handlers' business (the command tables live there): the caller
passes ``menu_for``, which turns an account and its identity into the outbox payload
(``models.outbox.menu_payload``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.db import Database, in_lists
from models.identity import Identity, identities_in
from models.outbox import OutboxMessage, OutboxStatus, enqueue_many
from models.tables import TelegramLink

KIND = "menu"

# The payload of a chat's menu, from the account's id and identity after the change.
MenuFor = Callable[[int, Identity], dict[str, Any]]


async def queue_menus(
    session: AsyncSession, telegram_ids: Collection[int], menu_for: MenuFor, now: datetime
) -> int:
    """Queue the menu of each of these accounts as the caller's transaction leaves them (call
    it after the change is flushed). A menu still pending for one of them is dropped: only the
    newest says what the menu should be, and the sender passes over a row that is gone.
    Returns how many were queued."""
    ids = sorted(set(telegram_ids))
    if not ids:
        return 0
    for some in in_lists(ids):
        await session.execute(
            delete(OutboxMessage).where(
                col(OutboxMessage.kind) == KIND,
                col(OutboxMessage.status) == OutboxStatus.PENDING,
                col(OutboxMessage.chat_id).in_(some),
            )
        )
    identities = await identities_in(session, ids)
    # A new key per change: two changes within one clock tick must both be sent, in order.
    batch = uuid.uuid4().hex[:12]
    rows = [
        (f"{KIND}:{telegram_id}:{batch}", telegram_id, menu_for(telegram_id, identity))
        for telegram_id, identity in identities.items()
    ]
    return await enqueue_many(session, rows, KIND, now=now)


async def linked_accounts(session: AsyncSession, employee_ids: Collection[int]) -> list[int]:
    """The Telegram accounts linked to these employees."""
    found: list[int] = []
    for some in in_lists(employee_ids):
        stmt = select(col(TelegramLink.telegram_user_id)).where(
            col(TelegramLink.employee_id).in_(some)
        )
        found += [int(tg) for tg in (await session.execute(stmt)).scalars()]
    return found


async def refresh_menus(
    db: Database, telegram_ids: Collection[int], menu_for: MenuFor, now: datetime
) -> int:
    """:func:`queue_menus` in a transaction of its own, for a change already committed."""
    async with db.write() as session:
        return await queue_menus(session, telegram_ids, menu_for, now)
