"""A one-trip statement binds timestamps and days as the same SQLite text SQLAlchemy's own
processors write (``models.one_trip``'s faster spelling of them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Date
from sqlalchemy.dialects import sqlite

from models.one_trip import _bind_processor
from models.types import UTCDateTime

DIALECT = sqlite.dialect()


Process = Callable[[Any], Any]


def _both(type_: Any) -> tuple[Process, Process]:
    """Ours, and SQLAlchemy's."""
    return _bind_processor(type_, DIALECT), type_.dialect_impl(DIALECT).bind_processor(DIALECT)


def test_a_timestamp_is_bound_as_sqlalchemy_binds_it() -> None:
    ours, theirs = _both(UTCDateTime())
    now = datetime.now(UTC)
    values = [
        None,
        now,
        datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 24, 9, 0, 1, 5, tzinfo=timezone(timedelta(hours=7))),
        datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("Asia/Jayapura")),
        datetime(5, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    # Each value twice running and again later: the last one's text is remembered.
    for value in [*values, *values[::-1], now, now, None]:
        assert ours(value) == theirs(value), value
    with pytest.raises(ValueError):
        ours(datetime(2026, 1, 1))


def test_a_day_is_bound_as_sqlalchemy_binds_it() -> None:
    ours, theirs = _both(Date())
    for value in [None, date(2026, 1, 2), date(5, 12, 31), datetime(2026, 1, 2, 3, 4)]:
        assert ours(value) == theirs(value), value
