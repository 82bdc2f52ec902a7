"""SQLite statements in one trip to aiosqlite's thread instead of four, and a writer's in none.

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

A writer's statements run on the event loop's own thread (:func:`_runs_here`), and only its
COMMIT (which waits for the disk: ``synchronous=FULL``), any ``executemany`` and any statement
that binds many values (:data:`MOST_VALUES_HERE`: a multi-row write) go to aiosqlite's.
Writers queue on ``Database``'s write lock, and each trip to the thread held it for a whole turn
of a busy event loop: the thread must win the GIL from the loop's thread (up to the 5 ms switch
interval) and its answer then waits in the loop's ready queue behind everyone else's callbacks.
A report's move, a staff answer or a linking /start made 7 to 11 trips holding the lock, some
25-38 turns of the loop for 1-2 ms of SQLite's work, and every writer behind them waited
(bench/notify_latency.py at 50 units: the lock was held 77 % of the run). Here they make one
trip, their COMMIT's, and hold the lock for their own work on the loop and that trip.

Why that is safe: SQLite's connection is opened with ``check_same_thread=False`` and serialises
its own calls (``sqlite3.threadsafety`` 3), and a statement runs on the loop's thread only when
nothing else can be using the connection: every job sent to its aiosqlite thread has finished
(:class:`_Trips` counts them, a cancelled wait included), no coroutine is part-way through a trip
on it (the adapter's ``_execute_mutex``), and the transaction holds SQLite's write lock, so no
statement waits on another connection's lock. Its BEGIN IMMEDIATE is tried on the loop's thread
without waiting (``busy_timeout`` 0 for that one statement): when another process is writing,
the BEGIN and its statement go to the thread instead, to wait there up to the busy timeout.

What this can block: the loop, for as long as SQLite works on one statement. So a statement that
writes many rows stays on the thread, whose SQLite work leaves the GIL to the loop: one that binds
more than :data:`MOST_VALUES_HERE` values (a digest wave's outbox rows, 200 a statement, each with
a payload of up to 4 KB), and every ``executemany``. Each also gives the loop a turn between a
long job's statements: run here, a transaction's statements follow one another in a single step of
the loop (the wave's eight INSERTs were one step of 0.4 s, most of it SQLAlchemy compiling each
anew, which ``models.db.insert_new`` no longer does). Every other write statement touches a few
rows by key (a ticket, a conversation); the widest are the daily ones that delete a day's stale
drafts and flow receipts, or a past period's survey receipts, a few milliseconds of SQLite's work.
The retention purge, whose UPDATE and DELETEs span every complaint closed before a date, runs in
``sigap complaints purge``, a process of its own with nothing else on its loop. A statement that
may scan a large table with few values inside the bot's writer would belong on the thread too.
Readers (no BEGIN) keep every statement on the thread: they hold no lock, and their SELECTs may
be large (an export).
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

# A statement binding more values than this writes many rows (the widest table, complaint, has
# 32 columns): it runs on aiosqlite's thread even in a writer's transaction.
MOST_VALUES_HERE = 64


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: str | None
) -> _Outcome:
    """On aiosqlite's thread (or the loop's: :func:`_runs_here`): the whole statement, cursor
    opened and closed (after ``begin``, the transaction's deferred BEGIN, if any)."""
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
            if not many and not _many_values(parameters) and _runs_here(self._adapt_connection):
                self._outcome = _run(self._connection._conn, operation, parameters, False, None)
            else:
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
            if begin in _TAKES_WRITE_LOCK:
                _trips(driver).writing = True
            return outcome


# On aiosqlite's Connection (the adapter has fixed slots): the BEGIN its next statement sends.
_DEFERRED = "_sigap_deferred_begin"
# On it too: its :class:`_Trips`.
_TRIPS = "_sigap_trips"
_TAKES_WRITE_LOCK = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


class _Trips:
    """One connection's jobs on aiosqlite's thread, and whether its transaction is a writer's
    that holds SQLite's write lock."""

    __slots__ = ("busy_timeout_ms", "done", "sent", "writing")

    def __init__(self, busy_timeout_ms: int) -> None:
        self.busy_timeout_ms = busy_timeout_ms
        # Each written by one thread only: ``sent`` by the loop's, ``done`` by aiosqlite's.
        self.sent = 0
        self.done = 0
        self.writing = False


def _trips(driver: Any) -> _Trips:
    trips: _Trips = getattr(driver, _TRIPS)
    return trips


def _count_trips(driver: Any, trips: _Trips) -> None:
    """Count the jobs sent through this aiosqlite connection's ``_execute`` (all of its own
    calls, and this module's) and those its thread has finished, whether or not anyone still
    waits for them: a cancelled wait leaves the job running on the thread."""
    execute = driver._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        def job() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                trips.done += 1

        trips.sent += 1
        return await execute(job)

    driver._execute = counted


def _many_values(parameters: Any) -> bool:
    return parameters is not None and len(parameters) > MOST_VALUES_HERE


def _runs_here(adapt_connection: AsyncAdapt_dbapi_connection) -> bool:
    """Whether the next statement runs on the event loop's thread (the module's docstring says
    why and when); this takes a writer's pending BEGIN IMMEDIATE when SQLite gives it at once."""
    driver: Any = adapt_connection._connection
    trips = _trips(driver)
    connection: sqlite3.Connection | None = driver._connection
    if trips.sent != trips.done or adapt_connection._execute_mutex.locked() or connection is None:
        return False
    if trips.writing:
        if connection.in_transaction:
            return True
        trips.writing = False  # SQLite ended the transaction itself (an I/O error, a full disk)
    begin = getattr(driver, _DEFERRED, None)
    if begin not in _TAKES_WRITE_LOCK or connection.in_transaction:
        return False
    if not _begin_without_waiting(connection, begin, trips.busy_timeout_ms):
        return False  # another process is writing: the thread waits for it
    take_deferred_begin(driver)
    trips.writing = True
    return True


def _begin_without_waiting(
    connection: sqlite3.Connection, begin: str, busy_timeout_ms: int
) -> bool:
    """``begin`` if SQLite's write lock is free now; False (nothing begun) if it is not."""
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute(begin)
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return False
        raise
    finally:
        connection.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    return True


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
        _trips(self._connection).writing = False
        if take_deferred_begin(self._connection) is None:
            super().commit()

    def rollback(self) -> None:
        _trips(self._connection).writing = False
        if take_deferred_begin(self._connection) is None:
            super().rollback()


def defer_begin(dbapi_connection: Any, begin: str) -> bool:
    """Send ``begin`` with this connection's next statement; False (nothing done) where the
    connection is not one of :class:`OneTripConnection`'s, which must send it now."""
    if not isinstance(dbapi_connection, OneTripConnection):
        return False
    setattr(dbapi_connection._connection, _DEFERRED, begin)
    return True


def use_one_trip(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    """Make a new aiosqlite connection of SQLAlchemy's use :class:`OneTripCursor` (left as it
    is when it is not the adapter this module knows, e.g. another SQLAlchemy or aiosqlite).
    ``busy_timeout_ms``: the connection's busy timeout (set back after a BEGIN tried without)."""
    driver = getattr(dbapi_connection, "_connection", None)
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection and hasattr(driver, "_execute"):
        trips = _Trips(busy_timeout_ms)
        setattr(driver, _TRIPS, trips)
        _count_trips(driver, trips)
        dbapi_connection.__class__ = OneTripConnection
