"""A Telegram Bot API emulator for tests, benchmarks and the sandbox.

``BotApiEmulator`` serves the Bot API over HTTP (point python-telegram-bot at
``f"{emu.base_url}/bot"``) and plays the people the bot talks to::

    async with BotApiEmulator(token="123456:TEST-token") as emu:
        siti = emu.user(first_name="Siti")
        await siti.send("/start")
        [reply] = await siti.wait_for()

Importing this package starts nothing; the server runs only between ``start()`` and ``stop()``.
"""

from emulator.client import ChatView, EmulatedGroup, EmulatedUser
from emulator.core import BotApiEmulator, UploadedFile
from emulator.errors import ApiError
from emulator.messages import BotMessage, ReplyButton

__all__ = [
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "ChatView",
    "EmulatedGroup",
    "EmulatedUser",
    "ReplyButton",
    "UploadedFile",
]
