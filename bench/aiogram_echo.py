"""An aiogram 3 echo bot, the second baseline of ``bench/paths.py``. Runs in a virtual
environment of its own (aiogram pins an older pydantic than Sigap's): ``make bench-aiogram``.

    .venv-aiogram/bin/python bench/aiogram_echo.py BASE_URL TOKEN
"""

from __future__ import annotations

import asyncio
import logging
import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main(base_url: str, token: str) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    bot = Bot(token, session=session)
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    await dispatcher.start_polling(bot, polling_timeout=10, handle_signals=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
