"""Sending, editing and deleting: what the user sees, and Telegram's exact errors."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from emulator import BotApiEmulator, EmulatedUser
from scheduler.outbox import retry_after_seconds


@pytest.fixture
async def siti(emu: BotApiEmulator) -> EmulatedUser:
    user = emu.user(first_name="Siti", username="siti_a")
    await user.send("/start")
    return user


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data)] for text, data in buttons]
    )


async def test_html_is_parsed_into_plain_text_and_entities(bot: Bot, siti: EmulatedUser) -> None:
    html = (
        '<b>Aduan</b> #12 diterima, <a href="https://lapor.go.id">cek</a> &amp; '
        "<tg-spoiler>rahasia</tg-spoiler> 😀 <code>BLW-1</code>"
    )
    sent = await bot.send_message(siti.chat_id, html, parse_mode=ParseMode.HTML)
    [message] = await siti.wait_for()
    assert message.text == sent.text == "Aduan #12 diterima, cek & rahasia 😀 BLW-1"
    assert message.html == html
    assert [(e["type"], e["offset"], e["length"]) for e in message.entities] == [
        ("bold", 0, 5),
        ("text_link", 20, 3),
        ("spoiler", 26, 7),
        ("code", 37, 5),  # the emoji counts two UTF-16 units
    ]
    assert message.entities[1]["url"] == "https://lapor.go.id/"
    assert message.entity_texts("code") == ["BLW-1"]
    assert sent.entities[0].type == "bold"


async def test_markdown_v2_is_supported(bot: Bot, siti: EmulatedUser) -> None:
    await bot.send_message(siti.chat_id, r"*Halo* _Siti_\!", parse_mode=ParseMode.MARKDOWN_V2)
    [message] = await siti.wait_for()
    assert message.text == "Halo Siti!"
    assert [e["type"] for e in message.entities] == ["bold", "italic"]
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(siti.chat_id, "Selesai.", parse_mode=ParseMode.MARKDOWN_V2)
    assert raised.value.message == (
        "Can't parse entities: character '.' is reserved and must be escaped with the"
        " preceding '\\'"
    )


# (text, parse_mode, description as Telegram sends it)
BAD_TEXTS = [
    (
        "<b>Belawan",
        "HTML",
        "can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    ),
    (
        "Nama: <nama>",
        "HTML",
        'can\'t parse entities: Unsupported start tag "nama" at byte offset 6',
    ),
    ("Médan</b>", "HTML", "can't parse entities: Unexpected end tag at byte offset 6"),
    ("x" * 4097, None, "message is too long"),
    ("", None, "message text is empty"),
    ("<b> </b>", "HTML", "message must be non-empty"),
    ("hi", "Markdown3", "unsupported parse_mode"),
]


@pytest.mark.parametrize(("text", "parse_mode", "description"), BAD_TEXTS)
async def test_bad_texts_fail_like_telegram(
    bot: Bot, siti: EmulatedUser, text: str, parse_mode: str | None, description: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(siti.chat_id, text, parse_mode=parse_mode)
    # PTB strips "Bad Request: " and capitalizes what is left.
    assert raised.value.message == description.capitalize()
    assert siti.errors[-1] == f"sendMessage: Bad Request: {description}"
    assert siti.messages == []


async def test_text_limit_counts_utf16_units_after_parsing(bot: Bot, siti: EmulatedUser) -> None:
    await bot.send_message(siti.chat_id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(siti.chat_id, "😀" * 2049)


async def test_button_data_must_be_1_to_64_bytes(bot: Bot, siti: EmulatedUser) -> None:
    for data in ("", "é" * 33):
        with pytest.raises(BadRequest) as raised:
            await bot.send_message(siti.chat_id, "Pilih", reply_markup=keyboard(("A", data)))
        assert raised.value.message == "Button_data_invalid"  # PTB's capitalize() at work
        assert siti.errors[-1] == "sendMessage: Bad Request: BUTTON_DATA_INVALID"
    await bot.send_message(siti.chat_id, "Pilih", reply_markup=keyboard(("A", "x" * 64)))


async def test_unknown_chats_are_not_found(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(987654321, "halo")
    stranger = emu.user(first_name="Belum Start")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(stranger.chat_id, "halo")  # never wrote to the bot
    await stranger.send("halo")
    await bot.send_message(stranger.chat_id, "halo juga")


async def test_blocked_user_and_kicked_bot_are_forbidden(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    siti.block()
    with pytest.raises(Forbidden) as raised:
        await bot.send_message(siti.chat_id, "halo")
    assert raised.value.message == "Forbidden: bot was blocked by the user"
    with pytest.raises(Forbidden):
        await bot.send_chat_action(siti.chat_id, "typing")
    siti.unblock()
    await bot.send_message(siti.chat_id, "halo lagi")

    supergroup = emu.group(title="Meja Aduan Belawan")
    basic = emu.group(title="RT 05", supergroup=False)
    for group, kind in ((supergroup, "supergroup"), (basic, "group")):
        await bot.send_message(group.chat_id, "hadir")
        emu.kick_bot(group)
        with pytest.raises(Forbidden) as raised:
            await bot.send_message(group.chat_id, "masih ada?")
        assert raised.value.message == f"Forbidden: bot was kicked from the {kind} chat"


# PTB itself warns about RetryAfter.retry_after turning into a timedelta in a future version.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_limits_answer_429_with_a_truthful_retry_after(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    now = [1000.0]
    emu.clock = lambda: now[0]  # a frozen clock: no refills while the test runs
    emu.flood_limits = True
    for number in range(3):  # the per-chat burst
        await bot.send_message(siti.chat_id, f"pesan {number}")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(siti.chat_id, "terlalu cepat")
    assert retry_after_seconds(raised.value) == 1
    assert emu.count_429 == 1
    assert "sendMessage: Too Many Requests: retry after 1" in siti.errors

    emu.flood_chat_burst = 100  # now only the 20-per-minute group limit applies
    group = emu.group(title="Meja Aduan")
    for number in range(20):
        await bot.send_message(group.chat_id, f"rekap {number}")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(group.chat_id, "rekap 21")
    assert retry_after_seconds(raised.value) == 3  # one message per 3 s refills the minute

    emu.flood_limits = True  # fresh buckets: the 30/s overall limit
    users = [emu.user(first_name=f"Warga {n}") for n in range(31)]
    for user in users:
        await user.send("halo")
    for user in users[:30]:
        await bot.send_message(user.chat_id, "pengumuman")
    with pytest.raises(RetryAfter):
        await bot.send_message(users[30].chat_id, "pengumuman")
    now[0] += 0.05  # a little over one token back in the 30/s bucket
    await bot.send_message(users[30].chat_id, "pengumuman")
    assert emu.count_429 == 3


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_edits_count_against_their_chat_not_the_overall_limit(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    """Telegram's ~30/s is messages sent; an edit shares its chat's limits with the sends
    there (emulator/flood.py), and pressing a button is answered without any limit."""
    now = [1000.0]
    emu.clock = lambda: now[0]  # a frozen clock: no refills while the test runs
    emu.flood_limits = True
    users = [emu.user(first_name=f"Warga {n}") for n in range(31)]
    for user in users:
        await user.send("halo")
    sent = [await bot.send_message(user.chat_id, "Status: baru") for user in users[:30]]
    # The overall bucket is empty: one more message anywhere is refused...
    with pytest.raises(RetryAfter):
        await bot.send_message(users[30].chat_id, "pengumuman")
    # ...but editing those thirty messages is not.
    for user, message in zip(users, sent, strict=False):
        await bot.edit_message_text("Status: diproses", user.chat_id, message.message_id)
    assert emu.count_429 == 1

    # In one chat, sends and edits share the limit: 3 at once (the burst), then 429.
    now[0] += 1.0  # the overall bucket refilled
    first = await bot.send_message(siti.chat_id, "1")
    await bot.edit_message_text("1 (diubah)", siti.chat_id, first.message_id)
    second = await bot.send_message(siti.chat_id, "2", reply_markup=keyboard(("Lihat", "l")))
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("1 (lagi)", siti.chat_id, first.message_id)
    # A button press is answered however busy the chat and the bot are.
    press = await siti.press("Lihat", message_id=second.message_id)
    await bot.answer_callback_query(press)
    assert emu.count_429 == 2


async def test_edits_are_visible_and_not_modified_is_an_error(bot: Bot, siti: EmulatedUser) -> None:
    sent = await bot.send_message(
        siti.chat_id,
        "Status: <i>baru</i>",
        parse_mode="HTML",
        reply_markup=keyboard(("Proses", "p")),
    )
    [arrived] = await siti.wait_for()
    edited = await bot.edit_message_text(
        "Status: <b>diproses</b>",
        siti.chat_id,
        sent.message_id,
        parse_mode="HTML",
        reply_markup=keyboard(("Selesai", "s")),
    )
    assert edited.edit_date is not None  # type: ignore[union-attr]
    seen = await siti.wait_for_edit()
    assert (seen.text, seen.edited, seen.edit_count) == ("Status: diproses", True, 1)
    assert seen.button_texts == ["Selesai"] and seen.html == "Status: <b>diproses</b>"
    # What wait_for returned is the message as it arrived; chat.messages follow the edits.
    assert (arrived.text, arrived.button_texts, arrived.edited) == (
        "Status: baru",
        ["Proses"],
        False,
    )
    [live] = siti.messages
    assert live.live and live.message_id == arrived.message_id and live.text == "Status: diproses"

    with pytest.raises(BadRequest) as raised:
        await bot.edit_message_text(
            "Status: <b>diproses</b>",
            siti.chat_id,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard(("Selesai", "s")),
        )
    assert raised.value.message == (
        "Message is not modified: specified new message content and reply markup are exactly the"
        " same as a current content and reply markup of the message"
    )
    await bot.edit_message_reply_markup(siti.chat_id, sent.message_id)  # removes the keyboard
    assert live.buttons == [] and live.edit_count == 2
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", siti.chat_id, 9999)
    user_message = await siti.send("pesan saya")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("x", siti.chat_id, user_message["message_id"])


async def test_delete_removes_the_message(bot: Bot, siti: EmulatedUser) -> None:
    first = await bot.send_message(siti.chat_id, "satu")
    await bot.send_message(siti.chat_id, "dua")
    await siti.wait_for(count=2)
    [one, two] = siti.messages
    assert await bot.delete_message(siti.chat_id, first.message_id)
    assert siti.messages == [two] and one.deleted
    assert siti.last is two
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(siti.chat_id, first.message_id)


async def test_replies_and_reply_keyboards(bot: Bot, siti: EmulatedUser) -> None:
    question = await siti.send("Kapan kantor buka?")
    await bot.send_message(
        siti.chat_id,
        "Kirim lokasi Anda",
        reply_to_message_id=question["message_id"],
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton("Kirim lokasi", request_location=True)], ["Batal"]],
            resize_keyboard=True,
        ),
    )
    [message] = await siti.wait_for()
    assert message.reply_to_message_id == question["message_id"]
    assert message.raw["reply_to_message"]["text"] == "Kapan kantor buka?"
    assert "reply_markup" not in message.raw  # Telegram only echoes inline keyboards
    assert message.reply_keyboard == [["Kirim lokasi"], ["Batal"]]
    assert message.reply_keyboard is not None
    assert message.reply_keyboard[0][0].request_location
    assert not message.reply_keyboard[1][0].request_location
    assert siti.keyboard == [["Kirim lokasi"], ["Batal"]]
    await bot.send_message(siti.chat_id, "Terima kasih", reply_markup=ReplyKeyboardRemove())
    assert siti.last is not None and siti.last.remove_keyboard
    assert siti.keyboard is None
    with pytest.raises(BadRequest, match=r"^Message to be replied not found$"):
        await bot.send_message(siti.chat_id, "x", reply_to_message_id=9999)
    await bot.send_message(
        siti.chat_id, "x", reply_to_message_id=9999, allow_sending_without_reply=True
    )


async def test_groups_with_replies_both_ways(emu: BotApiEmulator, bot: Bot) -> None:
    siti = emu.user(first_name="Siti")
    group = emu.group(title="Meja Aduan Belawan", supergroup=True)
    await siti.send("/pasang_meja BLW", chat=group)
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.chat.type == "supergroup"
    assert update.message.chat.title == "Meja Aduan Belawan" and update.message.chat.id < 0
    reply = await bot.send_message(
        group.chat_id, "Meja BLW terpasang", reply_to_message_id=update.message.message_id
    )
    [message] = await group.wait_for()
    assert message.reply_to_message_id == update.message.message_id
    await siti.send("Terima kasih", chat=group, reply_to=message)
    [second] = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert second.message is not None and second.message.reply_to_message is not None
    assert second.message.reply_to_message.message_id == reply.message_id
    assert second.message.reply_to_message.from_user is not None
    assert second.message.reply_to_message.from_user.is_bot
    assert [m.message_id for m in group.messages] == [message.message_id]
    assert siti.messages == []


async def test_group_privacy_mode_hides_plain_chatter(emu: BotApiEmulator, bot: Bot) -> None:
    siti = emu.user(first_name="Siti")
    group = emu.group(title="Warga", privacy_mode=True)
    await siti.send("obrolan biasa", chat=group)
    await siti.send("/lapor jalan rusak", chat=group)
    await siti.send("halo @sigap_test_bot", chat=group)
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == [
        "/lapor jalan rusak",
        "halo @sigap_test_bot",
    ]


async def test_captions_locations_chat_actions_and_get_chat(
    emu: BotApiEmulator, bot: Bot, siti: EmulatedUser
) -> None:
    photo = await bot.send_photo(
        siti.chat_id, b"\xff\xd8 jpeg", caption="Bukti <i>1</i>", parse_mode="HTML"
    )
    await bot.edit_message_caption(siti.chat_id, photo.message_id, caption="Bukti 2")
    [message] = siti.messages
    assert (message.text, message.caption, message.edit_count) == ("Bukti 2", "Bukti 2", 1)
    text = await bot.send_message(siti.chat_id, "teks")
    with pytest.raises(BadRequest, match=r"^There is no caption in the message to edit$"):
        await bot.edit_message_caption(siti.chat_id, text.message_id, caption="x")
    with pytest.raises(BadRequest, match=r"^There is no text in the message to edit$"):
        await bot.edit_message_text("x", siti.chat_id, photo.message_id)

    location = await bot.send_location(siti.chat_id, latitude=3.7812, longitude=98.6927)
    assert location.location is not None and location.location.latitude == 3.7812
    assert siti.last is not None
    assert siti.last.location == {"latitude": 3.7812, "longitude": 98.6927}

    assert await bot.send_chat_action(siti.chat_id, "typing")
    assert emu.calls_by_method("sendChatAction")[-1] == {
        "chat_id": siti.chat_id,
        "action": "typing",
    }
    with pytest.raises(BadRequest, match=r"^Wrong parameter action in request$"):
        await bot.send_chat_action(siti.chat_id, "dancing")

    chat = await bot.get_chat(siti.chat_id)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (
        siti.chat_id,
        "private",
        "Siti",
        "siti_a",
    )
    group = emu.group(title="Meja Aduan Belawan")
    assert (await bot.get_chat(group.chat_id)).title == "Meja Aduan Belawan"


async def test_deleting_in_groups_needs_admin_rights_for_others_messages(
    emu: BotApiEmulator, bot: Bot
) -> None:
    siti = emu.user(first_name="Siti")
    group = emu.group(title="Warga")
    theirs = await siti.send("spam", chat=group)
    with pytest.raises(BadRequest, match=r"^Message can't be deleted$"):
        await bot.delete_message(group.chat_id, theirs["message_id"])
    group.bot_is_admin = True
    assert await bot.delete_message(group.chat_id, theirs["message_id"])
    ours = [await bot.send_message(group.chat_id, f"{n}") for n in range(3)]
    assert await bot.delete_messages(group.chat_id, [m.message_id for m in ours] + [999])
    assert group.messages == []
