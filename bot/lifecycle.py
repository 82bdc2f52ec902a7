"""Starting and stopping the Application the same way in every mode (polling, webhook, the
sandbox, the tests), and running until systemd or Ctrl-C says stop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

from telegram.ext import Application


async def start_application(application: Application) -> None:  # type: ignore[type-arg]
    """What PTB's run_polling does before it polls: initialise, post_init (the scheduler and
    the outbox sender start there), start the update processor."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()


async def stop_application(application: Application) -> None:  # type: ignore[type-arg]
    if application.running:
        await application.stop()
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


def run_until_signalled(serve: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``serve(stop)`` in a new event loop; SIGINT or SIGTERM sets ``stop``."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(stop)

    asyncio.run(main())
