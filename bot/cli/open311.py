"""``sigap open311 key create|list|revoke``: the api_keys of Open311 clients (a city
dashboard, a partner app). A key is printed once, when created; only its hash is kept."""

from __future__ import annotations

import argparse

from bot.cli.common import CliError, Command, Subcommands, command, subcommands
from models.open311 import NAME_MAX


def add_commands(commands: Subcommands) -> None:
    open311 = commands.add_parser("open311", help="Open311 API clients and their keys")
    groups = subcommands(open311, "open311_command")
    key = groups.add_parser("key", help="create, list or revoke a client's api_key")
    actions = subcommands(key, "open311_key_command")
    create = actions.add_parser(
        "create", help="a new client and its key (printed once: give it to the client)"
    )
    create.add_argument("name", type=_name, help="who the key is for, e.g. dashboard-medan")
    create.set_defaults(handler=key_create)
    actions.add_parser(
        "list", help="every client, its key's start, and whether revoked"
    ).set_defaults(handler=key_list)
    revoke = actions.add_parser("revoke", help="stop a client's key at once")
    revoke.add_argument("name", help="the client's name")
    revoke.set_defaults(handler=key_revoke)


def _name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise argparse.ArgumentTypeError(f"1-{NAME_MAX} printable characters")
    return name


@command
async def key_create(c: Command) -> None:
    from models.open311 import ClientExists, create_client

    async with c.database() as db:
        try:
            key = await create_client(db, c.args.name, now=c.now(), actor="cli")
        except ClientExists:
            raise CliError(c.tr.plain("cli.open311_exists", name=c.args.name)) from None
    print(c.tr.plain("cli.open311_created", name=c.args.name))
    print(key)


@command
async def key_list(c: Command) -> None:
    from models.open311 import list_clients

    async with c.database() as db:
        clients = await list_clients(db)
    if not clients:
        print(c.tr.plain("cli.open311_none"))
    for client in clients:
        state = (
            c.tr.plain("cli.open311_revoked", at=client.revoked_at.isoformat(timespec="minutes"))
            if client.revoked_at
            else c.tr.plain("cli.open311_active")
        )
        print(f"{client.name}\t{client.key_prefix}…\t{state}")


@command
async def key_revoke(c: Command) -> None:
    from models.open311 import revoke_client

    async with c.database() as db:
        if not await revoke_client(db, c.args.name, now=c.now(), actor="cli"):
            raise CliError(c.tr.plain("cli.open311_unknown", name=c.args.name))
    print(c.tr.plain("cli.open311_revoked_now", name=c.args.name))
