"""Which failures say "the database is away" (``models.db.unavailable``) or "the database is
full" (``models.db.storage_full``): the error handler asks the person to try again (later) for
those, and reports the rest as errors."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from models.db import storage_full, unavailable


class AdminShutdown(Exception):
    """asyncpg's error for pg_terminate_backend or a server shutting down (by its SQLSTATE)."""

    sqlstate = "57P01"


class DiskFull(Exception):
    """asyncpg's DiskFullError (by its SQLSTATE); sqlite3's is an OperationalError with code 13."""

    sqlstate = "53100"


class OutOfMemory(Exception):
    sqlstate = "53200"


def _sqlite_full() -> sqlite3.OperationalError:
    with sqlite3.connect(":memory:") as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.execute("PRAGMA max_page_count = 1")  # no more than it has: 2 pages
        try:
            connection.execute("INSERT INTO t VALUES (?)", ("x" * 10_000,))
        except sqlite3.OperationalError as error:
            return error
    raise AssertionError("the insert should not fit")


def _wrapped(kind: type[DBAPIError], orig: Exception, invalidated: bool = False) -> DBAPIError:
    try:
        try:
            raise orig
        except Exception as inner:
            raise kind("SELECT 1", None, inner, connection_invalidated=invalidated) from inner
    except DBAPIError as outer:
        return outer


def test_database_away() -> None:
    assert unavailable(_wrapped(OperationalError, sqlite3.OperationalError("database is locked")))
    assert unavailable(_wrapped(DBAPIError, RuntimeError("gone"), invalidated=True))
    assert unavailable(_wrapped(DBAPIError, AdminShutdown("bye")))
    assert unavailable(_wrapped(InterfaceError, RuntimeError("connection is closed")))
    assert unavailable(PoolTimeout("QueuePool limit reached"))
    assert unavailable(ConnectionRefusedError(111, "Connect call failed"))
    # Raised while handling a lost connection (a rollback that failed too): still the database.
    try:
        try:
            raise ConnectionResetError()
        except ConnectionResetError:
            raise RuntimeError("the rollback failed") from None
    except RuntimeError as error:
        assert unavailable(error)


def test_the_request_own_failures_are_not_the_database_away() -> None:
    assert not unavailable(_wrapped(IntegrityError, sqlite3.IntegrityError("UNIQUE failed")))
    assert not unavailable(_wrapped(OperationalError, sqlite3.OperationalError("no such table: x")))
    assert not unavailable(ValueError("bad input"))
    assert not unavailable(None)


def test_storage_full() -> None:
    full = _sqlite_full()
    assert getattr(full, "sqlite_errorcode", 13) == 13 and "full" in str(full)
    assert storage_full(_wrapped(OperationalError, full))
    assert storage_full(_wrapped(DBAPIError, DiskFull("could not extend file")))
    # Raised while handling it (the rollback's error on top): still full.
    try:
        try:
            raise _wrapped(OperationalError, full)
        except OperationalError:
            raise RuntimeError("and then") from None
    except RuntimeError as error:
        assert storage_full(error)
    # Full is not away, and away or out of memory is not full.
    assert not unavailable(_wrapped(OperationalError, full))
    assert not storage_full(_wrapped(DBAPIError, OutOfMemory("out of memory")))
    assert not storage_full(
        _wrapped(OperationalError, sqlite3.OperationalError("database is locked"))
    )
    assert not storage_full(OSError(28, "No space left on device"))  # the data folder's disk
    assert not storage_full(None)
