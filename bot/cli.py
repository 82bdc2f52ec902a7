"""The ``sigap`` command: run the bot and operate it.

Every subcommand exits non-zero with a one-line reason on bad input or configuration; the
reason is printed in the default language's catalogue where it is about the user's data.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from domain.clock import SystemClock
from domain.dates import check_timezone, normalise_times
from domain.roster import RosterFileError, RosterProblem, read_roster
from domain.skp import TargetProblem
from models.db import Database, DatabaseConfigError
from services.settings import ConfigError, Settings, load_settings
from texts import Texts, texts


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


# Libraries that, at DEBUG, log what people sent: PTB whole updates (ids, names, texts), aiosqlite
# each statement with its values. Sigap's own DEBUG must not put an anonymous reporter's identity
# in the log, so these stay at INFO or above whatever SIGAP_LOG_LEVEL says. (SQLAlchemy keeps its
# own loggers at WARNING unless told otherwise, and hides parameters: models.db.)
_TALKATIVE_LIBRARIES = ("telegram", "aiosqlite")


def configure_logging(level: str) -> None:
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


def cmd_run(args: argparse.Namespace, settings: Settings) -> None:
    from bot.app import ALLOWED_UPDATES, build_application

    settings.require_token()
    # What the bot writes (the SQLite database, evidence and complaint attachments, digests) is
    # personal data (UU 27/2022): the owner only, whatever umask the service was started with.
    os.umask(0o077)
    configure_logging(settings.log_level)
    if args.webhook:
        settings.require_webhook()  # before migrating: a missing setting fails at once
    asyncio.run(_upgrade(settings))
    application = build_application(settings)
    if args.webhook:
        from bot.webhook import run_webhook

        run_webhook(application, settings)
        return
    from bot.polling import run_polling

    run_polling(application, ALLOWED_UPDATES)


def cmd_roster_status(args: argparse.Namespace, settings: Settings) -> None:
    """Who has linked their Telegram account, per unit; with --missing, the NIPs to chase."""
    from models.roster import LinkStatus, link_status

    tr = texts(settings.default_language)

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        try:
            people = await link_status(db, args.unit)
        finally:
            await db.dispose()
        if args.unit and not people:
            raise CliError(tr.plain("cli.unit_unknown", code=args.unit))
        units: dict[str, list[LinkStatus]] = {}
        for person in people:
            units.setdefault(person.unit_code, []).append(person)
        for code, members in units.items():
            linked = sum(p.linked for p in members)
            blocked = sum(p.blocked for p in members)
            print(
                tr.plain(
                    "cli.roster_status", code=code, linked=linked, total=len(members),
                    blocked=blocked,
                )
            )  # fmt: skip
            if args.missing:
                for p in members:
                    if not p.linked or p.blocked:
                        mark = tr.plain("cli.roster_blocked") if p.linked else ""
                        print(f"  {p.nip}  {p.name}{mark}")

    asyncio.run(go())


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
    # utf-8-sig: Excel on Windows opens it with the names intact.
    with private_file(out).open("w", newline="", encoding="utf-8-sig") as handle:
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


def cmd_units(args: argparse.Namespace, settings: Settings) -> None:
    """``sigap units list`` and ``sigap units schedule CODE``: each unit's clock."""
    from models.schedule import UNSET, UnitTiming, set_unit_schedule, unit_timings

    tr = texts(settings.default_language)
    default_times = settings.reminder_times

    def show(unit: UnitTiming) -> str:
        return tr.plain(
            "cli.unit_schedule",
            code=unit.code,
            name=unit.name,
            timezone=unit.timezone,
            reminders=unit.reminder_times or f"{default_times} ({tr.plain('cli.default')})",
            digest=tr.plain(f"cli.digest_{unit.digest_mode}"),
        )

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        try:
            if args.units_command == "list":
                for unit in await unit_timings(db):
                    print(show(unit))
                return
            if args.reminders is None and args.digest is None and args.timezone is None:
                raise CliError(tr.plain("cli.unit_schedule_nothing"))
            try:
                unit = await set_unit_schedule(
                    db,
                    args.code,
                    now=SystemClock().now(),
                    actor="cli",
                    reminder_times={None: UNSET, "default": None}.get(
                        args.reminders, args.reminders
                    ),
                    digest_mode=args.digest,
                    timezone=args.timezone,
                )
            except LookupError:
                raise CliError(tr.plain("cli.unit_unknown", code=args.code)) from None
            print(show(unit))
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
                await _purge(db, settings, now, args.older_than, args.dry_run, tr)
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


