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


def test_the_floor_is_a_first_come_first_served_token_bucket() -> None:
    from bench.notify_latency import paced_floor

    # A hundred taps at once through 25/s with a burst of 25: the first 25 go at the path's
    # fastest, each later one a 25th of a second after the one before.
    waits = paced_floor([0.0] * 100, 0.1, 25.0, 25.0)
    assert waits[:25] == [0.1] * 25
    assert waits[25] == 0.1 + 1 / 25
    assert abs(waits[-1] - (0.1 + 75 / 25)) < 1e-9
    # Taps slower than the bucket drains never wait for it.
    assert max(paced_floor([n * 0.05 for n in range(100)], 0.1, 25.0, 25.0)) < 0.1 + 1e-9
    # A pause refills the bucket, up to its burst only.
    after_pause = paced_floor([0.0] * 30 + [10.0] * 30, 0.0, 25.0, 25.0)
    assert after_pause[30:55] == [0.0] * 25 and after_pause[55] > 0
