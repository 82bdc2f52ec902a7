"""The inbox (models.inbox): what is kept comes back as it was fetched, once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

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


async def test_a_batch_is_one_statement_on_postgresql(postgres_url: str) -> None:
    """Whatever its size: one statement prepared once (arrays bound), not one compiled per
    batch size in a session's transaction."""
    db = Database(postgres_url)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await inbox.keep(db, [], utcnow()) == set()
        for size in (1, 3, 250):
            ids = [size * 1000 + n for n in range(size)]
            updates: list[dict[str, Any]] = [{"update_id": i, "message": {"n": i}} for i in ids]
            assert await inbox.keep(db, [updates[0]], utcnow()) == {size * 1000}
            assert len(await inbox.keep(db, updates, utcnow())) == size - 1
            await inbox.handled(db, ids)
        assert await inbox.depth(db) == 0
        assert len(statements) == 3 * 3 + 1  # each call one statement, and depth's
        assert len({s for s in statements if s.startswith("INSERT")}) == 1
        assert len({s for s in statements if s.startswith("DELETE")}) == 1
    finally:
        await db.dispose()
