"""``sigap targets import``: SKP targets (Sasaran Kinerja Pegawai, the yearly performance
plan) that employees log their work towards."""

from __future__ import annotations

from pathlib import Path

from bot.cli.common import Command, Subcommands, command, dry_run_flag, subcommands
from bot.cli.problems import file_error, print_problems
from domain.roster import RosterFileError


def add_commands(commands: Subcommands) -> None:
    targets = commands.add_parser("targets", help="SKP targets")
    imp = subcommands(targets, "targets_command").add_parser(
        "import",
        help="import SKP targets from CSV or XLSX (all rows or none)",
        description="Columns: NIP, Tahun, RHK, Indikator, Target, Satuan, Jenis (Utama/Tambahan).",
    )
    imp.add_argument("file", help="targets file (.csv or .xlsx)")
    dry_run_flag(imp)
    imp.set_defaults(handler=targets_import)


@command
async def targets_import(c: Command) -> None:
    from domain.skp import read_targets
    from models.targets import import_targets

    try:
        rows = read_targets(Path(c.args.file))
    except RosterFileError as exc:
        raise file_error(exc, c.tr, "targets") from None
    now = c.now()
    async with c.database() as db:
        result = await import_targets(
            db,
            rows,
            dry_run=c.args.dry_run,
            actor="cli",
            now=now,
            current_year=now.astimezone(c.zone).year,
        )
    if result.problems:
        print_problems(result.problems, c.tr, "targets")
    print(
        c.tr.plain("cli.targets_summary", new=result.new, changed=result.changed, same=result.same)
    )
    print(c.tr.plain("cli.roster_dry_run" if c.args.dry_run else "cli.targets_saved"))
