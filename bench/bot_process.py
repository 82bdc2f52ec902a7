"""One bot, in its own process, for the benchmarks: ``sigap`` (the production Application from
``build_application``), ``sigap-webhook`` (the same in webhook mode, ``sigap run --webhook``'s
server on PORT) or ``echo`` (PTB's echo bot as installed by default).

    python bench/bot_process.py sigap|sigap-no-inbox|echo BASE_URL TOKEN [DATABASE_URL [CONC]]

``sigap-no-inbox`` is the same Application polled by PTB's own Updater, which keeps no inbox
(and so loses fetched updates at a kill -9): what the inbox costs. ``sigap-poll-only`` is Sigap
with its outbox sender woken only by its poll (``SIGAP_OUTBOX_POLL_SECONDS``), as before commits
woke it: the baseline of ``bench/notify_latency.py``.
    python bench/bot_process.py sigap-webhook BASE_URL TOKEN DATABASE_URL CONCURRENCY PORT [URL]

URL: the public webhook URL when it is not the process's own (a balancer in front of several).
SIGAP_METRICS_LISTEN in the environment gives the health and metrics server an address (none
by default: benchmarks run many processes side by side).

``sigap-wave`` (``bench/digest_wave.py``) is Sigap on a clock stopped the day before MOMENT; on
SIGUSR1 it runs the weekly digest job as at MOMENT, in this process, beside the polling.
    python bench/bot_process.py sigap-wave BASE_URL TOKEN DATABASE_URL CONCURRENCY MOMENT
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import Application, MessageHandler, Updater, filters


async def _ptb_polling(application: Application) -> None:  # type: ignore[type-arg]
    from bot.app import ALLOWED_UPDATES, app_data
    from bot.lifecycle import start_application

    await start_application(application)
    await app_data(application).require_scheduler().start()  # as bot.polling.start_bot does
    updater = Updater(application.bot, application.update_queue)
    await updater.initialize()
    await updater.start_polling(poll_interval=0, timeout=10, allowed_updates=ALLOWED_UPDATES)
    await asyncio.Event().wait()  # until the benchmark terminates the process


async def _echo(update: Update, _context: object) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


def _run_wave(settings: object, moment: datetime) -> None:
    from bot.app import ALLOWED_UPDATES, app_data, build_application
    from bot.lifecycle import run_until_signalled
    from bot.polling import poll
    from domain.clock import ManualClock
    from scheduler.digest import DIGEST_JOB

    # A Sunday: no reminders at start-up; the wave comes when the benchmark says.
    application = build_application(settings, clock=ManualClock(moment - timedelta(days=1)))  # type: ignore[arg-type]

    async def serve(stop: asyncio.Event) -> None:
        scheduler = app_data(application).require_scheduler()
        waves: set[asyncio.Task[int]] = set()

        def wave() -> None:
            task = asyncio.create_task(scheduler.run_job(DIGEST_JOB, moment))
            waves.add(task)

        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, wave)
        await poll(application, ALLOWED_UPDATES, stop)

    run_until_signalled(serve)


def main() -> None:
    kind, base_url, token = sys.argv[1:4]
    logging.basicConfig(level=logging.WARNING)
    if kind == "echo":
        application = (
            Application.builder()
            .token(token)
            .base_url(f"{base_url}/bot")
            .base_file_url(f"{base_url}/file/bot")
            .build()
        )
        application.add_handler(MessageHandler(filters.TEXT, _echo))
    else:
        from bot.app import build_application
        from services.settings import Settings

        webhook: dict[str, object] = {}
        if kind == "sigap-webhook":
            port = int(sys.argv[6])
            public = sys.argv[7] if len(sys.argv) > 7 else f"http://127.0.0.1:{port}/telegram"
            webhook = {
                "SIGAP_WEBHOOK_URL": public,
                "SIGAP_WEBHOOK_PORT": port,
                "SIGAP_WEBHOOK_SECRET": "bench-secret-0123456789abcdef-0123",
            }
        settings = Settings(  # type: ignore[call-arg]
            TELEGRAM_BOT_TOKEN=token,
            TELEGRAM_API_BASE_URL=base_url,
            DATABASE_URL=sys.argv[4],
            SIGAP_CONCURRENT_UPDATES=int(sys.argv[5]),
            SIGAP_LOG_LEVEL="WARNING",
            SIGAP_METRICS_LISTEN=os.environ.get("SIGAP_METRICS_LISTEN", ""),
            **webhook,
        )
        if kind == "sigap-wave":
            _run_wave(settings, datetime.fromisoformat(sys.argv[6]))
            return
        application = build_application(settings)
        if kind == "sigap-poll-only":
            from bot.app import app_data

            app_data(application).outbox_wake = None
        if webhook:
            from bot.webhook import run_webhook

            run_webhook(application, settings)
        elif kind == "sigap-no-inbox":
            asyncio.run(_ptb_polling(application))
        else:
            from bot.app import ALLOWED_UPDATES
            from bot.polling import run_polling

            run_polling(application, ALLOWED_UPDATES)
        return
    application.run_polling(poll_interval=0, timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    # SIGAP_BENCH_PROFILE=FILE: the whole run under cProfile, written at the end (SIGTERM).
    profile_to = os.environ.get("SIGAP_BENCH_PROFILE")
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        try:
            main()
        finally:
            profiler.disable()
            profiler.dump_stats(profile_to)
    else:
        main()
