"""``sigap calendar add|remove|list``: the office's own holidays and working days, on top of
the national holidays and cuti bersama (collective leave days) of the ``holidays`` package."""

from __future__ import annotations

from datetime import date, timedelta

from bot.cli.common import CliError, Command, Subcommands, command, day_argument, subcommands


def add_commands(commands: Subcommands) -> None:
    calendar = commands.add_parser("calendar", help="local holidays and working days")
    actions = subcommands(calendar, "calendar_command")
    add = actions.add_parser(
        "add",
        help="mark a day as a local holiday (or, with --workday, as a working day)",
        description="National holidays and cuti bersama come from the 'holidays' package; "
        "this adds the office's own decisions on top.",
    )
    add.add_argument("day", type=day_argument, help="YYYY-MM-DD")
    add.add_argument("name", help='what the day is, e.g. "Cuti bersama Natal"')
    add.add_argument(
        "--workday",
        action="store_true",
        help="the day is a working day even if the national calendar says otherwise",
    )
    add.set_defaults(handler=calendar_add)
    remove = actions.add_parser("remove", help="remove the office's decision for a day")
    remove.add_argument("day", type=day_argument, help="YYYY-MM-DD")
    remove.set_defaults(handler=calendar_remove)
    listing = actions.add_parser(
        "list", help="weekday holidays and local decisions of a year (- day off, + working)"
    )
    listing.add_argument("--year", type=int, help="default: this year")
    listing.set_defaults(handler=calendar_list)


@command
async def calendar_add(c: Command) -> None:
    from models.activities import set_calendar_override

    kind = "workday" if c.args.workday else "holiday"
    async with c.database() as db:
        await set_calendar_override(db, c.args.day, kind, c.args.name, actor="cli", now=c.now())
    print(c.tr.plain(f"cli.calendar_added_{kind}", day=c.args.day.isoformat(), name=c.args.name))


@command
async def calendar_remove(c: Command) -> None:
    from models.activities import remove_calendar_override

    async with c.database() as db:
        removed = await remove_calendar_override(db, c.args.day, actor="cli", now=c.now())
    if not removed:
        raise CliError(c.tr.plain("cli.calendar_not_found", day=c.args.day.isoformat()))
    print(c.tr.plain("cli.calendar_removed", day=c.args.day.isoformat()))


@command
async def calendar_list(c: Command) -> None:
    """Weekdays off (national and local) and local decisions, one line each: ``-`` a day
    off, ``+`` a working day."""
    from models.activities import work_calendar

    async with c.database() as db:
        calendar = await work_calendar(db)
    year = c.args.year or c.now().year
    day = date(year, 1, 1)
    while day.year == year:
        reason = calendar.day_off_reason(day, c.tr.language)
        if (reason and day.weekday() < 5) or day in calendar.overrides:
            mark = "+" if calendar.is_working_day(day) else "-"
            print(f"{day.isoformat()} {mark} {reason or calendar.overrides[day].name}")
        day += timedelta(days=1)
