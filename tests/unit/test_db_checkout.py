"""What a pooled PostgreSQL connection goes through when it is handed out
(``models.db._check_on_checkout``): nothing for one in use a moment ago, its replacement when the
server closed it, a ping once it sat idle, and every connection replaced when that ping fails."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy.exc import DisconnectionError, InvalidatePoolError

from models.db import _RETURNED_AT, IDLE_PING_SECONDS, _check_on_checkout


class Driver:
    """asyncpg's connection, as far as the check reads it."""

    def __init__(self, closed: bool = False) -> None:
        self.closed = closed

    def is_closed(self) -> bool:
        return self.closed


class Adapted:
    """SQLAlchemy's adapter around it (``driver_connection``)."""

    def __init__(self, driver: Driver) -> None:
        self.driver_connection = driver


class Pings(list[Any]):
    def __init__(self, error: Exception | None = None) -> None:
        super().__init__()
        self.error = error

    def __call__(self, connection: Any) -> bool:
        self.append(connection)
        if self.error is not None:
            raise self.error
        return True


def _returned(seconds_ago: float) -> dict[str, Any]:
    return {_RETURNED_AT: time.monotonic() - seconds_ago}


def test_a_connection_just_made_or_just_returned_is_handed_out_as_it_is() -> None:
    pings = Pings()
    connection = Adapted(Driver())
    _check_on_checkout(connection, {}, pings)  # new: never returned
    _check_on_checkout(connection, _returned(0.01), pings)
    _check_on_checkout(connection, _returned(IDLE_PING_SECONDS - 1), pings)
    assert pings == []


def test_a_connection_the_server_closed_is_replaced_without_a_round_trip() -> None:
    pings = Pings()
    for info in ({}, _returned(0.01), _returned(IDLE_PING_SECONDS + 1)):
        with pytest.raises(DisconnectionError) as raised:
            _check_on_checkout(Adapted(Driver(closed=True)), info, pings)
        # This one only: the others say for themselves whether they were closed.
        assert not isinstance(raised.value, InvalidatePoolError)
    assert pings == []


def test_a_connection_idle_for_a_while_is_pinged() -> None:
    pings = Pings()
    connection = Adapted(Driver())
    _check_on_checkout(connection, _returned(IDLE_PING_SECONDS + 0.5), pings)
    assert pings == [connection]


def test_an_idle_connection_that_does_not_answer_replaces_every_pooled_one() -> None:
    # A network that dropped connections without a word: the others went with it.
    pings = Pings(OSError("no route to host"))
    with pytest.raises(InvalidatePoolError):
        _check_on_checkout(Adapted(Driver()), _returned(IDLE_PING_SECONDS + 0.5), pings)
    assert len(pings) == 1
