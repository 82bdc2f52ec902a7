"""One bot, in its own process, for the benchmarks: ``sigap`` (the production Application from
``build_application``) or ``echo`` (PTB's echo bot as installed by default).

    python bench/bot_process.py sigap|echo BASE_URL TOKEN [DATABASE_URL [CONCURRENCY]]
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import Application, MessageHandler, filters


async def _echo(update: Update, _context: object) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


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
        from bot.settings import Settings

        settings = Settings(  # type: ignore[call-arg]
            TELEGRAM_BOT_TOKEN=token,
            TELEGRAM_API_BASE_URL=base_url,
            DATABASE_URL=sys.argv[4],
            SIGAP_CONCURRENT_UPDATES=int(sys.argv[5]),
            SIGAP_LOG_LEVEL="WARNING",
        )
        application = build_application(settings)
    application.run_polling(poll_interval=0, timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    main()
