"""Run the emulator on its own to try a real bot against it by hand.

    python -m emulator --port 8081 --token 123456:TEST-token

Then start the bot with ``base_url=http://127.0.0.1:8081/bot`` and
``base_file_url=http://127.0.0.1:8081/file/bot``. Lines typed on stdin are sent to the bot by
one emulated user; ``!press <button text>`` presses an inline button, ``!quit`` stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from emulator.client import EmulatedUser
from emulator.core import BotApiEmulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--username", default="sigap_test_bot", help="the bot's username")
    parser.add_argument("--first-name", default="Sigap", help="the bot's first name")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every call")
    parser.add_argument("--flood-limits", action="store_true", help="answer 429 like Telegram")
    parser.add_argument("--user", default="Tester", help="first name of the console user")
    return parser.parse_args(argv)


async def _print_bot_messages(user: EmulatedUser) -> None:
    while True:
        with contextlib.suppress(AssertionError):
            for message in await user.wait_for(timeout=3600):
                print(f"bot> {message.text}")
                for row in message.buttons:
                    print("     " + "  ".join(f"[{text}]" for text, _ in row))


async def _console(emulator: BotApiEmulator, user: EmulatedUser) -> None:
    printer = asyncio.create_task(_print_bot_messages(user))
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line or line.strip() == "!quit":
                return
            line = line.rstrip("\n")
            if not line.strip():
                continue
            try:
                if line.startswith("!press "):
                    await user.press(line.removeprefix("!press ").strip())
                else:
                    await user.send(line)
            except (LookupError, ValueError) as error:
                print(f"!! {error}")
    finally:
        printer.cancel()


async def _main(args: argparse.Namespace) -> None:
    emulator = BotApiEmulator(
        args.token,
        args.username,
        args.first_name,
        latency=args.latency,
        flood_limits=args.flood_limits,
    )
    await emulator.start(args.host, args.port)
    print(f"Bot API emulator at {emulator.base_url}", flush=True)
    print(f"  PTB: base_url={emulator.base_url}/bot  base_file_url={emulator.base_url}/file/bot")
    print(f"  token: {emulator.token}   type a line to send it as {args.user}", flush=True)
    try:
        await _console(emulator, emulator.user(first_name=args.user))
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(_parse_args(argv)))


if __name__ == "__main__":
    main()
