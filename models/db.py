"""The database engine: one code path for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Reads use ``db.read()``; anything that changes data uses ``db.write()``, which commits on exit
(acknowledged means durable) and rolls back on error. On SQLite, writers begin with
``BEGIN IMMEDIATE`` so that two writers never both read and then fail to upgrade their lock (the
classic "database is locked" lost update); inside one process they also queue on a lock instead
of spinning on the busy timeout, because a burst of writers through a connection pool produced
``database is locked`` even with a 5 s timeout (perf-notes.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Delete, Table, Update, event, literal_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    InvalidatePoolError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.dml import Insert

from models.sqlite_driver import defer_begin, take_deferred_begin, use_one_trip

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

SQLITE_BUSY_TIMEOUT_S = 15


class DatabaseConfigError(Exception):
    """DATABASE_URL cannot be used; the message is one line for the operator."""


class Database:
    def __init__(
        self, url: str, *, echo: bool = False, busy_timeout: float = SQLITE_BUSY_TIMEOUT_S
    ) -> None:
        try:
            self.url = make_url(url)
        except ArgumentError:
            raise DatabaseConfigError(f"DATABASE_URL is not a database URL: {url!r}") from None
        backend = self.url.get_backend_name()
        if backend not in {"sqlite", "postgresql"}:
            raise DatabaseConfigError(
                f"DATABASE_URL uses {backend!r}; Sigap supports sqlite and postgresql"
            )
        self.is_sqlite = backend == "sqlite"
        self.dialect = backend  # the SQL spoken: "sqlite" or "postgresql"
        if self.is_sqlite and self.url.drivername != "sqlite+aiosqlite":
            self.url = self.url.set(drivername="sqlite+aiosqlite")
        if not self.is_sqlite and self.url.drivername != "postgresql+asyncpg":
            self.url = self.url.set(drivername="postgresql+asyncpg")
        self._echo = echo
        # SQLite: how long a writer waits for another process's write lock before giving up
        # with "database is locked" (``unavailable``).
        self.busy_timeout = busy_timeout
        self._engine: AsyncEngine | None = None
        self._write_lock = asyncio.Lock()
        # What else holds connections to this database (``models.one_trip``), closed with it.
        self._on_dispose: list[Callable[[], Awaitable[None]]] = []

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> AsyncEngine:
        # hide_parameters: a failed statement's exception (logged, and once sent to operators)
        # would otherwise quote the values being saved: a complaint's story, a reporter's name.
        kwargs: dict[str, Any] = {"echo": self._echo, "hide_parameters": True}
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread: a writer's statements after its first run on the event loop's
            # thread, between trips to aiosqlite's (``models.sqlite_driver``). SQLAlchemy sets it
            # for a file but not for ":memory:".
            kwargs["connect_args"] = {"timeout": self.busy_timeout, "check_same_thread": False}
            # As many connections as before (SQLAlchemy's 5 + 10 overflow), all kept: an
            # overflow connection was closed when handed back and opened again at the next
            # burst, each a thread started and stopped and its pragmas sent (some 300 in a
            # notify bench run of 20 units).
            kwargs.update(pool_size=15, max_overflow=0)
        else:
            # The same: 20 at most as before (10 + 10), all kept open rather than 10 of them
            # reconnected (and authenticated) at every burst. Last in, first out: under light
            # load the same few connections serve every request and stay warm, so that few
            # sit idle long enough to be pinged (``_check_on_checkout``).
            kwargs.update(pool_size=20, max_overflow=0, pool_use_lifo=True)
            # Each connection keeps its prepared statements (SQLAlchemy's cache, 100 by
            # default). bench/notify_latency.py alone runs some 180 distinct ones (each
            # connection met about 86 of them there); a long-running bot meets them all, and
            # each one pushed out of the cache is prepared again when next run (a round trip,
            # and asyncpg's codecs built anew).
            kwargs["connect_args"] = {"prepared_statement_cache_size": 500}
        engine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(engine, self.sqlite_pragmas(), int(self.busy_timeout * 1000))
            self._read_engine = engine
        else:
            _configure_postgresql(engine)
            # Readers without BEGIN and ROLLBACK, as on SQLite: two round trips less per read
            # session. Under READ COMMITTED (PostgreSQL's default, and Sigap's) each statement
            # of a transaction takes a snapshot of its own anyway, so a read session sees what
            # it saw inside one; anything that locks rows (FOR UPDATE) or writes is a
            # ``write``'s.
            self._read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        # Session.info names the database, for after-commit hooks (models/outbox_wake.py).
        info = {"database": self}
        self._sessions = async_sessionmaker(self._read_engine, expire_on_commit=False, info=info)
        self._write_engine = engine.execution_options(sigap_begin="BEGIN IMMEDIATE")
        self._write_sessions = async_sessionmaker(
            self._write_engine, expire_on_commit=False, info=info
        )
        return engine

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        _ = self.engine
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction, committed when the block ends without error."""
        _ = self.engine
        if self.is_sqlite:
            async with self._write_lock, self._write_sessions() as session, session.begin():
                yield session
        else:
            async with self._write_sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def read_connection(self) -> AsyncIterator[AsyncConnection]:
        """``read`` for SQLAlchemy Core: a connection whose statements only read."""
        _ = self.engine
        async with self._read_engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def write_connection(self) -> AsyncIterator[AsyncConnection]:
        """``write`` for SQLAlchemy Core: a connection in one transaction, committed when the
        block ends without error."""
        _ = self.engine
        if self.is_sqlite:
            async with self._write_lock, self._write_engine.begin() as connection:
                yield connection
        else:
            async with self._write_engine.begin() as connection:
                yield connection

    def sqlite_pragmas(self) -> list[str]:
        """What every SQLite connection to this database is set up with."""
        return [
            "PRAGMA journal_mode=WAL",
            # FULL: a commit survives power loss, not just a killed process; writes are few.
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}",
        ]

    def on_dispose(self, close: Callable[[], Awaitable[None]]) -> None:
        self._on_dispose.append(close)

    async def dispose(self) -> None:
        closing, self._on_dispose = self._on_dispose, []
        for close in closing:
            await close()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _configure_sqlite(engine: AsyncEngine, pragmas: list[str], busy_timeout_ms: int) -> None:
    dialect = engine.sync_engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        # A ROLLBACK with no transaction open is a no-op for SQLite but a thread hand-off for
        # aiosqlite, and readers (no BEGIN) paid it twice per session: at the session's end and
        # at the pool's reset. aiosqlite's ``in_transaction`` is read without its thread; where
        # it cannot be read, the rollback happens.
        driver = getattr(dbapi_connection, "_connection", None)
        if take_deferred_begin(driver) is not None:
            return  # its BEGIN never went out: no statement ran
        if getattr(driver, "in_transaction", True):
            rollback(dbapi_connection)

    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010 (mypy: no assigning to a method)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # A statement is one trip to aiosqlite's thread, or a writer's none.
        use_one_trip(dbapi_connection, busy_timeout_ms)
        # Take over BEGIN from the driver so that we can choose IMMEDIATE for writers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front, with their first statement (on the event loop's
        # thread when the lock is free: ``models.sqlite_driver``). Readers run each statement on
        # its own (autocommit) and skip BEGIN: one thread round trip less per read, and in WAL mode
        # a single statement always sees one consistent snapshot anyway.
        begin = conn.get_execution_options().get("sigap_begin")
        if begin and not defer_begin(conn.connection.dbapi_connection, begin):
            conn.exec_driver_sql(begin)


