"""Webhook mode against long polling: Sigap's updates/s in both modes, measured in the same run.

Not part of the test suite: ``python bench/webhook.py``. Each case is ``bench/updates.py``'s
Sigap case (the real Application answering /start and /bantuan from 1,000 private chats, the bot
in a process of its own, the emulator playing Telegram in this one); only the way updates reach
the bot differs. In webhook mode the emulator delivers as Telegram does: one update in flight
per chat, up to ``max_connections`` (40) at once, and the bot answers each POST only after the
update has been handled. Reported: updates/s per mode and the ratio webhook / polling, without
and with 50 ms added to every Bot API call (and every webhook call) as a stand-in for the
network. Every case also checks that nothing was lost and each chat's answers kept their order.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from updates import BOT_CPU, Result, run_case


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--per-chat", type=int, default=5, help="updates per chat")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for latency in (0.0, 0.05):
            for mode in ("polling", "webhook"):
                name = f"{mode}{'+50ms' if latency else ''}"
                runs = []
                # Alternate nothing between modes but the mode: same chats, same seeds.
                for i in range(args.repeat):
                    run_dir = Path(tmp) / f"{name}{i}"
                    run_dir.mkdir()
                    runs.append(
                        await run_case(
                            name,
                            sigap=True,
                            latency=latency,
                            chats=args.chats,
                            per_chat=args.per_chat,
                            workdir=run_dir,
                            seed=i,
                            webhook=mode == "webhook",
                        )
                    )
                results[name] = sorted(runs, key=lambda r: r.rate)[len(runs) // 2]

    print(
        f"{'case':<14} {'updates':>8} {'chats':>6} {'seconds':>8} {'updates/s':>10} "
        f"{'lost':>5} {'disorder':>8} {'bot CPU ms/update':>18}"
    )
    for r in results.values():
        # The bot process's CPU per update (last run of the case, warm-up included): on the
        # real network Telegram's side is not on this machine, so this is the cost that stays.
        cpu = BOT_CPU.get(r.name)
        per_update = f"{1000 * cpu / (r.updates + r.chats):.2f}" if cpu is not None else "-"
        print(
            f"{r.name:<14} {r.updates:>8} {r.chats:>6} {r.seconds:>8.2f} {r.rate:>10.0f} "
            f"{r.lost:>5} {r.out_of_order:>8} {per_update:>18}"
        )
    print()
    for suffix, label in (("", "no added latency"), ("+50ms", "50 ms per call  ")):
        ratio = results[f"webhook{suffix}"].rate / results[f"polling{suffix}"].rate
        print(f"webhook / polling, {label}: {ratio:.2f}x")
    print(f"median of {args.repeat} runs per case")


if __name__ == "__main__":
    asyncio.run(main())
