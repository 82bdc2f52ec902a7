"""The ``sigap`` command: run the bot and operate it.

Every subcommand exits non-zero with a one-line reason on bad input or configuration; the
reason is printed in the default language's catalogue where it is about the user's data.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from bot.i18n import Texts, texts
from bot.settings import ConfigError, Settings, load_settings
from domain.clock import SystemClock
from domain.roster import RosterFileError, RosterProblem, read_roster
from domain.skp import TargetProblem
from models.db import Database, DatabaseConfigError


class CliError(Exception):
    """One line for the operator; the command exits with status 1."""


def _fail(message: str, code: int = 1) -> NoReturn:
    print(f"sigap: {message}", file=sys.stderr)
    raise SystemExit(code)


def _database(settings: Settings) -> Database:
    return Database(settings.resolved_database_url)


def _describe_db_error(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    detail = str(original or exc).splitlines()[0]
    if "locked" in detail:
        return f"{detail} (another program holds the database; try again when it is done)"
    if "not a database" in detail or "malformed" in detail:
        return f"{detail} (the file is damaged or not a Sigap database; restore a backup)"
    return detail


async def _upgrade(settings: Settings) -> str:
    from models.migrate import head_revision, upgrade_database

    db = _database(settings)
    try:
        await upgrade_database(db)
    finally:
        await db.dispose()
    return head_revision() or "-"


def cmd_run(args: argparse.Namespace, settings: Settings) -> None:
    from telegram import Update

    from bot.app import ALLOWED_UPDATES, build_application

    settings.require_token()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request at INFO: far too chatty for an office server.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(_upgrade(settings))
    application = build_application(settings)
    application.run_polling(
        allowed_updates=ALLOWED_UPDATES or Update.ALL_TYPES, drop_pending_updates=False
    )


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> None:
    revision = asyncio.run(_upgrade(settings))
    print(texts(settings.default_language).plain("cli.db_upgraded", revision=revision))


def cmd_roster_import(args: argparse.Namespace, settings: Settings) -> None:
    from models.roster import import_roster

    tr = texts(settings.default_language)
    try:
        rows = read_roster(Path(args.file))
    except RosterFileError as exc:
        raise CliError(tr.plain("cli.file_error", message=render_file_error(exc, tr))) from None

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        try:
            result = await import_roster(
                db,
                rows,
                dry_run=args.dry_run,
                actor="cli",
                now=SystemClock().now(),
                timezone=settings.timezone,
            )
        finally:
            await db.dispose()
        if result.problems:
            _print_problems(result.problems, tr, "roster")
        c = result.changes
        print(
            tr.plain(
                "cli.roster_summary",
                units_new=c.units_new,
                units_changed=c.units_changed,
                units_same=c.units_same,
                new=c.new,
                changed=c.changed,
                same=c.same,
            )
        )
        print(tr.plain("cli.roster_dry_run" if args.dry_run else "cli.roster_saved"))

    asyncio.run(go())


def _listing(value: object) -> str:
    return (
        ", ".join(map(str, value))
        if isinstance(value, (list, tuple, set, frozenset))
        else str(value)
    )


def render_problem(
    problem: RosterProblem | TargetProblem, tr: Texts, section: str = "roster"
) -> str:
    """A file problem in the operator's language (codes and params come from the domain)."""
    params: dict[str, object] = {"nip": problem.nip}
    for key, value in problem.params.items():
        if key == "cycle" and isinstance(value, (list, tuple)) and value:
            params[key] = " → ".join([*map(str, value), str(value[0])])
        elif key == "reason":
            params[key] = tr.plain(f"nip.{value}")
        elif key == "field":
            params[key] = tr.plain(f"{section}_field.{value}")
        else:
            params[key] = _listing(value)
    return tr.plain(f"{section}.{problem.code}", **params)


def render_file_error(error: RosterFileError, tr: Texts, section: str = "roster") -> str:
    """File-level errors; a section may word some codes its own way (``targets_file.empty``)."""
    params = {k: _listing(v) for k, v in error.params.items()}
    for key in (f"{section}_file.{error.code}", f"roster_file.{error.code}"):
        if tr.has(key):
            return tr.plain(key, **params)
    return str(error)


