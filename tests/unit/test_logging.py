"""The log set-up of ``sigap run``: even at SIGAP_LOG_LEVEL=DEBUG, the libraries that would print
what people sent (PTB: whole updates; aiosqlite: statements with their values) stay at INFO."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.cli import configure_logging

LIBRARIES = ("telegram", "aiosqlite", "httpx")


@pytest.fixture
def restore_levels() -> Iterator[None]:
    before = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_levels")
def test_debug_does_not_open_the_libraries_that_log_personal_data() -> None:
    configure_logging("DEBUG")
    for name in ("telegram.ext.ExtBot", "aiosqlite"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    # SQLAlchemy logs every statement from INFO on (what ``echo`` turns on): left at WARNING.
    assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)  # its URLs hold the token
    configure_logging("WARNING")
    assert not logging.getLogger("telegram").isEnabledFor(logging.INFO)