# How long a PostgreSQL connection may sit unused in the pool before it is pinged when taken.
IDLE_PING_SECONDS = 5.0
_RETURNED_AT = "sigap_returned_at"


def _configure_postgresql(engine: AsyncEngine) -> None:
    """Check a pooled connection before it is handed out, in place of SQLAlchemy's
    ``pool_pre_ping``, which spent three round trips (BEGIN, an empty query, ROLLBACK) on every
    checkout: every read session and every write, some 43 % of the bot's round trips in
    ``bench/notify_latency.py``, and their CPU on the event loop.

    - A connection the server closed (a restart, ``pg_terminate_backend``, an idle timeout, a
      proxy gone) has told the driver so: asyncpg reads its socket whenever the event loop runs
      and marks it closed at the end of the stream. Asking costs nothing; such a connection is
      replaced with a new one before anything runs on it.
    - A connection that sat unused for ``IDLE_PING_SECONDS`` is pinged as before: a network
      that dropped it without a word (a NAT or firewall timeout, a failover to another host)
      shows only when something is sent. If the ping fails, every connection made before it
      is replaced, as ``pool_pre_ping`` did.

    The trade-off: a connection used within the last few seconds whose server went away
    without the end of the stream having reached us yet (the few milliseconds between a
    backend's exit and the event loop reading it, or a silent network cut) is handed out
    unchecked, and its first statement fails; the request is then the database's failure
    (``unavailable``: rolled back, the person asked to try again) and SQLAlchemy replaces
    every pooled connection made before it. ``pool_pre_ping`` had the same window between its
    ping and the first statement, only shorter."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:  # None: invalidated, nothing to remember
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        _check_on_checkout(dbapi_connection, record.info, dialect.do_ping)


def _check_on_checkout(
    dbapi_connection: Any, info: dict[str, Any], ping: Callable[[Any], object]
) -> None:
    """Raise DisconnectionError (the pool then connects again and hands out the new
    connection) for a connection the server closed, or one idle for ``IDLE_PING_SECONDS``
    that does not answer a ping. ``info``: the pooled connection's, cleared when it is
    replaced (a new connection has no ``_RETURNED_AT`` and is not pinged)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise DisconnectionError("the server closed the connection")
    returned = info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
        return
    try:
        ping(dbapi_connection)
    except Exception as error:
        raise InvalidatePoolError(f"an idle connection did not answer a ping: {error}") from error


