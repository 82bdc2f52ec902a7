"""Column types shared by the tables, the id of a stored row, and a row's object made cheaply."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.types import TypeDecorator

Row = TypeVar("Row")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no time zone type, so a naive value would silently change meaning between the
    two databases; normalising here keeps one code path.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Telegram user and chat ids exceed 32 bits (supergroups are -100xxxxxxxxxx).
TelegramId = BigInteger


def utcnow() -> datetime:
    return datetime.now(UTC)


def stored_id(value: int | None) -> int:
    """An id the database holds: a stored row's ``id`` (the tables type it ``int | None``
    because a row not yet flushed has none), or a nullable reference that the query filtered
    on (``supervisor_id`` of people who have one)."""
    if value is None:
        raise ValueError("no id: the row is not stored yet")
    return value


def as_loaded(table_model: type[Row], columns: Mapping[str, Any]) -> Row:
    """An object of ``table_model`` holding ``columns``, built as SQLAlchemy builds the object
    of a row it loads (its class manager's new instance, the values in its dict): the same
    object ``table_model(**columns)`` makes when every column is given (a table model neither
    validates nor defaults what it is given), for a fortieth of the CPU. For the rows the hot
    paths write and hand on (conversations, receipts, the quick log's entry)."""
    new = _NEW_INSTANCE.get(table_model)
    if new is None:
        # The mappers configured first, as the ORM's first query would: an object made before
        # any (a process whose first write is a conversation's) otherwise has attributes that
        # cannot be read.
        configure_mappers()
        new = _NEW_INSTANCE[table_model] = manager_of_class(table_model).new_instance
    row: Row = new()
    row.__dict__.update(columns)
    return row


_NEW_INSTANCE: dict[type[Any], Callable[[], Any]] = {}
