"""SQLite statements in one trip to aiosqlite's thread instead of four.

aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes four calls per
statement: open a cursor, execute, fetch, close. Each is a hand-off between threads (a queue put,
a wake-up, a GIL switch and a call back into the event loop), and on the quick-log path they were
the largest single cost after SQLAlchemy itself (bench/paths.py, docs/architecture.md#performance).
:class:`OneTripCursor` does the four in one function on that thread; what SQLAlchemy then asks of
the cursor (description, rows, row count, last row id) is answered from what that trip brought
back. Server-side cursors (``stream_results``) keep SQLAlchemy's own adapter.

A writer's ``BEGIN IMMEDIATE`` (``models.db``) rides along with its first statement
(:func:`defer_begin`) rather than taking a trip of its own: nothing reaches the database between
the two, so the write lock is taken at the same point of the transaction, one hand-off sooner.
A transaction that ran no statement has nothing to commit or roll back, and makes no trip.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: str | None
) -> _Outcome:
    """On aiosqlite's thread: the whole statement, cursor opened and closed (after ``begin``,
    the transaction's deferred BEGIN, if any)."""
    cursor = connection.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_outcome",)

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No cursor is opened on the thread here (the base class does, a trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._outcome: _Outcome = (None, [], -1, None)

    @property
    def description(self) -> Any:
        return self._outcome[0]

    @property
    def rowcount(self) -> int:
        return self._outcome[2]

    @property
    def lastrowid(self) -> Any:
        return self._outcome[3]

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on the thread

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return self._trip(operation, seq_of_parameters, many=True)

    def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            self._outcome = await_(self._in_thread(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(self._outcome[1])

    async def _in_thread(self, operation: Any, parameters: Any, many: bool) -> _Outcome:
        driver: Any = self._connection
        async with self._adapt_connection._execute_mutex:
            begin = take_deferred_begin(driver)
            outcome: _Outcome = await driver._execute(
                _run, driver._conn, operation, parameters, many, begin
            )
            return outcome


# On aiosqlite's Connection (the adapter has fixed slots): the BEGIN its next statement sends.
_DEFERRED = "_sigap_deferred_begin"


def take_deferred_begin(driver: Any) -> str | None:
    """The BEGIN that :func:`defer_begin` left pending on this aiosqlite connection, now no
    longer pending (None if there is none)."""
    begin: str | None = getattr(driver, _DEFERRED, None)
    if begin is not None:
        setattr(driver, _DEFERRED, None)
    return begin


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor

    def commit(self) -> None:
        if take_deferred_begin(self._connection) is None:
            super().commit()

    def rollback(self) -> None:
        if take_deferred_begin(self._connection) is None:
            super().rollback()


def defer_begin(dbapi_connection: Any, begin: str) -> bool:
    """Send ``begin`` with this connection's next statement; False (nothing done) where the
    connection is not one of :class:`OneTripConnection`'s, which must send it now."""
    if not isinstance(dbapi_connection, OneTripConnection):
        return False
    setattr(dbapi_connection._connection, _DEFERRED, begin)
    return True


def use_one_trip(dbapi_connection: Any) -> None:
    """Make a new aiosqlite connection of SQLAlchemy's use :class:`OneTripCursor` (left as it
    is when it is not the adapter this module knows, e.g. another SQLAlchemy or aiosqlite)."""
    driver = getattr(dbapi_connection, "_connection", None)
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection and hasattr(driver, "_execute"):
        dbapi_connection.__class__ = OneTripConnection
