"""``sigap units list|schedule``: each unit's clock (time zone, reminder times, digest day)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import CliError, Command, Subcommands, command, subcommands
from domain.dates import check_timezone, normalise_times

if TYPE_CHECKING:
    from models.schedule import UnitTiming


def add_commands(commands: Subcommands) -> None:
    units = commands.add_parser("units", help="units' time zones, reminder times, digest day")
    actions = subcommands(units, "units_command")
    actions.add_parser("list", help="every unit and its schedule").set_defaults(handler=units_list)
    schedule = actions.add_parser(
        "schedule",
        help="change one unit's schedule",
        description="Reminders and digests follow each unit's own clock; what is not set here "
        "follows SIGAP_REMINDER_TIMES and the Monday digest.",
    )
    schedule.add_argument("code", help="unit code, e.g. BLW-K01")
    schedule.add_argument(
        "--reminders",
        type=_reminder_times,
        help="the unit's reminder times, e.g. 13:30,15:00, or 'default'",
    )
    schedule.add_argument(
        "--digest",
        choices=["monday", "friday"],
        help="monday: Monday 07:00 for the week before; friday: Friday 16:00 for the week ending",
    )
    schedule.add_argument(
        "--timezone", type=_timezone, help="IANA time zone, e.g. Asia/Makassar (WITA)"
    )
    schedule.set_defaults(handler=units_schedule)


@command
async def units_list(c: Command) -> None:
    from models.schedule import unit_timings

    async with c.database() as db:
        for unit in await unit_timings(db):
            print(_shown(c, unit))


@command
async def units_schedule(c: Command) -> None:
    from models.schedule import UNSET, set_unit_schedule

    args = c.args
    if args.reminders is None and args.digest is None and args.timezone is None:
        raise CliError(c.tr.plain("cli.unit_schedule_nothing"))
    async with c.database() as db:
        try:
            unit = await set_unit_schedule(
                db,
                args.code,
                now=c.now(),
                actor="cli",
                # Not given: unchanged; "default": back to SIGAP_REMINDER_TIMES.
                reminder_times={None: UNSET, "default": None}.get(args.reminders, args.reminders),
                digest_mode=args.digest,
                timezone=args.timezone,
            )
        except LookupError:
            raise CliError(c.tr.plain("cli.unit_unknown", code=args.code)) from None
    print(_shown(c, unit))


def _shown(c: Command, unit: UnitTiming) -> str:
    default_times = f"{c.settings.reminder_times} ({c.tr.plain('cli.default')})"
    return c.tr.plain(
        "cli.unit_schedule",
        code=unit.code,
        name=unit.name,
        timezone=unit.timezone,
        reminders=unit.reminder_times or default_times,
        digest=c.tr.plain(f"cli.digest_{unit.digest_mode}"),
    )


def _reminder_times(text: str) -> str:
    """``13:30,15:00`` (normalised) or ``default``."""
    if text == "default":
        return text
    try:
        return normalise_times(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of times like 13:30,15:00 (or 'default')"
        ) from None


def _timezone(text: str) -> str:
    try:
        return check_timezone(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
