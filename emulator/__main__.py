"""Run the emulator on its own to try a real bot against it by hand.

    python -m emulator --port 8081 --token 123456:TEST-token

Then start the bot with ``base_url=http://127.0.0.1:8081/bot`` and
``base_file_url=http://127.0.0.1:8081/file/bot``. Lines typed on stdin are sent to the bot by
one emulated user; ``!press <button text>`` presses an inline button, ``!quit`` stops.
``--headless`` serves without the console until the process is terminated (a test's emulator
in a process of its own).

A flaky Telegram (see emulator/faults.py): ``--faults 0.2`` faults 20 % of the bot's calls,
spread over every kind; ``--faults 502=0.1,reset=0.05`` chooses kinds and rates. The
``--fault-*`` options refine it; ``/_emulator/faults`` switches it at run time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from emulator.client import EmulatedUser
from emulator.core import BotApiEmulator
from emulator.faults import FaultPlan, Faults


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


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
    parser.add_argument("--headless", action="store_true", help="no console: serve until killed")
    faults = parser.add_argument_group("faults")
    faults.add_argument(
        "--faults", metavar="SPEC", help='"0.2" (every kind) or "429=0.05,502=0.1,reset=0.05"'
    )
    faults.add_argument("--fault-seed", type=int, default=0, help="same seed, same faults")
    faults.add_argument(
        "--fault-methods", type=_names, metavar="A,B", help="only these methods (default: all)"
    )
    faults.add_argument(
        "--fault-exempt", type=_names, default=[], metavar="A,B", help="never these methods"
    )
    faults.add_argument("--fault-retry-after", type=int, default=1, help="a 429's retry_after")
    faults.add_argument("--fault-slow", type=float, default=1.0, help="seconds of a slow answer")
    faults.add_argument(
        "--fault-hold", type=float, default=0.0, help="seconds a lost answer is held before reset"
    )
    args = parser.parse_args(argv)
    try:
        args.fault_plan = _fault_plan(args)
    except ValueError as error:
        parser.error(f"--faults: {error}")
    return args


def _fault_plan(args: argparse.Namespace) -> FaultPlan | None:
    if not args.faults:
        return None
    return FaultPlan.parse(
        args.faults,
        seed=args.fault_seed,
        methods=args.fault_methods,
        exempt=args.fault_exempt,
        retry_after=args.fault_retry_after,
        slow_seconds=args.fault_slow,
        hold_seconds=args.fault_hold,
    )


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
        faults=Faults(args.fault_plan),
    )
    await emulator.start(args.host, args.port)
    print(f"Bot API emulator at {emulator.base_url}", flush=True)
    print(f"  PTB: base_url={emulator.base_url}/bot  base_file_url={emulator.base_url}/file/bot")
    if emulator.faults.plan is not None:
        print(f"  faults: {emulator.faults.plan.to_json()}", flush=True)
    try:
        if args.headless:
            await _until_terminated()
        else:
            print(f"  token: {emulator.token}   type a line to send it as {args.user}", flush=True)
            await _console(emulator, emulator.user(first_name=args.user))
    finally:
        await emulator.stop()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(_parse_args(argv)))


if __name__ == "__main__":
    main()
