"""``sigap roster import|status`` and ``sigap invites create``: the employees, and the links
that connect their Telegram accounts."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import (
    CliError,
    Command,
    Subcommands,
    command,
    dry_run_flag,
    private_file,
    subcommands,
)
from bot.cli.problems import file_error, print_problems
from domain.roster import RosterFileError, read_roster

if TYPE_CHECKING:
    from models.menus import MenuFor


def add_commands(commands: Subcommands) -> None:
    roster = commands.add_parser("roster", help="the employee roster")
    actions = subcommands(roster, "roster_command")
    imp = actions.add_parser(
        "import",
        help="import employees from CSV or XLSX (all rows or none)",
        description="Columns: NIP, name, position, unit code, unit name, supervisor NIP, roles.",
    )
    imp.add_argument("file", help="roster file (.csv or .xlsx)")
    dry_run_flag(imp)
    imp.add_argument(
        "--deactivate-missing",
        action="store_true",
        help="the file is the whole roster: active employees not in it are deactivated "
        "(what a file sent to /admin in Telegram does)",
    )
    imp.set_defaults(handler=roster_import)
    status = actions.add_parser("status", help="who has linked their Telegram account, per unit")
    status.add_argument("--unit", help="one unit's code (default: every unit)")
    status.add_argument(
        "--missing",
        action="store_true",
        help="also list who has not linked (or has blocked the bot), to hand out invites",
    )
    status.set_defaults(handler=roster_status)

    invites = commands.add_parser("invites", help="invite links for employees")
    create = subcommands(invites, "invites_command").add_parser(
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
    create.set_defaults(handler=invites_create)


@command
async def roster_import(c: Command) -> None:
    from models.roster import RosterScope, import_roster

    try:
        rows = read_roster(Path(c.args.file))
    except RosterFileError as exc:
        raise file_error(exc, c.tr) from None
    async with c.database() as db:
        result = await import_roster(
            db,
            rows,
            dry_run=c.args.dry_run,
            actor="cli",
            now=c.now(),
            timezone=c.settings.timezone,
            scope=RosterScope(deactivate_missing=c.args.deactivate_missing),
            menus=_menus(c),
        )
    if result.problems:
        print_problems(result.problems, c.tr, "roster")
    for refusal in result.refusals:
        params = dict(refusal.params)
        staff = params.get("staff")
        if isinstance(staff, list):
            params["count"], params["staff"] = len(staff), ", ".join(staff)
        print(c.tr.plain(f"admin_refusal.{refusal.code}", **params))
    if result.problems or result.refusals:
        raise CliError(c.tr.plain("cli.roster_not_saved"))
    n = result.changes
    print(
        c.tr.plain(
            "cli.roster_summary",
            units_new=n.units_new,
            units_changed=n.units_changed,
            units_same=n.units_same,
            new=n.new,
            changed=n.changed,
            same=n.same,
        )
    )
    if c.args.deactivate_missing:
        print(c.tr.plain("cli.roster_deactivated", count=n.deactivated))
    print(c.tr.plain("cli.roster_dry_run" if c.args.dry_run else "cli.roster_saved"))


def _menus(c: Command) -> MenuFor:
    """The menus of the people an import changes, queued for the bot's outbox sender (which
    delivers them whichever process wrote them): the bot's own command tables."""
    from bot.app import command_menu
    from handlers.menus import menu_for

    settings = c.settings
    return menu_for(command_menu(), settings.default_language, settings.admin_ids)


@command
async def roster_status(c: Command) -> None:
    """Who has linked their Telegram account, per unit; with --missing, the NIPs to chase."""
    from models.roster import LinkStatus, link_status

    async with c.database() as db:
        people = await link_status(db, c.args.unit)
    if c.args.unit and not people:
        raise CliError(c.tr.plain("cli.unit_unknown", code=c.args.unit))
    units: dict[str, list[LinkStatus]] = {}
    for person in people:
        units.setdefault(person.unit_code, []).append(person)
    for code, members in units.items():
        linked = sum(p.linked for p in members)
        blocked = sum(p.blocked for p in members)
        print(
            c.tr.plain(
                "cli.roster_status", code=code, linked=linked, total=len(members), blocked=blocked
            )
        )
        if c.args.missing:
            for p in members:
                if not p.linked or p.blocked:
                    mark = c.tr.plain("cli.roster_blocked") if p.linked else ""
                    print(f"  {p.nip}  {p.name}{mark}")


@command
async def invites_create(c: Command) -> None:
    from domain.nip import validate_nip
    from handlers.invite import invite_link
    from models.identity import issue_invites
    from texts.format import format_datetime

    tr, settings = c.tr, c.settings
    nip = None
    if c.args.nip:
        check = validate_nip(c.args.nip)
        if not check.ok:
            raise CliError(tr.plain("cli.nip_invalid", reason=tr.plain(f"nip.{check.code}")))
        nip = check.nip
    username = settings.bot_username or await _bot_username(c)
    out = Path(c.args.out)
    async with c.database() as db:
        issued = await issue_invites(
            db,
            now=c.now(),
            ttl=timedelta(days=settings.invite_ttl_days),
            actor="cli",
            unit_code=c.args.unit,
            nip=nip,
            include_linked=c.args.include_linked,
        )
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
    expires = format_datetime(issued[0].expires_at, c.zone, tr.language)
    print(tr.plain("cli.invites_written", count=len(issued), path=out, expires=expires))


async def _bot_username(c: Command) -> str:
    """The bot's @username for the links, asked of Telegram when SIGAP_BOT_USERNAME is unset."""
    from telegram import Bot
    from telegram.error import TelegramError

    tr, settings = c.tr, c.settings
    if not settings.telegram_bot_token:
        raise CliError(tr.plain("cli.needs_bot_username"))
    bot = Bot(settings.require_token(), base_url=settings.bot_api_url)
    try:
        async with bot:
            return bot.username
    except TelegramError as exc:
        raise CliError(f"{tr.plain('cli.needs_bot_username')} ({exc.message})") from None
