"""A trip's guard on SQLite: the statement that must change a row for the trip to be written."""

from __future__ import annotations

import sqlite3
import sys

import pytest

from models.one_trip import Unchanged, _group_trip, _Trip, _trip


def _connection() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY, status TEXT)")
    connection.execute("INSERT INTO entry VALUES (1, 'menunggu')")
    return connection


def test_a_guard_that_changes_nothing_writes_nothing() -> None:
    connection = _connection()
    trips: list[_Trip] = [
        ("UPDATE entry SET status = 'disetujui' WHERE id = 1 AND status = ?", ("ditolak",), ()),
        ("INSERT INTO entry (status) VALUES ('riwayat')", (), ()),
    ]
    with pytest.raises(Unchanged):
        _trip(connection, True, trips, 0)
    assert connection.execute("SELECT count(*) FROM entry").fetchone() == (1,)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="newer sqlite3 modules count WITH rows")
def test_a_guard_beginning_with_with_is_refused_rather_than_never_firing() -> None:
    """Python 3.11's sqlite3 reports -1 rows for a statement that begins with WITH: such a guard
    would let a stale tap write its history a second time."""
    connection = _connection()
    guarded = (
        "WITH wanted AS (SELECT 'ditolak' AS status) UPDATE entry SET status = 'disetujui' "
        "WHERE id = 1 AND status = (SELECT status FROM wanted)"
    )
    trips: list[_Trip] = [
        (guarded, (), ()),
        ("INSERT INTO entry (status) VALUES ('riwayat')", (), ()),
    ]
    with pytest.raises(ValueError, match="guard"):
        _trip(connection, True, trips, 0)
    assert connection.execute("SELECT count(*) FROM entry").fetchone() == (1,)


def test_in_a_group_a_guard_that_changes_nothing_rolls_back_only_its_own_writer() -> None:
    """Writers committed together (``_group_trip``): each in a savepoint of its own."""
    connection = _connection()
    add = ("INSERT INTO entry (status) VALUES (?)", ("baru",), ())
    refused: list[_Trip] = [
        ("UPDATE entry SET status = 'disetujui' WHERE id = 1 AND status = ?", ("ditolak",), ()),
        ("INSERT INTO entry (status) VALUES ('riwayat')", (), ()),
    ]
    found = _group_trip(connection, [([add], None), (refused, 0), ([add], None)])
    assert [type(outcome) for outcome in found] == [list, Unchanged, list]
    assert not connection.in_transaction  # committed
    statuses = [row[0] for row in connection.execute("SELECT status FROM entry ORDER BY id")]
    assert statuses == ["menunggu", "baru", "baru"]
