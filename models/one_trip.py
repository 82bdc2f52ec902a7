"""The busiest statements (a conversation read and moved on, the inbox) in one trip to SQLite.

Through SQLAlchemy's session each of them cost far more CPU than SQLite's own work: moving a
conversation one step on took 3.1 ms of CPU with the ORM, 1.4 ms with Core on a pooled connection
and 0.2 ms with sqlite3 itself (the commit's fsync included), and every update of a citizen's or
an employee's free text does one or two of them (bench/paths.py). A :class:`Prepared` statement
is written with SQLAlchemy Core as anywhere else and compiled once; :func:`run` then sends a
whole transaction (BEGIN IMMEDIATE, the statements, COMMIT) to SQLite in one hand-off to a
connection of its own, its values converted by the columns' own types, so what it reads and
writes is what SQLAlchemy would. On PostgreSQL the same compiled statements go straight to
asyncpg, in a transaction of SQLAlchemy's (below).

Writers queue on the database's write lock (``Database.write``'s), so SQLite still has one writer
in this process; what it commits is as durable as any other write (same pragmas). Those that queue
while another holds the lock are committed together, each in a savepoint of its own (group
commit, below).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, cast

from sqlalchemy import bindparam, insert
from sqlalchemy.dialects.sqlite import DATE as SQLiteDate
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

from models.db import Database, upsert
from models.types import UTCDateTime

if TYPE_CHECKING:
    import aiosqlite


class Earlier(NamedTuple):
    """A value taken from an earlier statement of the same trip: the first column of its first
    row (the id an INSERT … RETURNING gave), so that rows pointing at a row just written go in
    the same trip as it."""

    step: int


class Unchanged(Exception):
    """The trip's ``guard`` statement changed no row: nothing of the trip was written."""


class Outcome(NamedTuple):
    """What one statement gave: its rows (converted), and how many rows it changed."""

    rows: list[tuple[Any, ...]]
    rowcount: int


class _Compiled(NamedTuple):
    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    binds: tuple[Any, ...]
    results: tuple[Any, ...]
    computed: bool = False


