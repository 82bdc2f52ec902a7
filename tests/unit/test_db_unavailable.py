"""Which failures say "the database is away" (``models.db.unavailable``): the error handler asks
the person to try again for those, and reports the rest as errors."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from models.db import unavailable


class AdminShutdown(Exception):
    """asyncpg's error for pg_terminate_backend or a server shutting down (by its SQLSTATE)."""

    sqlstate = "57P01"


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
