"""The people side: what users send, buttons, files, waiting, and a real PTB Application."""

from __future__ import annotations

import asyncio
import struct
import zlib

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from emulator import BotApiEmulator, EmulatedUser


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
async def siti(emu: BotApiEmulator) -> EmulatedUser:
    user = emu.user(first_name="Siti", last_name="Aminah", username="siti_a")
    await user.send("/start")
    return user


async def next_update(bot: Bot, emu: BotApiEmulator) -> Update:
    """The newest queued update, confirming everything before it."""
    updates = await bot.get_updates(offset=-1, timeout=1)
    assert updates, "no update queued"
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert emu.pending_update_count == 0
    return updates[-1]


async def test_button_press_and_callback_answers(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Bahasa Indonesia", callback_data="lang:id")],
            [InlineKeyboardButton("Situs", url="https://medanbelawan.go.id")],
        ]
    )
    sent = await bot.send_message(siti.chat_id, "Pilih bahasa", reply_markup=markup)
    [message] = await siti.wait_for()
    assert message.buttons == [
        [("Bahasa Indonesia", "lang:id")],
        [("Situs", "https://medanbelawan.go.id")],
    ]
    query_id = await siti.press("Bahasa Indonesia")
    update = await next_update(bot, emu)
    query = update.callback_query
    assert query is not None and query.id == query_id and query.data == "lang:id"
    assert query.from_user.id == siti.id and query.chat_instance
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="Tersimpan", show_alert=True)
    assert siti.callback_answers == [
        {"callback_query_id": query_id, "text": "Tersimpan", "show_alert": True}
    ]
    with pytest.raises(BadRequest) as raised:
        await bot.answer_callback_query(query_id)
    assert raised.value.message == (
        "Query is too old and response timeout expired or query id is invalid"
    )

    now = [0.0]
    emu.clock = lambda: now[0]
    late = await siti.press(callback_data="lang:id")
    now[0] += 15.5
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(late)

    with pytest.raises(LookupError, match="no inline button 'English'"):
        await siti.press("English")
    with pytest.raises(ValueError, match="no callback_data"):
        await siti.press("Situs")


async def test_press_uses_the_newest_message_with_that_button(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="ya")]])
    await bot.send_message(siti.chat_id, "Pertama", reply_markup=markup)
    second = await bot.send_message(siti.chat_id, "Kedua", reply_markup=markup)
    await bot.send_message(siti.chat_id, "Tanpa tombol")
    await siti.press("Ya")
    update = await next_update(bot, emu)
    assert update.callback_query is not None and update.callback_query.message is not None
    assert update.callback_query.message.message_id == second.message_id
    first_id = siti.messages[0].message_id
    await siti.press("Ya", message_id=first_id)
    update = await next_update(bot, emu)
    assert update.callback_query is not None and update.callback_query.message is not None
    assert update.callback_query.message.message_id == first_id


async def test_forged_presses_reach_the_bot(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Simpan", callback_data="save:1")]])
    sent = await bot.send_message(siti.chat_id, "Simpan?", reply_markup=markup)
    [summary] = await siti.wait_for()
    await siti.press("✅ Simpan")
    await bot.edit_message_text("Tersimpan", siti.chat_id, sent.message_id)  # buttons gone
    with pytest.raises(LookupError):
        await siti.press("✅ Simpan")
    # A double tap that raced the edit: the button's data comes from the earlier version.
    await siti.press("✅ Simpan", message_id=summary.message_id, forge=True)
    # A modified client: any data on any message.
    await siti.press(callback_data="zzz", forge=True)
    updates = await bot.get_updates(timeout=0)
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.data for q in queries] == ["save:1", "save:1", "zzz"]
    assert queries[1].message is not None and queries[1].message.text == "Tersimpan"  # type: ignore[attr-defined]
    with pytest.raises(LookupError, match="never had a button"):
        await siti.press("Batal", message_id=summary.message_id, forge=True)