async def _purge(
    db: Database, settings: Settings, now: datetime, days: int, dry_run: bool, tr: Texts
) -> None:
    """Personal data of old closed complaints, and abandoned drafts: say exactly what went."""
    from models import complaints
    from models.conversation import expire_drafts

    before = now - timedelta(days=days)
    purged = await complaints.purge_personal_data(
        db, closed_before=before, now=now, actor="cli", data_dir=settings.data_dir, dry_run=dry_run
    )
    drafts = await expire_drafts(
        db,
        now=now,
        idle=timedelta(days=settings.draft_retention_days),
        data_dir=settings.data_dir,
        actor="cli",
        dry_run=dry_run,
    )
    shown = before.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")
    key = "purge_dry_run" if dry_run else "purged"
    print(tr.plain(f"complaint_cli.{key}", before=shown, days=settings.draft_retention_days))
    print(
        tr.plain(
            "complaint_cli.purge_counts",
            complaints=purged.complaints,
            messages=purged.messages,
            telegram_messages=purged.telegram_messages,
            attachments=purged.attachments,
            outbox=purged.outbox,
            drafts=drafts.drafts,
            files=purged.files.deleted + drafts.files.deleted,
        )
    )
    missing = purged.files.missing + drafts.files.missing
    if missing:
        print(
            tr.plain("complaint_cli.purge_missing", missing=missing, data_dir=settings.data_dir),
            file=sys.stderr,
        )


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
    from scheduler.service import JOBS, Scheduler, next_run
    from services import Services

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


