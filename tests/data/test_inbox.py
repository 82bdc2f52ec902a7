"""The inbox (models.inbox): what is kept comes back as it was fetched, once."""

from __future__ import annotations

from models import inbox
from models.db import Database
from models.migrate import upgrade_database
from models.types import utcnow


async def test_kept_updates_come_back_as_fetched_and_once(db: Database) -> None:
    await upgrade_database(db)
    text = 'Selamat pagi ✅ «ß» 😀 \\ " \u2028'
    updates = [
        {"update_id": 11, "message": {"message_id": 1, "date": 1, "text": text}},
        # A lone surrogate (orjson refuses to write it): kept all the same.
        {"update_id": 12, "message": {"message_id": 2, "date": 1, "text": "half \ud83d"}},
        {"update_id": 13, "callback_query": {"id": "9", "data": "cz:y:1", "big": 2**62}},
    ]
    assert await inbox.keep(db, updates, utcnow()) == {11, 12, 13}
    # Fetched again (a getUpdates whose confirmation was lost): nothing new.
    assert await inbox.keep(db, updates[1:], utcnow()) == set()
    assert await inbox.unhandled(db) == updates
    await inbox.handled(db, [11, 13])
    assert await inbox.unhandled(db) == updates[1:2]
    assert await inbox.depth(db) == 1