# SQLSTATE classes of a connection that failed or was cut: 08 (connection exception) and 57P
# (operator intervention: admin_shutdown from pg_terminate_backend or a restart, crash_shutdown,
# cannot_connect_now while the server starts).
_GONE_SQLSTATES = ("08", "57P")
# SQLite's words for another connection holding the lock past the busy timeout.
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) says the database could not be reached or used
    just now: the server restarted or cut the connection, no connection could be made or
    taken from the pool, or SQLite stayed locked by another writer past the busy timeout.
    Such a failure is the database's, not the request's: what the request wrote was rolled
    back, and the same request can succeed once the database is back (``handlers.errors``
    says so to the person). Not a constraint violation, a missing table or bad SQL."""
    return _in_chain(error, _gone)


# SQLite's SQLITE_FULL (the database file may not grow: its disk, a quota, max_page_count) and
# PostgreSQL's disk_full. Not out_of_memory (53200) or too many connections (53300): those pass.
_SQLITE_FULL = 13
_DISK_FULL_SQLSTATE = "53100"


def storage_full(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) says the database has no room left to write: the
    write was rolled back whole, and the same write succeeds once room is made. Unlike
    ``unavailable`` it will not pass in a moment, so the person is told to try later and the
    operator has something to do (``handlers.errors``)."""
    return _in_chain(error, _full)


def _full(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig  # sqlite3's or asyncpg's error, with the code
    if getattr(error, "sqlite_errorcode", None) == _SQLITE_FULL:
        return True
    if getattr(error, "sqlstate", None) == _DISK_FULL_SQLSTATE:
        return True
    return "database or disk is full" in str(error)


def _in_chain(error: BaseException | None, test: Callable[[BaseException], bool]) -> bool:
    """Whether ``test`` holds for ``error`` or anything that caused it (SQLAlchemy's wrapper,
    the driver's error, the server's)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if test(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _gone(error: BaseException) -> bool:
    if isinstance(error, (DisconnectionError, PoolTimeout)):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, (OperationalError, InterfaceError)):
        message = str(error.orig if error.orig is not None else error).lower()
        if any(words in message for words in _SQLITE_BUSY):
            return True
        if isinstance(error, InterfaceError):
            return "closed" in message or "connection" in message
        return _gone(error.orig) if error.orig is not None else False
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_GONE_SQLSTATES):
        return True
    # A refused or reset connection: the server down, a proxy gone.
    return isinstance(error, ConnectionError)


_AFTER_COMMIT = "sigap_after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call ``callback()`` once this session's transaction has committed (never after a
    rollback): for what a process remembers of the database, so that it remembers only what
    is durable. It runs inside the commit, on the event loop's thread: it must only take note."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


async def rows_changed(
    session: AsyncSession, statement: Update | Delete, params: dict[str, Any] | None = None
) -> int:
    """How many rows an UPDATE or DELETE matched, in the caller's transaction (``params``: the
    values of a statement built once with bind parameters). SQLAlchemy types ``execute`` as
    giving a ``Result``; for these statements it is a ``CursorResult``, which has the count."""
    result = await session.execute(statement, params)
    if not isinstance(result, CursorResult):
        raise TypeError(f"no row count for {statement}")
    return result.rowcount


_UPSERTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Insert] = {}


def dialect_insert(dialect: str) -> Callable[[Any], sqlite.Insert | postgresql.Insert]:
    """The dialect's ``insert`` (the one with ``on_conflict_do_*``) for ``dialect``'s name."""
    if dialect == "postgresql":
        # Imported on PostgreSQL only: its dialect is ~20 modules a SQLite install never uses.
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    return sqlite.insert


def upsert(dialect: str, table: Table, key: Sequence[str], returning: Sequence[str] = ()) -> Insert:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` every other column given, built once per
    dialect and table (SQLAlchemy caches its compiled form by the statement's shape, and the
    statement object itself keeps its cache key). Executed with one dict of values: the row
    written, or the existing one with that key brought up to date.

    Replaces a DELETE and an INSERT (two statements) where a row per key is kept: a
    conversation, a flow's receipt."""
    found = _UPSERTS.get((dialect, table.name, tuple(key), tuple(returning)))
    if found is None:
        statement = dialect_insert(dialect)(table)
        others = {c.name: statement.excluded[c.name] for c in table.c if c.name not in key}
        others.pop("id", None)
        found = statement.on_conflict_do_update(index_elements=list(key), set_=others)
        if returning:
            found = found.returning(*(table.c[name] for name in returning))
        _UPSERTS[(dialect, table.name, tuple(key), tuple(returning))] = found
    return found


