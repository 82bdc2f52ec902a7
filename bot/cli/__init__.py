"""The ``sigap`` command: run the bot and operate it.

One module per command group (``run`` also holds ``sandbox``; ``roster`` also ``invites``),
each adding its own subcommands to the parser; every command that touches the database opens
it through :meth:`bot.cli.common.Command.database`.

Every subcommand exits non-zero with a one-line reason on bad input or configuration; the
reason is printed in the default language's catalogue where it is about the user's data.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from bot.cli import (
    calendar,
    complaints,
    db,
    export,
    jobs,
    open311,
    roster,
    run,
    skm,
    targets,
    units,
)
from bot.cli.common import CliError, configure_logging
from models.db import DatabaseConfigError
from services.settings import ConfigError, load_settings

__all__ = ["build_parser", "configure_logging", "main"]

# In the order ``sigap --help`` lists them.
GROUPS = (run, db, roster, targets, jobs, calendar, units, export, complaints, skm, open311)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sigap", description="Sigap: Telegram bot for ASN work logs and public complaints."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        args.handler(args, settings)
    except (ConfigError, DatabaseConfigError, CliError) as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:
        _fail(f"database: {_describe_db_error(exc)}")
    except KeyboardInterrupt:
        _fail("interrupted", 130)


def _fail(message: str, code: int = 1) -> NoReturn:
    print(f"sigap: {message}", file=sys.stderr)
    raise SystemExit(code)


def _describe_db_error(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    detail = str(original or exc).splitlines()[0]
    if "locked" in detail:
        return f"{detail} (another program holds the database; try again when it is done)"
    if "not a database" in detail or "malformed" in detail:
        return f"{detail} (the file is damaged or not a Sigap database; restore a backup)"
    return detail
