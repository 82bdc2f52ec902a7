"""``sigap export activities``: one unit's (or one employee's) work-log entries of a period
as XLSX, close to an e-Kinerja upload; every export is audit-logged."""

from __future__ import annotations

from pathlib import Path

from bot.cli.common import (
    CliError,
    Command,
    Subcommands,
    command,
    day_argument,
    private_file,
    subcommands,
)


def add_commands(commands: Subcommands) -> None:
    exports = commands.add_parser("export", help="export work-log entries")
    activities = subcommands(exports, "export_command").add_parser(
        "activities",
        help="write a unit's entries of a period to XLSX (one sheet per employee)",
        description="Columns close to an e-Kinerja upload: date, activity, quantity, unit, "
        "minutes, SKP target, status, evidence (file names and the path of Sigap's copy under "
        "the data folder). Deleted entries are left out; every export is audit-logged.",
    )
    activities.add_argument("--unit", required=True, help="unit code, e.g. BLW-K01")
    activities.add_argument(
        "--from", dest="start", type=day_argument, required=True, metavar="YYYY-MM-DD"
    )
    activities.add_argument(
        "--to", dest="end", type=day_argument, required=True, metavar="YYYY-MM-DD"
    )
    activities.add_argument("--out", required=True, help="XLSX file to write")
    activities.add_argument("--employee", metavar="NIP", help="only this employee of the unit")
    activities.set_defaults(handler=export_activities)


@command
async def export_activities(c: Command) -> None:
    from domain.nip import normalize_nip
    from models import export
    from services.export import write_workbook

    args, tr = c.args, c.tr
    if args.end < args.start:
        raise CliError(tr.plain("export.cli_dates"))
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CliError(tr.plain("export.cli_not_xlsx", path=out))
    async with c.database() as db:
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
        ids = [p.id for p in people if p.id is not None]
        exports = await export.load_export(db, ids, args.start, args.end, c.settings.data_dir)
        if not export.has_entries(exports):
            raise CliError(
                tr.plain("export.cli_empty", start=args.start.isoformat(), end=args.end.isoformat())
            )
        write_workbook(exports, args.start, args.end, tr, private_file(out))
        await export.record_export(db, "cli", scope, exports, args.start, args.end, c.now())
    print(
        tr.plain(
            "export.cli_written",
            path=out,
            entries=sum(len(e.entries) for e in exports),
            people=sum(1 for e in exports if e.entries),
        )
    )