class Prepared:
    """A Core statement with ``bindparam`` values (no IN lists), compiled once per dialect."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}
        # PostgreSQL: the columns' result processors, which need the type each column came
        # back as (known once the statement has been prepared on a connection).
        self._results: tuple[Any, ...] | None = None

    def compiled(self, dialect: Dialect, keys: tuple[str, ...] = ()) -> _Compiled:
        """Its SQL for ``dialect``. ``keys`` (PostgreSQL): the names of the values given, which
        say the columns of an INSERT or UPDATE that names none (an upsert's), as SQLAlchemy
        compiles for its own executions; on SQLite every column is given (``id`` as NULL)."""
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            compiled = cast(
                SQLCompiler,
                cast(ClauseElement, self.statement).compile(
                    dialect=dialect, column_keys=list(keys) if keys else None
                ),
            )
            names = tuple(compiled.positiontup or ())
            binds = tuple(_bind_processor(compiled.binds[name].type, dialect) for name in names)
            results: tuple[Any, ...] = ()
            if dialect.name == "sqlite":
                results = tuple(
                    column.type.dialect_impl(dialect).result_processor(dialect, None)
                    for column in self._columns()
                )
            # A column's default or onupdate that SQLAlchemy computes at execution (a Python
            # function): only SQLAlchemy's own execution gives it.
            computed = bool(compiled.insert_prefetch or compiled.update_prefetch)
            found = _Compiled(
                compiled.string, names, dict(compiled.params), binds, results, computed
            )
            self._compiled[(dialect.name, keys)] = found
        return found

    def results_for(self, dialect: Dialect, oids: Sequence[int]) -> tuple[Any, ...]:
        """The result processors on PostgreSQL, given the type of each column returned."""
        if self._results is None:
            self._results = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, oid)
                for column, oid in zip(self._columns(), oids, strict=False)
            )
        return self._results

    def _columns(self) -> Sequence[Any]:
        return tuple(getattr(self.statement, "exported_columns", ()))


# SQLite's default text forms of a timestamp and a day (``sqlalchemy.dialects.sqlite.DATETIME``,
# ``DATE``), which ``datetime.isoformat`` writes alike for a fraction of the CPU: every trip
# binds one or more timestamps (a conversation's ``updated_at``, an entry's ``created_at``), and
# SQLAlchemy's processors spell them through a dict and ``%`` formatting (bench/paths.py).
_DATETIME_TEXT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)
_DATE_TEXT = "%(year)04d-%(month)02d-%(day)02d"


def _bind_processor(type_: Any, dialect: Dialect) -> Any:
    """The column type's bind processor for SQLite, or one that writes the same text faster
    (``_DATETIME_TEXT``, ``_DATE_TEXT``); anything but a plain value goes to SQLAlchemy's."""
    impl = type_.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    if process is None:
        return None
    if isinstance(type_, UTCDateTime):
        stored = getattr(getattr(impl, "impl_instance", None), "_storage_format", None)
        return _utc_text(process) if stored == _DATETIME_TEXT else process
    if isinstance(impl, SQLiteDate) and getattr(impl, "_storage_format", None) == _DATE_TEXT:
        return _date_text(process)
    return process


def _utc_text(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def fast(value: Any) -> Any:
        global _last_utc
        last = _last_utc
        if value is last[0]:
            return last[1]  # a save binds its one ``now`` three or four times
        if type(value) is not datetime or value.tzinfo is None:
            return process(value)  # None, a naive value (refused), a subclass
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        # Without the "+00:00" the aware value's text ends in.
        text: str = value.isoformat(" ", "microseconds")[:26]
        _last_utc = (value, text)
        return text

    return fast


# The last timestamp ``_utc_text`` was given, and its text: one tuple, read and replaced whole.
_last_utc: tuple[Any, str | None] = (None, None)


def _date_text(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def fast(value: Any) -> Any:
        return value.isoformat() if type(value) is date else process(value)

    return fast


Step = tuple[Prepared, Mapping[str, Any]]
# On the connection's thread: the SQL, its parameters, and which of them are ``Earlier`` values
# (position, step).
_Trip = tuple[str, tuple[Any, ...], tuple[tuple[int, int], ...]]

_UPSERTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Prepared] = {}


def prepared_insert(table: Any, columns: Sequence[str], returning: Sequence[str] = ()) -> Prepared:
    """An INSERT of exactly ``columns`` (their types convert the values; no column default is
    applied, so every column that has one is given), to be built once."""
    statement = insert(table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in columns}
    )
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    return Prepared(statement)


def prepared_upsert(
    dialect: str, table: Any, key: Sequence[str], returning: Sequence[str] = ()
) -> Prepared:
    """:func:`models.db.upsert` as a :class:`Prepared` statement, made (and compiled) once per
    dialect and table: a row per key written in a transaction of its own."""
    cache_key = (dialect, table.name, tuple(key), tuple(returning))
    found = _UPSERTS.get(cache_key)
    if found is None:
        found = _UPSERTS[cache_key] = Prepared(upsert(dialect, table, key, returning))
    return found


async def run(
    db: Database, steps: Sequence[Step], *, write: bool, guard: int | None = None
) -> list[Outcome]:
    """Run ``steps`` in one transaction (``write``: committed before this returns, rolled back
    whole on error), or as reads; what each gave, in order. ``guard``: the step that must
    change a row (a flow ended by its save): if it changes none, nothing is written and
    :class:`Unchanged` is raised."""
    if not db.is_sqlite:
        return await _run_postgresql(db, steps, write=write, guard=guard)
    if db.url.database in (None, "", ":memory:"):
        # A SQLite database in memory, which no second connection would see.
        return await _run_core(db, steps, write=write, guard=guard)
    compiled = [(prepared.compiled(db.engine.dialect), values) for prepared, values in steps]
    trips = [_prepared_trip(c, values) for c, values in compiled]
    _tell_listeners(db, trips)
    try:
        if write:
            outcomes = await _in_group(db, trips, guard)
        else:
            outcomes = await _on_thread(await _connection(db, "read"), False, trips, guard)
    except sqlite3.Error as error:
        # As SQLAlchemy would raise it: ``models.db.unavailable`` knows "database is locked".
        raise DBAPIError.instance(
            trips[0][0] if trips else "", None, error, sqlite3.Error, hide_parameters=True
        ) from error
    return [
        Outcome([_converted(c, row) for row in rows], rowcount)
        for (c, _), (rows, rowcount) in zip(compiled, outcomes, strict=True)
    ]


def _tell_listeners(db: Database, trips: list[_Trip]) -> None:
    """Those of SQLAlchemy's own statements (tests count them): no cursor of SQLAlchemy's is
    involved."""
    listeners = db.engine.sync_engine.dispatch.before_cursor_execute
    if listeners:
        for sql, parameters, _ in trips:
            for listener in listeners:
                listener(None, None, sql, parameters, None, False)


def _prepared_trip(compiled: _Compiled, values: Mapping[str, Any]) -> _Trip:
    merged = {**compiled.defaults, **values}
    parameters = []
    links = []
    for position, (name, process) in enumerate(zip(compiled.names, compiled.binds, strict=True)):
        value = merged[name]
        if type(value) is Earlier:
            links.append((position, value.step))
        elif process is not None:
            value = process(value)
        parameters.append(value)
    return compiled.sql, tuple(parameters), tuple(links)


def _converted(compiled: _Compiled, row: Sequence[Any]) -> tuple[Any, ...]:
    return _processed(compiled.results, row)


def _processed(results: tuple[Any, ...], row: Sequence[Any]) -> tuple[Any, ...]:
    if not any(results):
        return tuple(row)
    return tuple(
        process(value) if process is not None else value
        for value, process in zip(row, results, strict=False)
    )


async def _on_thread(
    connection: aiosqlite.Connection, write: bool, trips: list[_Trip], guard: int | None
) -> list[tuple[list[Any], int]]:
    # aiosqlite's own way of running a function on its connection's thread (as
    # ``models.sqlite_driver`` uses it): one hand-off for the whole transaction.
    driver: Any = connection
    outcomes: list[tuple[list[Any], int]] = await driver._execute(
        _trip, driver._conn, write, trips, guard
    )
    return outcomes


def _trip(
    connection: sqlite3.Connection, write: bool, trips: list[_Trip], guard: int | None
) -> list[tuple[list[Any], int]]:
    """On the connection's thread: the whole transaction."""
    with _transaction(connection, write) as cursor:
        return _statements(cursor, trips, guard)


@contextmanager
def _transaction(connection: sqlite3.Connection, write: bool) -> Iterator[sqlite3.Cursor]:
    """A cursor, in a transaction of its own if ``write`` (BEGIN IMMEDIATE, COMMIT at the end
    of the block), rolled back whole on error."""
    cursor = connection.cursor()
    try:
        if write:
            cursor.execute("BEGIN IMMEDIATE")
        yield cursor
        if write:
            cursor.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.rollback()
        raise
    finally:
        cursor.close()


def _statements(
    cursor: sqlite3.Cursor, trips: list[_Trip], guard: int | None
) -> list[tuple[list[Any], int]]:
    outcomes: list[tuple[list[Any], int]] = []
    for index, (sql, parameters, links) in enumerate(trips):
        if links:
            filled = list(parameters)
            for position, step in links:
                filled[position] = outcomes[step][0][0][0]
            parameters = tuple(filled)
        cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        if index == guard:
            if cursor.rowcount < 0:
                # Python 3.11's sqlite3 counts no rows for a statement that begins with
                # WITH: the guard would never fire, and a stale tap would write twice.
                raise ValueError("a guard statement must begin with its UPDATE or DELETE")
            if cursor.rowcount == 0:
                raise Unchanged()
        outcomes.append((rows, cursor.rowcount))
    return outcomes


# --- group commit: the writers waiting for the write lock, in one transaction ------------------
#
# Under load most writers find the write lock taken and several dozen already waiting (measured
# on the quick log, bench/paths.py: 60 or more behind it for most of its saves), and each then
# paid for a transaction of its own: a hand-off to the connection's thread, BEGIN, COMMIT and the
# WAL's fsync, the largest part of a write's CPU. Those that queue up while the lock is held go
# together instead: one hand-off, one BEGIN IMMEDIATE and one COMMIT for the group, each writer's
# statements within a SAVEPOINT of its own, so that one that fails (a guard that changed nothing,
# a constraint) is rolled back alone and told so, and the others are written. Nobody is answered
# before the COMMIT, and a COMMIT that fails fails them all: for each writer what it was told is
# what the database holds, as with a transaction of its own, and in the order they came.


class _Writer(NamedTuple):
    trips: list[_Trip]
    guard: int | None
    answer: asyncio.Future[list[tuple[list[Any], int]]]


# Per database: the group waiting for the write lock (joined by every writer that comes before
# it has the lock), and the tasks committing groups (kept referenced until they end).
_waiting: weakref.WeakKeyDictionary[Database, list[_Writer]] = weakref.WeakKeyDictionary()
_committing: set[asyncio.Task[None]] = set()


async def _in_group(
    db: Database, trips: list[_Trip], guard: int | None
) -> list[tuple[list[Any], int]]:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[list[tuple[list[Any], int]]] = loop.create_future()
    group = _waiting.get(db)
    # (A group of another event loop's, one closed before its group's turn, is never written.)
    if group is None or group[0].answer.get_loop() is not loop:
        group = _waiting[db] = []
        task = asyncio.create_task(_commit_group(db, group))
        _committing.add(task)
        task.add_done_callback(_committing.discard)
    group.append(_Writer(trips, guard, answer))
    return await answer


async def _commit_group(db: Database, group: list[_Writer]) -> None:
    try:
        async with db._write_lock:
            if _waiting.get(db) is group:
                del _waiting[db]  # those who come from now on wait for the next group
            # A writer cancelled while it waited has written nothing, as before its turn.
            writers = [writer for writer in group if not writer.answer.done()]
            if not writers:
                return
            connection = await _connection(db, "write")
            if len(writers) == 1:
                (writer,) = writers
                found: list[Any] = [await _on_thread(connection, True, writer.trips, writer.guard)]
            else:
                driver: Any = connection  # as in ``_on_thread``: one hand-off for the group
                found = await driver._execute(
                    _group_trip, driver._conn, [(w.trips, w.guard) for w in writers]
                )
    except BaseException as error:
        if _waiting.get(db) is group:
            del _waiting[db]
        for writer in group:
            if writer.answer.done():
                continue
            if isinstance(error, asyncio.CancelledError):
                writer.answer.cancel()
            else:
                writer.answer.set_exception(error)
        if not isinstance(error, Exception | asyncio.CancelledError):
            raise
        return
    for writer, outcome in zip(writers, found, strict=True):
        if writer.answer.done():
            continue  # cancelled while the group was written
        if isinstance(outcome, BaseException):
            writer.answer.set_exception(outcome)
        else:
            writer.answer.set_result(outcome)


def _group_trip(
    connection: sqlite3.Connection, group: list[tuple[list[_Trip], int | None]]
) -> list[list[tuple[list[Any], int]] | Exception]:
    """On the connection's thread: several writers' trips in one transaction, each within a
    savepoint of its own; what each gave, or the error that rolled it back."""
    found: list[list[tuple[list[Any], int]] | Exception] = []
    with _transaction(connection, True) as cursor:
        for trips, guard in group:
            cursor.execute("SAVEPOINT writer")
            try:
                found.append(_statements(cursor, trips, guard))
            except Exception as error:
                if not connection.in_transaction:
                    # SQLite gave the whole transaction up (a full disk, an I/O error): nothing
                    # of the group is written, and every writer in it is told so.
                    raise
                cursor.execute("ROLLBACK TO writer")
                found.append(error)
            cursor.execute("RELEASE writer")
    return found


# --- PostgreSQL: the statements straight to asyncpg ---------------------------------------------
#
# Through SQLAlchemy's Core each statement took a greenlet, an execution context, its cache
# lookup and its result object, some 8 % of the bot's CPU in bench/notify_latency.py on
# PostgreSQL for a few dozen distinct statements. Here they are compiled once (as for SQLite)
# and sent to the connection's asyncpg prepared statements, the same ones SQLAlchemy's own
# executions use (its adapter's cache: prepared once per connection). The transaction stays
# SQLAlchemy's: begun as SQLAlchemy's adapter begins it, committed or rolled back as the block of
# ``db.write_connection`` ends, and an error goes through SQLAlchemy's own handling (the same
# exception classes, a lost connection invalidated with the pool's older ones).

_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


async def _run_postgresql(
    db: Database, steps: Sequence[Step], *, write: bool, guard: int | None
) -> list[Outcome]:
    dialect: Any = db.engine.dialect  # asyncpg's, with its schema cache's timestamp
    compiled = [prepared.compiled(dialect, tuple(sorted(values))) for prepared, values in steps]
    if any(c.computed for c in compiled) or not _adapter_known():
        return await _run_core(db, steps, write=write, guard=guard)
    trips = [_prepared_trip(c, values) for c, (_, values) in zip(compiled, steps, strict=True)]
    _tell_listeners(db, trips)
    outcomes: list[Outcome] = []
    # One statement is a transaction by itself (PostgreSQL commits it, or rolls it back whole
    # on error): no BEGIN and COMMIT, two round trips of the three. Most writes are one (a
    # conversation moved on a step).
    begin = write and len(trips) > 1
    async with db.write_connection() if begin else db.read_connection() as connection:
        raw = await connection.get_raw_connection()
        adapter: Any = raw.dbapi_connection  # SQLAlchemy's AsyncAdapt_asyncpg_connection
        sql, parameters = "BEGIN", ()
        try:
            if begin and adapter._transaction is None:
                await adapter._start_transaction()
            for index, ((prepared, _), (sql, parameters, links)) in enumerate(
                zip(steps, trips, strict=True)
            ):
                if links:
                    filled: list[Any] = list(parameters)
                    for position, step in links:
                        filled[position] = outcomes[step].rows[0][0]
                    parameters = tuple(filled)
                statement, attributes = await adapter._prepare(
                    sql, dialect._invalidate_schema_cache_asof
                )
                records = await statement.fetch(*parameters)
                found = _STATUS.match(statement.get_statusmsg() or "")
                count = int(found.group(1)) if found else -1
                if index == guard and count == 0:
                    raise Unchanged()  # leaving the block rolls the transaction back
                results = prepared.results_for(dialect, [a.type.oid for a in attributes or ()])
                outcomes.append(Outcome([_processed(results, r) for r in records], count))
        except Unchanged:
            raise
        except Exception as error:
            await _raise_as_sqlalchemy(connection, adapter, error, sql, parameters)
    return outcomes


# What this path uses of SQLAlchemy's asyncpg adapter, which is not its public API (SQLAlchemy
# 2.0 and 2.1 have it); another version without it takes the Core path instead.
_ADAPTER_API = ("_prepare", "_start_transaction", "_handle_exception", "_transaction")
_adapter: list[bool] = []


def _adapter_known() -> bool:
    if not _adapter:
        from sqlalchemy.dialects.postgresql import asyncpg

        known = all(hasattr(asyncpg.AsyncAdapt_asyncpg_connection, a) for a in _ADAPTER_API)
        known = known and hasattr(asyncpg.PGDialect_asyncpg, "_invalidate_schema_cache_asof")
        _adapter.append(known)
    return _adapter[0]


async def _raise_as_sqlalchemy(
    connection: AsyncConnection, adapter: Any, error: Exception, sql: str, parameters: Any
) -> NoReturn:
    """Raise ``error`` (asyncpg's) as SQLAlchemy would have from its own execution: the
    driver's error translated by its adapter, then SQLAlchemy's handling (its exception class,
    ``hide_parameters``, a lost connection invalidated with those older than it)."""
    try:
        adapter._handle_exception(error)
    except Exception as translated:
        dbapi_error = translated
    else:  # pragma: no cover (the adapter always raises)
        dbapi_error = error

    def handle(sync_connection: Any) -> NoReturn:
        sync_connection._handle_dbapi_exception(dbapi_error, sql, parameters, None, None)
        raise dbapi_error  # pragma: no cover (SQLAlchemy's handling always raises)

    await connection.run_sync(handle)
    raise AssertionError("unreachable")  # pragma: no cover


async def _run_core(
    db: Database, steps: Sequence[Step], *, write: bool, guard: int | None
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    async with db.write_connection() if write else db.read_connection() as connection:
        for index, (prepared, values) in enumerate(steps):
            given = {
                name: outcomes[value.step].rows[0][0] if type(value) is Earlier else value
                for name, value in values.items()
            }
            result = await connection.execute(prepared.statement, given)
            rows = [tuple(row) for row in result.all()] if result.returns_rows else []
            count = result.rowcount if isinstance(result, CursorResult) else -1
            if index == guard and count == 0:
                raise Unchanged()  # leaving the block rolls the transaction back
            outcomes.append(Outcome(rows, count))
    return outcomes


# --- the SQLite connections of this module: one writer, one reader per database ---------------

_connections: weakref.WeakKeyDictionary[Database, dict[str, aiosqlite.Connection]] = (
    weakref.WeakKeyDictionary()
)
_opening: weakref.WeakKeyDictionary[Database, asyncio.Lock] = weakref.WeakKeyDictionary()


async def _connection(db: Database, role: str) -> aiosqlite.Connection:
    mine = _connections.setdefault(db, {})
    found = mine.get(role)
    if found is not None:
        return found
    async with _opening.setdefault(db, asyncio.Lock()):
        if role not in mine:
            mine[role] = await _open(db)
            db.on_dispose(lambda: _close(db, role))
    return mine[role]


async def _open(db: Database) -> aiosqlite.Connection:
    import aiosqlite  # SQLite only (PostgreSQL never comes here)

    database = db.url.database or ""
    # isolation_level None: BEGIN and COMMIT are this module's, as they are models.db's.
    connection = aiosqlite.connect(database, timeout=db.busy_timeout, isolation_level=None)
    # As SQLAlchemy's own aiosqlite connections: a process that ends without disposing of the
    # database (a crash) is not kept alive by their threads.
    thread = getattr(connection, "_thread", None)
    if thread is not None:
        thread.daemon = True
    await connection
    for pragma in db.sqlite_pragmas():
        await connection.execute(pragma)
    return connection


async def _close(db: Database, role: str) -> None:
    connection = _connections.get(db, {}).pop(role, None)
    if connection is not None:
        await connection.close()
