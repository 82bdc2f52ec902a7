"""The Bot API emulator in a process of its own, driven over a small control API: the Telegram
side of ``bench/paths.py``, so that the benchmark's own work (queuing updates, counting answers)
never shares a process with the server the bot talks to.

    python bench/telegram_process.py TOKEN LATENCY   # prints {"base_url": ..., "control": ...}

Control (JSON over HTTP, on its own port): ``POST /users`` {"ids": [...]} makes users;
``POST /inject`` {"messages": [[user id, text], ...]} queues them (the clock starts);
``POST /wait`` {"sent": N, "timeout": s} returns once the bot has sent N messages in all, with
the seconds since the last inject; ``POST /answers`` {"ids": [...]} gives each user's received
texts, oldest first.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from emulator import BotApiEmulator


async def main(token: str, latency: float) -> None:
    emulator = BotApiEmulator(
        token=token, bot_username="bench_bot", latency=latency, record_calls=False
    )
    await emulator.start()
    users: dict[int, Any] = {}
    started = [time.perf_counter()]

    async def make_users(request: web.Request) -> web.Response:
        for user_id in (await request.json())["ids"]:
            users[user_id] = emulator.user(first_name=f"U{user_id}", user_id=user_id)
        return web.json_response({"count": len(users)})

    async def inject(request: web.Request) -> web.Response:
        messages = (await request.json())["messages"]
        base = emulator.sent_count
        started[0] = time.perf_counter()
        for user_id, text in messages:
            emulator.inject_text(users[user_id], text)
        return web.json_response({"base": base})

    async def wait(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            await emulator.wait_idle(expected_sent=body["sent"], timeout=body["timeout"])
        except AssertionError as exc:
            return web.json_response({"error": str(exc), "sent": emulator.sent_count})
        return web.json_response(
            {"seconds": time.perf_counter() - started[0], "sent": emulator.sent_count}
        )

    async def answers(request: web.Request) -> web.Response:
        ids = (await request.json())["ids"]
        return web.json_response({str(i): [m.text for m in users[i].arrivals] for i in ids})

    async def quicklog(request: web.Request) -> web.Response:
        """Each user logs ``rounds`` activities the way people do: the one-line message, then
        "✅ Simpan" on the summary; all users at once. Seconds for all, and per user whether
        every summary showed the activity just sent (their order)."""
        rounds = (await request.json())["rounds"]
        disorder = 0

        async def one(user: Any) -> None:
            nonlocal disorder
            await user.wait_for(0)  # what arrived before (the warm-up's answer) is read
            for k in range(rounds):
                emulator.inject_text(user, f"Verifikasi berkas KTP nomor {user.id}-{k} 1 jam")
                summary = None
                while summary is None:  # the summary is the message with the save button
                    arrived = await user.wait_for(1, timeout=600)
                    summary = next((m for m in arrived if "✅ Simpan" in m.button_texts), None)
                disorder += f"nomor {user.id}-{k}\n" not in summary.text
                await user.press("✅ Simpan", message_id=summary.message_id)
                await user.wait_for_edit(timeout=600)

        begun = time.perf_counter()
        await asyncio.gather(*(one(user) for user in users.values()))
        return web.json_response({"seconds": time.perf_counter() - begun, "disorder": disorder})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/quicklog", quicklog)
    app.router.add_post("/users", make_users)
    app.router.add_post("/inject", inject)
    app.router.add_post("/wait", wait)
    app.router.add_post("/answers", answers)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(
        json.dumps({"base_url": emulator.base_url, "control": f"http://127.0.0.1:{port}"}),
        flush=True,
    )
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
