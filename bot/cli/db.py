"""``sigap db upgrade``: apply the migrations (``sigap run`` and every command do it too)."""

from __future__ import annotations

from bot.cli.common import Command, Subcommands, command, subcommands


def add_commands(commands: Subcommands) -> None:
    db = commands.add_parser("db", help="database maintenance")
    actions = subcommands(db, "db_command")
    actions.add_parser("upgrade", help="apply migrations to DATABASE_URL").set_defaults(
        handler=upgrade
    )


@command
async def upgrade(c: Command) -> None:
    from models.migrate import head_revision

    async with c.database():
        pass  # opening it migrates
    print(c.tr.plain("cli.db_upgraded", revision=head_revision() or "-"))
