"""``sigap skm report|services ...``: the public satisfaction survey (SKM, Survei Kepuasan
Masyarakat): the quarterly table a unit publishes (element means, IKM, grade, respondents'
profile) and the services people can rate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import CliError, Command, Subcommands, command, subcommands
from models.db import Database

if TYPE_CHECKING:
    from models.tables import Unit


def add_commands(commands: Subcommands) -> None:
    skm = commands.add_parser("skm", help="public satisfaction survey (SKM): reports, services")
    actions = subcommands(skm, "skm_command")
    report = actions.add_parser(
        "report", help="write the table a unit publishes (element means, IKM, grade, profile)"
    )
    report.add_argument("--unit", required=True, help="unit code, e.g. BLW-PU")
    report.add_argument("--period", required=True, help="quarter, e.g. 2026Q4")
    report.add_argument("--out", required=True, help="XLSX file to write")
    report.set_defaults(handler=skm_report)
    services = actions.add_parser("services", help="the services people can rate")
    service_actions = subcommands(services, "services_command")
    service_actions.add_parser("seed", help="add the Belawan default services").set_defaults(
        handler=services_seed
    )
    service_actions.add_parser("list", help="every service and its unit").set_defaults(
        handler=services_list
    )
    add = service_actions.add_parser("add", help="add or rename a service")
    add.add_argument("code", help="short unique code, e.g. imb")
    add.add_argument("name", help="name in Indonesian")
    add.add_argument("--name-en", help="name in English")
    add.add_argument("--unit", help="unit code (default: every unit)")
    add.set_defaults(handler=services_add)
    remove = service_actions.add_parser("remove", help="stop offering a service")
    remove.add_argument("code")
    remove.set_defaults(handler=services_remove)


async def _unit(c: Command, db: Database, code: str) -> Unit:
    from models.survey import unit_by_code

    unit = await unit_by_code(db, code)
    if unit is None or unit.id is None:
        raise CliError(c.tr.plain("skm_cli.unknown_unit", code=code))
    return unit


@command
async def skm_report(c: Command) -> None:
    from domain.skm import parse_period
    from models.survey import unit_report
    from services.survey import write_report_xlsx

    period = parse_period(c.args.period)
    if period is None:
        raise CliError(c.tr.plain("skm_cli.bad_period", period=c.args.period))
    async with c.database() as db:
        unit = await _unit(c, db, c.args.unit)
        assert unit.id is not None
        report = await unit_report(db, unit.id, period)
        if report is None or report.result is None:
            raise CliError(c.tr.plain("skm_cli.no_answers", code=unit.code, period=period))
    out = Path(c.args.out)
    write_report_xlsx(report, c.tr, out)
    print(
        c.tr.plain(
            "skm_cli.written",
            code=unit.code,
            period=period,
            respondents=report.result.respondents,
            ikm=report.result.ikm,
            grade=report.result.grade,
            path=out,
        )
    )


@command
async def services_seed(c: Command) -> None:
    from models.survey import seed_default_services

    async with c.database() as db:
        count = await seed_default_services(db)
    print(c.tr.plain("skm_cli.services_seeded", count=count))


@command
async def services_add(c: Command) -> None:
    from models.survey import add_service

    args = c.args
    async with c.database() as db:
        unit = await _unit(c, db, args.unit) if args.unit else None
        changed = await add_service(
            db, args.code, args.name, args.name_en or "", unit.id if unit else None
        )
    key = "skm_cli.service_saved" if changed else "skm_cli.service_same"
    print(c.tr.plain(key, code=args.code))


@command
async def services_remove(c: Command) -> None:
    from models.survey import deactivate_service

    async with c.database() as db:
        removed = await deactivate_service(db, c.args.code)
    if not removed:
        raise CliError(c.tr.plain("skm_cli.service_unknown", code=c.args.code))
    print(c.tr.plain("skm_cli.service_removed", code=c.args.code))


@command
async def services_list(c: Command) -> None:
    from models.survey import all_services

    async with c.database() as db:
        listed = await all_services(db)
    if not listed:
        print(c.tr.plain("skm_cli.services_none"))
    for service, code in listed:
        inactive = "" if service.active else c.tr.plain("skm_cli.service_inactive")
        print(
            c.tr.plain(
                "skm_cli.service_line",
                code=service.code,
                unit=code or c.tr.plain("skm_cli.everywhere"),
                name=service.name,
                inactive=inactive,
            )
        )
