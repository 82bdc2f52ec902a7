"""The inbox: updates fetched by long polling and not yet handled.

Telegram forgets an update once a later getUpdates asks for the ones after it, whether or not the
bot has handled it. Each fetched batch is therefore written here before the next getUpdates, and
a row is removed once its update has been handled; what a killed process leaves here is handled
first after the restart (``bot.polling``). Handlers already take an update delivered twice (a
webhook redelivery) once, so an update handled just before the kill and not yet removed is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Column,
    Text,
    any_,
    bindparam,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlmodel import Field, SQLModel, col

from models.db import Database
from models.one_trip import Prepared, run
from models.types import TelegramId, UTCDateTime


class InboxUpdate(SQLModel, table=True):
    __tablename__ = "inbox_update"

    # Telegram's update_id: unique per bot, increasing.
    id: int = Field(primary_key=True, sa_type=TelegramId, sa_column_kwargs={"autoincrement": False})
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


_TABLE = InboxUpdate.metadata.tables["inbox_update"]  # SQLModel does not type __table__
# SQLite: one statement per update, all of a batch in one trip (``models.one_trip``), compiled
# once, where one INSERT of the whole batch was compiled anew for every batch size. PostgreSQL:
# one statement for the batch (each statement there is a round trip to the server). On SQLite a
# JSON column is text: the payload is bound as the text orjson writes (``keep``), which the JSON
# type reads back as it reads its own.
_KEEP = Prepared(
    sqlite.insert(_TABLE)
    .values(
        {
            c.name: bindparam(c.name, type_=Text() if c.name == "payload" else c.type)
            for c in _TABLE.c
        }
    )
    .on_conflict_do_nothing(index_elements=["id"])
    .returning(_TABLE.c.id)
)
_FORGET = Prepared(delete(_TABLE).where(_TABLE.c.id == bindparam("id")))
# PostgreSQL: a batch of any size in one statement, prepared once (the ids, and the payloads
# as JSON text, bound as arrays), a transaction by itself: one round trip, where a session's
# BEGIN, multi-row INSERT or DELETE … IN and COMMIT were three, the statement compiled for
# each batch size.
_KEEP_BATCH = Prepared(
    text(
        "INSERT INTO inbox_update (id, payload, received_at)"
        " SELECT kept.id, CAST(kept.payload AS JSON), :received_at"
        " FROM unnest(:ids, :payloads) AS kept (id, payload)"
        " ON CONFLICT (id) DO NOTHING RETURNING inbox_update.id"
    ).bindparams(
        bindparam("ids", type_=ARRAY(BigInteger)),
        bindparam("payloads", type_=ARRAY(Text)),
        bindparam("received_at", type_=UTCDateTime),
    )
)
_FORGET_BATCH = Prepared(
    delete(_TABLE).where(_TABLE.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
)


async def keep(db: Database, updates: Sequence[dict[str, Any]], now: datetime) -> set[int]:
    """Store fetched updates (Bot API dicts); the update ids that were not stored before."""
    if not updates:
        return set()
    if not db.is_sqlite:
        values = {
            "ids": [u["update_id"] for u in updates],
            "payloads": [_json(u) for u in updates],
            "received_at": now,
        }
        (kept,) = await run(db, [(_KEEP_BATCH, values)], write=True)
        return {row[0] for row in kept.rows}
    steps = [
        (_KEEP, {"id": u["update_id"], "payload": _json(u), "received_at": now}) for u in updates
    ]
    outcomes = await run(db, steps, write=True)
    return {row[0] for outcome in outcomes for row in outcome.rows}


def _json(payload: dict[str, Any]) -> str:
    """The payload as the JSON column's text: orjson's, or the standard library's (the JSON
    type's own) for what orjson refuses (a lone surrogate, which ``json`` escapes)."""
    try:
        return orjson.dumps(payload).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(payload)


async def unhandled(db: Database) -> list[dict[str, Any]]:
    """What a previous process fetched and did not finish, oldest first."""
    async with db.read() as session:
        rows = await session.execute(select(col(InboxUpdate.payload)).order_by(col(InboxUpdate.id)))
        return [payload for (payload,) in rows]


async def handled(db: Database, update_ids: Iterable[int]) -> None:
    ids = list(update_ids)
    if not ids:
        return
    if db.is_sqlite:
        await run(db, [(_FORGET, {"id": update_id}) for update_id in ids], write=True)
        return
    await run(db, [(_FORGET_BATCH, {"ids": ids})], write=True)


async def depth(db: Database) -> int:
    """Updates fetched and not yet handled (the operator's figure)."""
    async with db.read() as session:
        statement = select(func.count()).select_from(InboxUpdate)
        return int((await session.execute(statement)).scalar_one())