def _print_problems(
    problems: Sequence[RosterProblem | TargetProblem], tr: Texts, section: str
) -> NoReturn:
    print(tr.plain("cli.roster_problems", count=len(problems)), file=sys.stderr)
    for problem in problems:
        print(
            tr.plain(
                "cli.roster_problem_line",
                line=problem.line,
                nip=problem.nip or "-",
                message=render_problem(problem, tr, section),
            ),
            file=sys.stderr,
        )
    raise SystemExit(1)


def cmd_targets_import(args: argparse.Namespace, settings: Settings) -> None:
    from domain.skp import read_targets
    from models.targets import import_targets

    tr = texts(settings.default_language)
    try:
        rows = read_targets(Path(args.file))
    except RosterFileError as exc:
        raise CliError(
            tr.plain("cli.file_error", message=render_file_error(exc, tr, "targets"))
        ) from None

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        now = SystemClock().now()
        try:
            result = await import_targets(
                db,
                rows,
                dry_run=args.dry_run,
                actor="cli",
                now=now,
                current_year=now.astimezone(ZoneInfo(settings.timezone)).year,
            )
        finally:
            await db.dispose()
        if result.problems:
            _print_problems(result.problems, tr, "targets")
        print(
            tr.plain(
                "cli.targets_summary", new=result.new, changed=result.changed, same=result.same
            )
        )
        print(tr.plain("cli.roster_dry_run" if args.dry_run else "cli.targets_saved"))

    asyncio.run(go())


def cmd_invites_create(args: argparse.Namespace, settings: Settings) -> None:
    from domain.dates import format_datetime
    from domain.nip import validate_nip
    from handlers.invite import invite_link
    from models.identity import issue_invites

    tr = texts(settings.default_language)
    nip = None
    if args.nip:
        check = validate_nip(args.nip)
        if not check.ok:
            raise CliError(tr.plain("cli.nip_invalid", reason=tr.plain(f"nip.{check.code}")))
        nip = check.nip
    username = settings.bot_username or asyncio.run(_bot_username(settings))
    out = Path(args.out)

    async def go() -> list:  # type: ignore[type-arg]
        await _upgrade(settings)
        db = _database(settings)
        try:
            return await issue_invites(
                db,
                now=SystemClock().now(),
                ttl=timedelta(days=settings.invite_ttl_days),
                actor="cli",
                unit_code=args.unit,
                nip=nip,
                include_linked=args.include_linked,
            )
        finally:
            await db.dispose()

    issued = asyncio.run(go())
    if not issued:
        raise CliError(tr.plain("cli.invites_none"))
    out.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: Excel on Windows opens it with the names intact.
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nip", "nama", "unit", "tautan", "berlaku_sampai"])
        for invite in issued:
            writer.writerow(
                [
                    invite.employee.nip,
                    invite.employee.name,
                    invite.unit_code,
                    invite_link(username, invite.token),
                    invite.expires_at.isoformat(timespec="minutes"),
                ]
            )
    from zoneinfo import ZoneInfo

    expires = format_datetime(issued[0].expires_at, ZoneInfo(settings.timezone), tr.language)
    print(tr.plain("cli.invites_written", count=len(issued), path=out, expires=expires))


async def _bot_username(settings: Settings) -> str:
    from telegram import Bot
    from telegram.error import TelegramError

    tr = texts(settings.default_language)
    if not settings.telegram_bot_token:
        raise CliError(tr.plain("cli.needs_bot_username"))
    bot = Bot(settings.require_token(), base_url=settings.bot_api_url)
    try:
        async with bot:
            return bot.username
    except TelegramError as exc:
        raise CliError(f"{tr.plain('cli.needs_bot_username')} ({exc.message})") from None


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-24") from None


