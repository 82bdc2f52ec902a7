"""An outbox row turned into a Bot API call, with any file already read from the data folder."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from models.outbox import FILE_METHODS, QueuedMessage

# The call for a row: the id of the message it became, None for a call that sends none (a menu).
Call = Callable[[], Awaitable[int | None]]

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


class PayloadError(Exception):
    """A row that cannot be turned into a Bot API call (its file is missing, say)."""


async def prepare_call(bot: Bot, message: QueuedMessage, data_dir: Path | None) -> Call:
    """The call for this row, with any file already read: a missing file is a failure of
    the row, found before it is marked ``sending``."""
    payload = message.payload
    method = payload.get("method")
    if method == "setMyCommands":
        commands = [BotCommand(c["command"], c["description"]) for c in payload["commands"]]
        scope = BotCommandScopeChat(message.chat_id)
        return partial(_no_message, partial(bot.set_my_commands, commands, scope=scope))
    if method == "deleteMyCommands":
        scope = BotCommandScopeChat(message.chat_id)
        return partial(_no_message, partial(bot.delete_my_commands, scope=scope))
    common: dict[str, Any] = {
        "chat_id": message.chat_id,
        "parse_mode": payload.get("parse_mode"),
        "reply_markup": _markup(payload.get("reply_markup")),
        "disable_notification": bool(payload.get("disable_notification")),
    }
    if method == "sendMessage":
        preview = (
            LinkPreviewOptions(is_disabled=True) if payload.get("disable_link_preview") else None
        )
        return partial(
            _message_id,
            partial(bot.send_message, text=payload["text"], link_preview_options=preview, **common),
        )
    field = FILE_METHODS.get(str(method))
    if field is None:
        raise PayloadError(f"unknown method {method!r}")
    data = await _read_file(data_dir, str(payload.get("file", "")))
    filename = payload.get("filename") or Path(str(payload["file"])).name
    caption = payload.get("caption")
    if field == "photo":
        send = partial(bot.send_photo, photo=data, filename=filename, caption=caption, **common)
    else:
        send = partial(
            bot.send_document, document=data, filename=filename, caption=caption, **common
        )
    return partial(_message_id, send)


async def _message_id(send: Callable[[], Awaitable[Message]]) -> int:
    return (await send()).message_id


async def _no_message(call: Callable[[], Awaitable[bool]]) -> None:
    # Called only when the row is sent: a coroutine made beforehand would never be awaited
    # for a row that is no longer pending when claimed.
    await call()


async def _read_file(data_dir: Path | None, relative: str) -> bytes:
    if data_dir is None:
        raise PayloadError("the sender has no data folder for file payloads")
    return await asyncio.to_thread(_read_inside, data_dir, relative)


def _read_inside(data_dir: Path, relative: str) -> bytes:
    """The file's bytes, if it lies inside the data folder (resolved in the worker thread too:
    resolving touches the disk)."""
    root = data_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise PayloadError(f"file outside the data folder: {relative!r}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PayloadError(f"cannot read {relative!r}: {exc.strerror or exc}") from None


def _markup(data: Any) -> ReplyMarkup | None:
    if not data:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    if "remove_keyboard" in data:
        return ReplyKeyboardRemove.de_json(data, None)
    return ForceReply.de_json(data, None)
