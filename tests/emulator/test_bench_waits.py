"""The Telegram side of bench/notify_latency.py reads its chats as a person would: an answer is
the message that carries what was asked for, not whatever the bot sent next."""

from __future__ import annotations

import asyncio

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bench.notify_latency import _until_button
from emulator import BotApiEmulator


def _buttons(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=text)] for text in labels]
    )


async def test_the_list_is_found_behind_an_offer_that_came_first(
    emu: BotApiEmulator, bot: Bot
) -> None:
    # What broke the bench on PostgreSQL: the head verified a ticket in the desk group at the
    # same time, and the offer to log that as an activity reached the private chat before the
    # /persetujuan list; the bench took the offer for the list and pressed a button not on it.
    head = emu.user(first_name="Kepala")
    await head.send("/persetujuan")
    await bot.send_message(head.id, "🗂 Catat sebagai kegiatan?", reply_markup=_buttons("1 jam"))
    waiting = asyncio.create_task(_until_button(head, "Pegawai 001-000 (1)", timeout=30))
    await bot.send_message(
        head.id, "📥 Menunggu persetujuan", reply_markup=_buttons("Pegawai 001-000 (1)")
    )
    listed = await waiting
    assert listed.text == "📥 Menunggu persetujuan"
    await head.press("Pegawai 001-000 (1)", message_id=listed.message_id)
    [update] = await bot.get_updates(offset=-1, timeout=0)
    assert update.callback_query is not None
    assert update.callback_query.data == "Pegawai 001-000 (1)"
