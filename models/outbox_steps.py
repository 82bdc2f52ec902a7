"""The outbox's :func:`models.outbox.enqueue` as statements of a ``models.one_trip``
transaction: a notice queued in the same trip as what it tells (a supervisor's decision), where
a session's statements each took a trip through the event loop while holding SQLite's one
writer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast

from models import outbox_wake
from models.db import dialect_insert, notified
from models.one_trip import Earlier, Prepared, Step
from models.outbox import MAX_KEY_LENGTH, OutboxMessage, OutboxStatus, validate_payload


def enqueue_steps(
    dialect: str,
    key: tuple[str, Earlier],
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
) -> list[Step]:
    """:func:`enqueue` as statements of a ``models.one_trip`` transaction, for a key that ends
    in an id written earlier in the same trip (``key``: its fixed beginning and the step that
    gave the id, as in ``review:<activity>:<history id>``). Its first step returns the row's id
    when it was written (none when the key was queued before); the caller, which has no
    session's commit to wake the sender, calls ``models.outbox_wake.committed`` once its trip
    has committed such a row."""
    prefix, written = key
    if not prefix or len(prefix) + 20 > MAX_KEY_LENGTH:
        raise ValueError(f"outbox key must be 1..{MAX_KEY_LENGTH} characters: {prefix!r}")
    validate_payload(payload)
    values = {
        "key_prefix": prefix,
        "key_id": written,
        "chat_id": chat_id,
        "kind": kind,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "not_before": None,
        "created_at": now,
        "updated_at": now,
    }
    return [(_keyed_insert(dialect), values)]


_KEYED_INSERTS: dict[str, Prepared] = {}


def _keyed_insert(dialect: str) -> Prepared:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING id`` with the key made of a bound
    beginning and an id (``enqueue_steps``), built once per dialect."""
    found = _KEYED_INSERTS.get(dialect)
    if found is None:
        table = OutboxMessage.metadata.tables["outbox_message"]
        columns = ("chat_id", "kind", "payload", "status", "attempts", "not_before")
        given = {name: bindparam(name, type_=table.c[name].type) for name in columns}
        stamps = {name: bindparam(name, type_=table.c[name].type) for name in _STAMPS}
        key = bindparam("key_prefix", type_=String) + cast(
            bindparam("key_id", type_=Integer), String
        )
        statement = dialect_insert(dialect)(table).values(key=key, **given, **stamps)
        returned: list[Any] = [table.c.id]
        if dialect == "postgresql":
            # As ``enqueue``'s: the other processes' senders told at commit, in this statement.
            returned.append(notified(outbox_wake.CHANNEL))
        found = _KEYED_INSERTS[dialect] = Prepared(
            statement.on_conflict_do_nothing(index_elements=["key"]).returning(*returned)
        )
    return found


_STAMPS = ("created_at", "updated_at")
