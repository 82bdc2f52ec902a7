"""``sigap complaints ...``: complaint categories (``categories import|list``), retention
(``purge``: personal data of old closed complaints and abandoned drafts) and abuse (``ban``,
``unban`` a reporter by one of their tracking numbers, without anyone seeing who it is)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from bot.cli.common import CliError, Command, Subcommands, command, dry_run_flag, subcommands
from bot.cli.problems import file_error, print_category_problems
from domain.roster import RosterFileError


def add_commands(commands: Subcommands) -> None:
    complaints = commands.add_parser("complaints", help="public complaints: categories, retention")
    actions = subcommands(complaints, "complaints_command")
    categories = actions.add_parser("categories", help="complaint categories")
    category_actions = subcommands(categories, "categories_command")
    imp = category_actions.add_parser(
        "import",
        help="load categories from CSV/XLSX, or the Belawan defaults without a file",
        description="Columns: Kode, Nama, Nama (EN), Kode Unit, Urutan. All rows or none; "
        "categories missing from the file are deactivated.",
    )
    imp.add_argument("file", nargs="?", help="categories file (.csv or .xlsx); default: built-in")
    dry_run_flag(imp)
    imp.set_defaults(handler=categories_import)
    category_actions.add_parser("list", help="categories and their units").set_defaults(
        handler=categories_list
    )
    purge = actions.add_parser(
        "purge",
        help="remove personal data of complaints closed more than DAYS ago (keeps statistics),"
        " and drafts abandoned for SIGAP_DRAFT_RETENTION_DAYS",
    )
    purge.add_argument("--older-than", type=_non_negative_days, required=True, metavar="DAYS")
    purge.add_argument("--dry-run", action="store_true", help="count only")
    purge.set_defaults(handler=complaints_purge)
    ban = actions.add_parser(
        "ban", help="stop the reporter of a complaint from filing more (abuse)"
    )
    ban.add_argument("number", help="tracking number, e.g. BLW-2611-0042")
    ban.add_argument("--reason", required=True)
    ban.set_defaults(handler=complaints_ban)
    unban = actions.add_parser("unban", help="lift a ban")
    unban.add_argument("number", help="tracking number of one of their complaints")
    unban.set_defaults(handler=complaints_unban)


@command
async def categories_import(c: Command) -> None:
    from domain.complaints import DEFAULT_CATEGORIES, read_categories
    from models.complaints import import_categories

    try:
        rows = read_categories(Path(c.args.file)) if c.args.file else list(DEFAULT_CATEGORIES)
    except RosterFileError as exc:
        raise file_error(exc, c.tr) from None
    async with c.database() as db:
        result = await import_categories(db, rows, dry_run=c.args.dry_run, actor="cli", now=c.now())
    if result.problems:
        print_category_problems(result.problems, c.tr)
    print(
        c.tr.plain(
            "complaint_cli.categories_summary",
            new=result.new,
            changed=result.changed,
            same=result.same,
            deactivated=result.deactivated,
        )
    )
    key = "categories_dry_run" if c.args.dry_run else "categories_saved"
    print(c.tr.plain(f"complaint_cli.{key}"))


@command
async def categories_list(c: Command) -> None:
    from models.complaints import all_categories

    async with c.database() as db:
        listed = await all_categories(db)
    if not listed:
        print(c.tr.plain("complaint_cli.categories_none"))
    for category, unit_code in listed:
        inactive = "" if category.active else c.tr.plain("complaint_cli.categories_inactive")
        print(
            c.tr.plain(
                "complaint_cli.categories_line",
                code=category.code,
                unit=unit_code,
                name=category.name,
                inactive=inactive,
            )
        )


@command
async def complaints_purge(c: Command) -> None:
    """Personal data of old closed complaints, and abandoned drafts: say exactly what went."""
    from models.complaints import purge_personal_data
    from models.conversation import expire_drafts

    settings, tr, dry_run = c.settings, c.tr, c.args.dry_run
    now = c.now()
    before = now - timedelta(days=c.args.older_than)
    async with c.database() as db:
        purged = await purge_personal_data(
            db,
            closed_before=before,
            now=now,
            actor="cli",
            data_dir=settings.data_dir,
            dry_run=dry_run,
        )
        drafts = await expire_drafts(
            db,
            now=now,
            idle=timedelta(days=settings.draft_retention_days),
            data_dir=settings.data_dir,
            actor="cli",
            dry_run=dry_run,
        )
    shown = before.astimezone(c.zone).strftime("%Y-%m-%d %H:%M")
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


@command
async def complaints_ban(c: Command) -> None:
    from models.complaints import ban_reporter

    number = _tracking_number(c)
    async with c.database() as db:
        banned = await ban_reporter(db, number, c.args.reason, actor="cli", now=c.now())
    if not banned:
        raise CliError(c.tr.plain("complaint_cli.not_found", number=number))
    print(c.tr.plain("complaint_cli.banned", number=number))


@command
async def complaints_unban(c: Command) -> None:
    from models.complaints import unban_reporter

    number = _tracking_number(c)
    async with c.database() as db:
        lifted = await unban_reporter(db, number, actor="cli", now=c.now())
    if not lifted:
        raise CliError(c.tr.plain("complaint_cli.not_banned", number=number))
    print(c.tr.plain("complaint_cli.unbanned", number=number))


def _tracking_number(c: Command) -> str:
    from domain.complaints import parse_tracking_number

    number = parse_tracking_number(c.args.number)
    if number is None:
        raise CliError(c.tr.plain("complaint_cli.invalid_number", text=c.args.number))
    return number


def _non_negative_days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (0 or more)")
    return int(text)