def cmd_export(args: argparse.Namespace, settings: Settings) -> None:
    """``sigap export activities``: one unit's (or one employee's) entries as XLSX."""
    from domain.nip import normalize_nip
    from models import export
    from services.export import write_workbook

    tr = texts(settings.default_language)
    if args.end < args.start:
        raise CliError(tr.plain("export.cli_dates"))
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CliError(tr.plain("export.cli_not_xlsx", path=out))

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        try:
            unit = await export.unit_by_code(db, args.unit)
            if unit is None or unit.id is None:
                raise CliError(tr.plain("export.cli_unit_unknown", unit=args.unit))
            people = await export.unit_members(db, unit.id, args.start, args.end)
            scope = f"unit:{unit.code}"
            if args.employee:
                nip = normalize_nip(args.employee)
                people = [p for p in people if p.nip == nip]
                if not people:
                    raise CliError(
                        tr.plain("export.cli_not_in_unit", nip=args.employee, unit=unit.code)
                    )
                scope = f"employee:{nip}"
            exports = await export.load_export(
                db,
                [p.id for p in people if p.id is not None],
                args.start,
                args.end,
                settings.data_dir,
            )
            if not export.has_entries(exports):
                raise CliError(
                    tr.plain(
                        "export.cli_empty",
                        start=args.start.isoformat(),
                        end=args.end.isoformat(),
                    )
                )
            write_workbook(exports, args.start, args.end, tr, private_file(out))
            await export.record_export(
                db, "cli", scope, exports, args.start, args.end, SystemClock().now()
            )
        finally:
            await db.dispose()
        print(
            tr.plain(
                "export.cli_written",
                path=out,
                entries=sum(len(e.entries) for e in exports),
                people=sum(1 for e in exports if e.entries),
            )
        )

    asyncio.run(go())


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> None:
    from sandbox.seed import SandboxDataError
    from sandbox.server import Sandbox, serve

    configure_logging(settings.log_level)
    start = None
    if args.start:
        parsed = datetime.fromisoformat(args.start)
        start = parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(settings.timezone))
    sandbox = Sandbox(Path(args.data_dir), port=args.port, reset=args.reset, start=start)

    def ready(running: Sandbox) -> None:
        print(f"Sigap sandbox: open {running.url} in a browser (Ctrl+C stops it)", flush=True)
        print(f"  data: {running.data_dir} (fresh again with --reset)", flush=True)

    try:
        asyncio.run(serve(sandbox, ready))
    except KeyboardInterrupt:
        pass  # Ctrl+C is how the sandbox is stopped
    except SandboxDataError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    print("Sigap sandbox stopped.", flush=True)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def cmd_skm(args: argparse.Namespace, settings: Settings) -> None:
    """``sigap skm report`` (the table a unit publishes), ``sigap skm services seed|list|add``."""
    from domain.skm import parse_period
    from models import survey
    from services.survey import write_report_xlsx

    tr = texts(settings.default_language)
    period = None
    if args.skm_command == "report":
        period = parse_period(args.period)
        if period is None:
            raise CliError(tr.plain("skm_cli.bad_period", period=args.period))

    async def go() -> None:
        await _upgrade(settings)
        db = _database(settings)
        try:
            unit = None
            if getattr(args, "unit", None):
                unit = await survey.unit_by_code(db, args.unit)
                if unit is None or unit.id is None:
                    raise CliError(tr.plain("skm_cli.unknown_unit", code=args.unit))
            if args.skm_command == "report":
                assert unit is not None and unit.id is not None and period is not None
                report = await survey.unit_report(db, unit.id, period)
                if report is None or report.result is None:
                    raise CliError(tr.plain("skm_cli.no_answers", code=unit.code, period=period))
                out = Path(args.out)
                write_report_xlsx(report, tr, out)
                print(
                    tr.plain(
                        "skm_cli.written",
                        code=unit.code,
                        period=period,
                        respondents=report.result.respondents,
                        ikm=report.result.ikm,
                        grade=report.result.grade,
                        path=out,
                    )
                )
            elif args.services_command == "seed":
                count = await survey.seed_default_services(db)
                print(tr.plain("skm_cli.services_seeded", count=count))
            elif args.services_command == "add":
                changed = await survey.add_service(
                    db, args.code, args.name, args.name_en or "", unit.id if unit else None
                )
                key = "skm_cli.service_saved" if changed else "skm_cli.service_same"
                print(tr.plain(key, code=args.code))
            elif args.services_command == "remove":
                if not await survey.deactivate_service(db, args.code):
                    raise CliError(tr.plain("skm_cli.service_unknown", code=args.code))
                print(tr.plain("skm_cli.service_removed", code=args.code))
            else:
                listed = await survey.all_services(db)
                if not listed:
                    print(tr.plain("skm_cli.services_none"))
                for service, code in listed:
                    inactive = "" if service.active else tr.plain("skm_cli.service_inactive")
                    print(
                        tr.plain(
                            "skm_cli.service_line",
                            code=service.code,
                            unit=code or tr.plain("skm_cli.everywhere"),
                            name=service.name,
                            inactive=inactive,
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

    run = commands.add_parser(
        "run", help="run the bot (long polling, or --webhook); migrates the database first"
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on our own HTTP server (SIGAP_WEBHOOK_URL, SIGAP_WEBHOOK_SECRET); "
        "each update is acknowledged only once handled, so a crash loses none",
    )
    run.set_defaults(handler=cmd_run)

    sandbox = commands.add_parser(
        "sandbox",
        help="try Sigap in a browser: emulated Telegram, demo people, no token needed",
        description="Starts the Bot API emulator, the bot and a Telegram-like web page on "
        "http://127.0.0.1:PORT (loopback only), with demo people from the sample Belawan "
        "roster and a clock you can move forward. Its data lives in its own SQLite file.",
    )
    sandbox.add_argument("--port", type=_port, default=8080, help="web page port (default 8080)")
    sandbox.add_argument(
        "--data-dir", default="data/sandbox", help="sandbox data folder (default data/sandbox)"
    )
    sandbox.add_argument(
        "--reset", action="store_true", help="delete the sandbox data and seed it again"
    )
    sandbox.add_argument(
        "--start",
        type=_parse_moment,
        help="start the sandbox clock at this local time, e.g. 2026-11-24T09:00 (default: now)",
    )
    sandbox.set_defaults(handler=cmd_sandbox)

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
    status = roster_commands.add_parser(
        "status", help="who has linked their Telegram account, per unit"
    )
    status.add_argument("--unit", help="one unit's code (default: every unit)")
    status.add_argument(
        "--missing",
        action="store_true",
        help="also list who has not linked (or has blocked the bot), to hand out invites",
    )
    status.set_defaults(handler=cmd_roster_status)

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

    units = commands.add_parser("units", help="units' time zones, reminder times, digest day")
    unit_commands = units.add_subparsers(dest="units_command", required=True, metavar="ACTION")
    unit_commands.add_parser("list", help="every unit and its schedule").set_defaults(
        handler=cmd_units
    )
    schedule = unit_commands.add_parser(
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
    schedule.set_defaults(handler=cmd_units)

    exports = commands.add_parser("export", help="export work-log entries")
    export_commands = exports.add_subparsers(dest="export_command", required=True, metavar="ACTION")
    exp = export_commands.add_parser(
        "activities",
        help="write a unit's entries of a period to XLSX (one sheet per employee)",
        description="Columns close to an e-Kinerja upload: date, activity, quantity, unit, "
        "minutes, SKP target, status, evidence (file names and the path of Sigap's copy under "
        "the data folder). Deleted entries are left out; every export is audit-logged.",
    )
    exp.add_argument("--unit", required=True, help="unit code, e.g. BLW-K01")
    exp.add_argument("--from", dest="start", type=_parse_day, required=True, metavar="YYYY-MM-DD")
    exp.add_argument("--to", dest="end", type=_parse_day, required=True, metavar="YYYY-MM-DD")
    exp.add_argument("--out", required=True, help="XLSX file to write")
    exp.add_argument("--employee", metavar="NIP", help="only this employee of the unit")
    exp.set_defaults(handler=cmd_export)

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
        help="remove personal data of complaints closed more than DAYS ago (keeps statistics),"
        " and drafts abandoned for SIGAP_DRAFT_RETENTION_DAYS",
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
    skm = commands.add_parser("skm", help="public satisfaction survey (SKM): reports, services")
    skm_commands = skm.add_subparsers(dest="skm_command", required=True, metavar="ACTION")
    report = skm_commands.add_parser(
        "report", help="write the table a unit publishes (element means, IKM, grade, profile)"
    )
    report.add_argument("--unit", required=True, help="unit code, e.g. BLW-PU")
    report.add_argument("--period", required=True, help="quarter, e.g. 2026Q4")
    report.add_argument("--out", required=True, help="XLSX file to write")
    report.set_defaults(handler=cmd_skm)
    services = skm_commands.add_parser("services", help="the services people can rate")
    service_commands = services.add_subparsers(
        dest="services_command", required=True, metavar="ACTION"
    )
    service_commands.add_parser("seed", help="add the Belawan default services").set_defaults(
        handler=cmd_skm
    )
    service_commands.add_parser("list", help="every service and its unit").set_defaults(
        handler=cmd_skm
    )
    sadd = service_commands.add_parser("add", help="add or rename a service")
    sadd.add_argument("code", help="short unique code, e.g. imb")
    sadd.add_argument("name", help="name in Indonesian")
    sadd.add_argument("--name-en", help="name in English")
    sadd.add_argument("--unit", help="unit code (default: every unit)")
    sadd.set_defaults(handler=cmd_skm)
    sremove = service_commands.add_parser("remove", help="stop offering a service")
    sremove.add_argument("code")
    sremove.set_defaults(handler=cmd_skm)
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