async def test_location_contact_sticker_voice_and_edits_parse_in_ptb(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    await siti.share_location(3.78, 98.69)
    location = (await next_update(bot, emu)).message
    assert location is not None and location.location is not None
    assert (location.location.latitude, location.location.longitude) == (3.78, 98.69)

    await siti.share_contact(phone_number="+6281234567890")
    contact = (await next_update(bot, emu)).message
    assert contact is not None and contact.contact is not None
    assert contact.contact.user_id == siti.id
    assert contact.contact.phone_number == "+6281234567890"
    assert (contact.contact.first_name, contact.contact.last_name) == ("Siti", "Aminah")

    await siti.send_sticker()
    sticker = (await next_update(bot, emu)).message
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "👍"
    voice_sent = await siti.send_voice(duration=3)
    voice = (await next_update(bot, emu)).message
    assert voice is not None and voice.voice is not None
    assert voice.voice.file_id == voice_sent["voice"]["file_id"]
    assert voice_sent["voice"]["duration"] == 3

    original = await siti.send("jalan rusak di gang 5")
    await next_update(bot, emu)
    await siti.edit(original, "jalan rusak di gang 7")
    edited = await next_update(bot, emu)
    assert edited.edited_message is not None and edited.message is None
    assert edited.edited_message.text == "jalan rusak di gang 7"
    assert edited.edited_message.message_id == original["message_id"]
    assert edited.edited_message.edit_date is not None

    # The raw dicts are Bot API updates, so they also parse without a Bot.
    parsed = Update.de_json({"update_id": 1, "message": original}, None)
    assert parsed.message is not None and parsed.message.text == "jalan rusak di gang 5"


async def test_bot_photo_upload_and_download_round_trip(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    image = tiny_png(640, 480)
    sent = await bot.send_photo(siti.chat_id, image, caption="<b>Bukti</b>", parse_mode="HTML")
    [message] = await siti.wait_for()
    assert message.text == "Bukti" and message.entities[0]["type"] == "bold"
    assert message.photo is not None
    assert [(p["width"], p["height"]) for p in message.photo] == [(90, 68), (320, 240), (640, 480)]
    assert len({p["file_unique_id"] for p in message.photo}) == 3
    largest = sent.photo[-1]
    telegram_file = await bot.get_file(largest.file_id)
    assert telegram_file.file_path is not None and "/photos/file_" in telegram_file.file_path
    assert bytes(await telegram_file.download_as_bytearray()) == image

    again = await bot.send_photo(siti.chat_id, largest.file_id)  # re-send by file_id
    assert [p.file_unique_id for p in again.photo] == [p.file_unique_id for p in sent.photo]

    document = await bot.send_document(
        siti.chat_id, b"%PDF-1.4 laporan", filename="laporan.pdf", caption="Rekap"
    )
    assert document.document is not None and document.document.file_name == "laporan.pdf"
    assert document.document.mime_type == "application/pdf"
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4 laporan"
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await bot.send_photo(siti.chat_id, document.document.file_id)


async def test_user_files_can_be_fetched_by_the_bot(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    await siti.send_photo(b"\xff\xd8 jpeg bytes", caption="Foto jalan")
    message = (await next_update(bot, emu)).message
    assert message is not None and message.caption == "Foto jalan" and message.photo
    data = await (await message.photo[-1].get_file()).download_as_bytearray()
    assert bytes(data) == b"\xff\xd8 jpeg bytes"

    await siti.send_document(b"a,b\n1,2\n", file_name="data.csv", mime_type="text/csv")
    document = (await next_update(bot, emu)).message
    assert document is not None and document.document is not None
    assert (document.document.file_name, document.document.mime_type) == ("data.csv", "text/csv")
    csv = await (await document.document.get_file()).download_as_bytearray()
    assert bytes(csv) == b"a,b\n1,2\n"

    await siti.send_photo(file_size=21_000_000)
    big = (await next_update(bot, emu)).message
    assert big is not None and big.photo[-1].file_size == 21_000_000
    with pytest.raises(BadRequest, match=r"^File is too big$"):
        await bot.get_file(big.photo[-1].file_id)
    with pytest.raises(BadRequest, match=r"^Wrong file identifier/http url specified$"):
        await bot.get_file("AgACAgUAAxkBAAI-not-a-real-id")


async def test_caption_limit(bot: Bot, siti: EmulatedUser) -> None:
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_photo(siti.chat_id, tiny_png(4, 4), caption="x" * 1025)


async def test_wait_for_reports_what_went_wrong(bot: Bot, siti: EmulatedUser) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(siti.chat_id, "<b>lupa ditutup", parse_mode="HTML")
    with pytest.raises(AssertionError) as raised:
        await siti.wait_for(timeout=0.05)
    report = str(raised.value)
    assert "Siti" in report and "expected 1 new bot message(s)" in report
    assert "can't parse entities" in report


async def test_wait_for_counts_from_the_last_action(bot: Bot, siti: EmulatedUser) -> None:
    await bot.send_message(siti.chat_id, "lama")
    await siti.send("halo")  # what came before this no longer counts
    waiting = asyncio.create_task(siti.wait_for(count=2))
    await bot.send_message(siti.chat_id, "satu")
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await bot.send_message(siti.chat_id, "dua")
    assert [m.text for m in await waiting] == ["satu", "dua"]
    assert [m.text for m in siti.messages] == ["lama", "satu", "dua"]


async def test_inject_text_and_wait_idle(emu: BotApiEmulator, bot: Bot) -> None:
    users = [emu.user(first_name=f"Warga {n}") for n in range(50)]
    for user in users:
        emu.inject_text(user, f"halo dari {user.first_name}")
    assert emu.pending_update_count == 50

    async def reply_to_all() -> None:
        updates = await bot.get_updates(timeout=0)
        for update in updates:
            assert update.message is not None
            await update.message.reply_text("diterima")

    task = asyncio.create_task(reply_to_all())
    await emu.wait_idle(expected_sent=50, timeout=10)
    await task
    assert emu.sent_count == 50
    assert all(user.last is not None and user.last.text == "diterima" for user in users)
    with pytest.raises(AssertionError, match="bot sent 50 of 51"):
        await emu.wait_idle(expected_sent=51, timeout=0.05)


async def test_a_real_ptb_application_against_the_emulator(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_html(
            f"Halo <b>{update.message.from_user.first_name}</b>!",  # type: ignore[union-attr]
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Bahasa Indonesia", callback_data="lang:id")]]
            ),
        )

    async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Bahasa disimpan")
        await query.edit_message_text("Bahasa: Indonesia")

    application = (
        Application.builder()
        .token(emu.token)
        .base_url(f"{emu.base_url}/bot")
        .base_file_url(f"{emu.base_url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(choose))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            siti = emu.user(first_name="Siti")
            await siti.send("/start")
            [greeting] = await siti.wait_for()
            assert greeting.text == "Halo Siti!" and greeting.html == "Halo <b>Siti</b>!"
            await siti.press("Bahasa Indonesia")
            edited = await siti.wait_for_edit()
            assert edited.text == "Bahasa: Indonesia" and edited.buttons == []
            assert greeting.text == "Halo Siti!"  # the snapshot from wait_for is unchanged
            assert siti.last is not None and siti.last.text == "Bahasa: Indonesia"
            assert [a["text"] for a in siti.callback_answers] == ["Bahasa disimpan"]
        finally:
            await application.updater.stop()
            await application.stop()
    assert emu.calls_by_method("deleteWebhook")  # PTB's polling bootstrap