async def insert_once(
    session: AsyncSession, table: Any, values: dict[str, Any], *, key: Sequence[str]
) -> bool:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` in the caller's transaction; False (and nothing
    written) when a row with that key exists.

    Not a caught IntegrityError: a failed INSERT aborts the caller's whole transaction on
    PostgreSQL, and a savepoint per row costs a round trip. ``table`` needs an ``id`` column.
    """
    return bool(await insert_new(session, table, [values], key=key))


_Value = TypeVar("_Value")

# Values in one IN list: well under SQLite's limit of bound parameters.
IN_LIST_SIZE = 500


def in_lists(values: Collection[_Value]) -> Iterator[list[_Value]]:
    """``values`` in lists of at most :data:`IN_LIST_SIZE`, one statement's IN list each."""
    every = list(values)
    for start in range(0, len(every), IN_LIST_SIZE):
        yield every[start : start + IN_LIST_SIZE]


async def insert_new(
    session: AsyncSession,
    table: Any,
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    notify: str | None = None,
) -> set[Any]:
    """:func:`insert_once` for several rows in one statement; the ids of the rows written.
    Every row names the same columns. ``notify``: on PostgreSQL, a channel told (``NOTIFY``,
    delivered at commit, dropped at rollback) when a row was written, in the same statement:
    no round trip of its own."""
    if not rows:
        return set()
    statement = _insert_new(session.get_bind().dialect.name, table, tuple(key), notify)
    # One row: a plain execution of a statement compiled once. Several: SQLAlchemy's
    # "insertmanyvalues", one multi-row INSERT rendered from that same compiled form. Not
    # ``.values(rows)``, whose multi-row VALUES SQLAlchemy never caches: it was compiled anew
    # for every row written (an outbox notice, a complaint's message, an update kept), some
    # 5 % of the bot's CPU in bench/notify_latency.py on PostgreSQL, and in Python on the event
    # loop: 2 ms for one row, 50 ms for 200 (a digest wave's 1,500 outbox rows held the loop
    # for 0.4 s in one step).
    result = await session.execute(statement, rows[0] if len(rows) == 1 else list(rows))
    return set(result.scalars())


def notified(channel: str) -> ColumnElement[Any]:
    """PostgreSQL's ``pg_notify(channel, '')`` as a column of an INSERT's RETURNING: evaluated
    for each row written (none for a key already there: ON CONFLICT DO NOTHING), delivered by
    the server once per transaction at its commit (however often it was called) and dropped
    at rollback, and no round trip of its own as a NOTIFY statement was."""
    # The channel in the SQL, not bound: in an INSERT of several rows (``insertmanyvalues``)
    # only the VALUES are bound per row.
    if not channel.isidentifier():
        raise ValueError(f"not a channel name: {channel!r}")
    return literal_column(f"pg_notify('{channel}', '')")


_INSERTS_NEW: dict[tuple[str, str, tuple[str, ...], str | None], Insert] = {}


def _insert_new(dialect: str, table: Any, key: tuple[str, ...], notify: str | None) -> Insert:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING id`` of the table (not the ORM class:
    SQLAlchemy's ORM bulk insert is a longer way to the same statement), built once."""
    core: Table = sa_inspect(table).local_table if not isinstance(table, Table) else table
    cache_key = (dialect, core.name, key, notify if dialect == "postgresql" else None)
    found = _INSERTS_NEW.get(cache_key)
    if found is None:
        returned: list[Any] = [core.c.id]
        if cache_key[3] is not None:
            returned.append(notified(cache_key[3]))
        found = _INSERTS_NEW[cache_key] = (
            dialect_insert(dialect)(core)
            .on_conflict_do_nothing(index_elements=list(key))
            .returning(*returned)
        )
    return found