def cmd_calendar(args: argparse.Namespace, settings: Settings) -> None:
    from models import activities

    tr = texts(settings.default_language)

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        now = SystemClock().now()
        try:
            if args.calendar_command == "add":
                kind = "workday" if args.workday else "holiday"
                await activities.set_calendar_override(
                    db, args.day, kind, args.name, actor="cli", now=now
                )
                print(
                    tr.plain(f"cli.calendar_added_{kind}", day=args.day.isoformat(), name=args.name)
                )
            elif args.calendar_command == "remove":
                if not await activities.remove_calendar_override(
                    db, args.day, actor="cli", now=now
                ):
                    raise CliError(tr.plain("cli.calendar_not_found", day=args.day.isoformat()))
                print(tr.plain("cli.calendar_removed", day=args.day.isoformat()))
            else:
                calendar = await activities.work_calendar(db)
                year = args.year or now.year
                day = date(year, 1, 1)
                while day.year == year:
                    reason = calendar.day_off_reason(day, tr.language)
                    if (reason and day.weekday() < 5) or day in calendar.overrides:
                        mark = "+" if calendar.is_working_day(day) else "-"
                        print(f"{day.isoformat()} {mark} {reason or calendar.overrides[day].name}")
                    day += timedelta(days=1)
        finally:
            await db.dispose()

    asyncio.run(go())


def cmd_complaints(args: argparse.Namespace, settings: Settings) -> None:
    """``sigap complaints categories import|list``, ``purge``, ``ban``, ``unban``."""
    from domain.complaints import DEFAULT_CATEGORIES, parse_tracking_number, read_categories
    from models import complaints

    tr = texts(settings.default_language)
    action = args.complaints_command
    if action == "categories" and args.categories_command == "import":
        try:
            rows = read_categories(Path(args.file)) if args.file else list(DEFAULT_CATEGORIES)
        except RosterFileError as exc:
            raise CliError(tr.plain("cli.file_error", message=render_file_error(exc, tr))) from None
    number = None
    if action in ("ban", "unban"):
        number = parse_tracking_number(args.number)
        if number is None:
            raise CliError(tr.plain("complaint_cli.invalid_number", text=args.number))

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        now = SystemClock().now()
        try:
            if action == "categories" and args.categories_command == "import":
                result = await complaints.import_categories(
                    db, rows, dry_run=args.dry_run, actor="cli", now=now
                )
                if result.problems:
                    _print_category_problems(result.problems, tr)
                print(
                    tr.plain(
                        "complaint_cli.categories_summary",
                        new=result.new,
                        changed=result.changed,
                        same=result.same,
                        deactivated=result.deactivated,
                    )
                )
                key = "categories_dry_run" if args.dry_run else "categories_saved"
                print(tr.plain(f"complaint_cli.{key}"))
            elif action == "categories":
                listed = await complaints.all_categories(db)
                if not listed:
                    print(tr.plain("complaint_cli.categories_none"))
                for category, unit_code in listed:
                    inactive = (
                        "" if category.active else tr.plain("complaint_cli.categories_inactive")
                    )
                    print(
                        tr.plain(
                            "complaint_cli.categories_line",
                            code=category.code,
                            unit=unit_code,
                            name=category.name,
                            inactive=inactive,
                        )
                    )
            elif action == "purge":
                before = now - timedelta(days=args.older_than)
                result = await complaints.purge_personal_data(
                    db, closed_before=before, now=now, actor="cli", dry_run=args.dry_run
                )
                shown = before.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")
                key = "purge_dry_run" if args.dry_run else "purged"
                print(
                    tr.plain(
                        f"complaint_cli.{key}",
                        count=result.complaints,
                        files=result.files,
                        before=shown,
                    )
                )
            elif action == "ban":
                if not await complaints.ban_reporter(
                    db,
                    number,
                    args.reason,
                    actor="cli",
                    now=now,  # type: ignore[arg-type]
                ):
                    raise CliError(tr.plain("complaint_cli.not_found", number=number))
                print(tr.plain("complaint_cli.banned", number=number))
            else:
                if not await complaints.unban_reporter(db, number, actor="cli", now=now):  # type: ignore[arg-type]
                    raise CliError(tr.plain("complaint_cli.not_banned", number=number))
                print(tr.plain("complaint_cli.unbanned", number=number))
        finally:
            await db.dispose()

    asyncio.run(go())


