"""What every ``sigap`` subcommand shares: the :func:`command` decorator, whose
:class:`Command` opens the database for the command (migrated first) and closes it however
the command ends; the one-line error; logging; private files; argument types.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from domain.clock import SystemClock
from models.db import Database
from services.settings import Settings
from texts import Texts, texts

# ``add_subparsers()`` returns this; argparse names it privately.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
# What ``set_defaults(handler=...)`` stores and ``main`` calls.
Handler = Callable[[argparse.Namespace, Settings], None]


class CliError(Exception):
    """One line for the operator; the command exits with status 1."""


@dataclass(frozen=True)
class Command:
    """One run of a subcommand: its arguments, the settings, and the texts of the default
    language (what the operator reads)."""

    args: argparse.Namespace
    settings: Settings
    tr: Texts

    @classmethod
    def of(cls, args: argparse.Namespace, settings: Settings) -> Command:
        return cls(args, settings, texts(settings.default_language))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def now(self) -> datetime:
        return SystemClock().now()

    @asynccontextmanager
    async def database(self) -> AsyncIterator[Database]:
        """The database, migrated to the newest schema, for the block; closed however it
        ends. Commands check their arguments and files before, so bad input touches nothing."""
        from models.migrate import upgrade_database

        db = Database(self.settings.resolved_database_url)
        try:
            await upgrade_database(db)
            yield db
        finally:
            await db.dispose()


def command(body: Callable[[Command], Coroutine[Any, Any, None]]) -> Handler:
    """The handler of a subcommand whose ``body`` runs on its own event loop, given a
    :class:`Command` (``main`` turns :class:`CliError` and database errors into one line)."""

    @functools.wraps(body)
    def handler(args: argparse.Namespace, settings: Settings) -> None:
        asyncio.run(body(Command.of(args, settings)))

    return handler


# Libraries that, at DEBUG, log what people sent: PTB whole updates (ids, names, texts), aiosqlite
# each statement with its values. Sigap's own DEBUG must not put an anonymous reporter's identity
# in the log, so these stay at INFO or above whatever SIGAP_LOG_LEVEL says. (SQLAlchemy keeps its
# own loggers at WARNING unless told otherwise, and hides parameters: models.db.)
_TALKATIVE_LIBRARIES = ("telegram", "aiosqlite")


def configure_logging(level: str, form: str = "text") -> None:
    """``form``: "text" (a line for people) or "json" (``bot.logs``: a JSON object per line
    with the update id and chat of the update being handled)."""
    if form == "json":
        from bot.logs import JsonFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in _TALKATIVE_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    # httpx logs every request at INFO (with the bot token in the URL): far too chatty for an
    # office server, and the token is a secret.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def private_file(path: Path) -> Path:
    """Create (or empty) ``path`` readable and writable by its owner only, before anything is
    written to it: invite files hold live links, exports personal data (UU 27/2022). Writers
    that open it again afterwards keep the mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(handle, 0o600)  # a file that was there keeps its old mode on O_CREAT
    finally:
        os.close(handle)
    return path


def dry_run_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would change, save nothing"
    )


# Argument types: argparse turns their ArgumentTypeError into "sigap ...: error: ..." (status 2).


def day_argument(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-24") from None


def moment_argument(text: str) -> str:
    """A local date or date and time, kept as typed (commands read it in the unit's zone)."""
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or time like 2026-12-21 or 2026-12-21T14:00"
        ) from None
    return text


def local_moment(text: str, zone: ZoneInfo) -> datetime:
    """A :func:`moment_argument` as an aware datetime (naive ones are in ``zone``)."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def subcommands(parser: argparse.ArgumentParser, dest: str, **kwargs: Any) -> Subcommands:
    """The ACTION level under a command group (``sigap roster ACTION``)."""
    return parser.add_subparsers(dest=dest, required=True, metavar="ACTION", **kwargs)
