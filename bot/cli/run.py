"""``sigap run`` (the bot, long polling or ``--webhook``) and ``sigap sandbox`` (the bot, the
Bot API emulator and a Telegram-like page in a browser).

Both run their own event loop for as long as they serve, so they are plain handlers rather
than ``@command`` bodies; ``run`` migrates the database before the bot opens it."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.common import (
    CliError,
    Command,
    Subcommands,
    configure_logging,
    local_moment,
    moment_argument,
)
from services.settings import Settings


def add_commands(commands: Subcommands) -> None:
    run = commands.add_parser(
        "run", help="run the bot (long polling, or --webhook); migrates the database first"
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on our own HTTP server (SIGAP_WEBHOOK_URL, SIGAP_WEBHOOK_SECRET); "
        "each update is acknowledged only once handled, so a crash loses none",
    )
    run.set_defaults(handler=run_bot)

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
        type=moment_argument,
        help="start the sandbox clock at this local time, e.g. 2026-11-24T09:00 (default: now)",
    )
    sandbox.set_defaults(handler=run_sandbox)


def run_bot(args: argparse.Namespace, settings: Settings) -> None:
    from bot.app import ALLOWED_UPDATES, build_application

    settings.require_token()
    # What the bot writes (the SQLite database, evidence and complaint attachments, digests) is
    # personal data (UU 27/2022): the owner only, whatever umask the service was started with.
    os.umask(0o077)
    configure_logging(settings.log_level, settings.log_format)
    if args.webhook:
        settings.require_webhook()  # before migrating: a missing setting fails at once
    asyncio.run(_migrate(Command.of(args, settings)))
    application = build_application(settings)
    if args.webhook:
        from bot.webhook import run_webhook

        run_webhook(application, settings)
        return
    from bot.polling import run_polling

    run_polling(application, ALLOWED_UPDATES)


async def _migrate(c: Command) -> None:
    async with c.database():
        pass  # opening it migrates; the bot then opens its own


def run_sandbox(args: argparse.Namespace, settings: Settings) -> None:
    from sandbox.seed import SandboxDataError
    from sandbox.server import Sandbox, serve

    configure_logging(settings.log_level)
    start = local_moment(args.start, ZoneInfo(settings.timezone)) if args.start else None
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