def _print_category_problems(problems: Sequence[object], tr: Texts) -> NoReturn:
    print(tr.plain("complaint_cli.problems", count=len(problems)), file=sys.stderr)
    for problem in problems:
        params = {k: _listing(v) for k, v in problem.params.items()}  # type: ignore[attr-defined]
        message = tr.plain(f"complaint_category.{problem.code}", **params)  # type: ignore[attr-defined]
        print(
            tr.plain("complaint_cli.problem_line", line=problem.line, message=message),  # type: ignore[attr-defined]
            file=sys.stderr,
        )
    raise SystemExit(1)


def _non_negative_days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (0 or more)")
    return int(text)


def _parse_moment(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or time like 2026-12-21 or 2026-12-21T14:00"
        ) from None
    return text


def cmd_jobs(args: argparse.Namespace, settings: Settings) -> None:
    from bot.services import Services
    from scheduler.service import JOBS, Scheduler, next_run

    tr = texts(settings.default_language)
    zone = ZoneInfo(settings.timezone)

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        try:
            services = Services(settings=settings, db=db)
            now = SystemClock().now()
            if args.jobs_command == "list":
                for job in JOBS.values():
                    upcoming = await next_run(services, job.name, now)
                    when = upcoming.astimezone(zone).strftime("%Y-%m-%d %H:%M") if upcoming else "-"
                    print(f"{job.name:<20} {when:<17} {job.schedule}")
                    print(f"{'':<20} {job.description}")
                return
            if args.name not in JOBS:
                raise CliError(tr.plain("cli.job_unknown", name=args.name, names=", ".join(JOBS)))
            moment = now
            if args.at:
                parsed = datetime.fromisoformat(args.at)
                if len(args.at) == 10:  # a date: that day at the current local time of day
                    parsed = datetime.combine(parsed.date(), now.astimezone(zone).time())
                moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
            written = await Scheduler(services, None).run_job(args.name, moment)
            print(
                tr.plain(
                    "cli.job_ran",
                    name=args.name,
                    count=written,
                    at=moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                )
            )
        finally:
            await db.dispose()

    asyncio.run(go())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sigap", description="Sigap: Telegram bot for ASN work logs and public complaints."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot (long polling); migrates the database first")
    run.set_defaults(handler=cmd_run)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations to DATABASE_URL").set_defaults(
        handler=cmd_db_upgrade
    )

    roster = commands.add_parser("roster", help="the employee roster")
    roster_commands = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    imp = roster_commands.add_parser(
        "import",
        help="import employees from CSV or XLSX (all rows or none)",
        description="Columns: NIP, name, position, unit code, unit name, supervisor NIP, roles.",
    )
    imp.add_argument("file", help="roster file (.csv or .xlsx)")
    imp.add_argument(
        "--dry-run", action="store_true", help="report what would change, save nothing"
    )
    imp.set_defaults(handler=cmd_roster_import)

    invites = commands.add_parser("invites", help="invite links for employees")
    invite_commands = invites.add_subparsers(
        dest="invites_command", required=True, metavar="ACTION"
    )
    create = invite_commands.add_parser(
        "create",
        help="write one invite link per employee to a CSV file",
        description="Creates single-use invite links (earlier unused links stop working).",
    )
    create.add_argument("--unit", help="only employees of this unit code")
    create.add_argument("--nip", help="only this employee")
    create.add_argument(
        "--include-linked", action="store_true", help="also employees who already linked an account"
    )
    create.add_argument("--out", required=True, help="CSV file to write")
    create.set_defaults(handler=cmd_invites_create)

    targets = commands.add_parser("targets", help="SKP targets")
    target_commands = targets.add_subparsers(
        dest="targets_command", required=True, metavar="ACTION"
    )
    timp = target_commands.add_parser(
        "import",
        help="import SKP targets from CSV or XLSX (all rows or none)",
        description="Columns: NIP, Tahun, RHK, Indikator, Target, Satuan, Jenis (Utama/Tambahan).",
    )
    timp.add_argument("file", help="targets file (.csv or .xlsx)")
    timp.add_argument(
        "--dry-run", action="store_true", help="report what would change, save nothing"
    )
    timp.set_defaults(handler=cmd_targets_import)

    jobs = commands.add_parser("jobs", help="scheduled jobs")
    jobs_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    jobs_commands.add_parser("list", help="every job with its next run").set_defaults(
        handler=cmd_jobs
    )
    run_job = jobs_commands.add_parser(
        "run",
        help="run one job now, or as if at another time; the running bot delivers",
        description="Jobs only decide and write to the outbox; the bot's sender delivers them "
        "within SIGAP_SCHEDULER_INTERVAL. Each notification is written once, so running a job "
        "twice sends nothing twice.",
    )
    run_job.add_argument("name", help="job name (see: sigap jobs list)")
    run_job.add_argument(
        "--date",
        dest="at",
        type=_parse_moment,
        help="local date (that day at the current time) or date and time",
    )
    run_job.set_defaults(handler=cmd_jobs)

    calendar = commands.add_parser("calendar", help="local holidays and working days")
    calendar_commands = calendar.add_subparsers(
        dest="calendar_command", required=True, metavar="ACTION"
    )
    add = calendar_commands.add_parser(
        "add",
        help="mark a day as a local holiday (or, with --workday, as a working day)",
        description="National holidays and cuti bersama come from the 'holidays' package; "
        "this adds the office's own decisions on top.",
    )
    add.add_argument("day", type=_parse_day, help="YYYY-MM-DD")
    add.add_argument("name", help='what the day is, e.g. "Cuti bersama Natal"')
    add.add_argument(
        "--workday",
        action="store_true",
        help="the day is a working day even if the national calendar says otherwise",
    )
    add.set_defaults(handler=cmd_calendar)
    remove = calendar_commands.add_parser("remove", help="remove the office's decision for a day")
    remove.add_argument("day", type=_parse_day, help="YYYY-MM-DD")
    remove.set_defaults(handler=cmd_calendar)
    listing = calendar_commands.add_parser(
        "list", help="weekday holidays and local decisions of a year (- day off, + working)"
    )
    listing.add_argument("--year", type=int, help="default: this year")
    listing.set_defaults(handler=cmd_calendar)

    complaints = commands.add_parser("complaints", help="public complaints: categories, retention")
    complaint_commands = complaints.add_subparsers(
        dest="complaints_command", required=True, metavar="ACTION"
    )
    categories = complaint_commands.add_parser("categories", help="complaint categories")
    category_commands = categories.add_subparsers(
        dest="categories_command", required=True, metavar="ACTION"
    )
    cimp = category_commands.add_parser(
        "import",
        help="load categories from CSV/XLSX, or the Belawan defaults without a file",
        description="Columns: Kode, Nama, Nama (EN), Kode Unit, Urutan. All rows or none; "
        "categories missing from the file are deactivated.",
    )
    cimp.add_argument("file", nargs="?", help="categories file (.csv or .xlsx); default: built-in")
    cimp.add_argument(
        "--dry-run", action="store_true", help="report what would change, save nothing"
    )
    cimp.set_defaults(handler=cmd_complaints)
    category_commands.add_parser("list", help="categories and their units").set_defaults(
        handler=cmd_complaints
    )
    purge = complaint_commands.add_parser(
        "purge",
        help="remove personal data of complaints closed more than DAYS ago (keeps statistics)",
    )
    purge.add_argument("--older-than", type=_non_negative_days, required=True, metavar="DAYS")
    purge.add_argument("--dry-run", action="store_true", help="count only")
    purge.set_defaults(handler=cmd_complaints)
    ban = complaint_commands.add_parser(
        "ban", help="stop the reporter of a complaint from filing more (abuse)"
    )
    ban.add_argument("number", help="tracking number, e.g. BLW-2611-0042")
    ban.add_argument("--reason", required=True)
    ban.set_defaults(handler=cmd_complaints)
    unban = complaint_commands.add_parser("unban", help="lift a ban")
    unban.add_argument("number", help="tracking number of one of their complaints")
    unban.set_defaults(handler=cmd_complaints)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        args.handler(args, settings)
    except ConfigError as exc:
        _fail(str(exc))
    except DatabaseConfigError as exc:
        _fail(str(exc))
    except CliError as exc:
        _fail(str(exc))
    except (OperationalError, DBAPIError, SQLAlchemyError) as exc:
        _fail(f"database: {_describe_db_error(exc)}")
    except KeyboardInterrupt:
        _fail("interrupted", 130)


if __name__ == "__main__":
    main()
