"""A basic group becomes a supergroup: what the bot receives and what the Bot API answers
afterwards at the old and the new id."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden

from emulator import BotApiEmulator


async def _updates(bot: Bot) -> list[dict]:
    updates = await bot.get_updates(timeout=0, allowed_updates=["message", "my_chat_member"])
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return [u.to_dict() for u in updates]


async def test_upgrade_sends_both_service_messages_and_moves_the_chat(
    emu: BotApiEmulator, bot: Bot
) -> None:
    group = emu.group("Meja Aduan PU", supergroup=False, privacy_mode=True)
    admin = emu.user(first_name="Fitri")
    await admin.send("/start", chat=group)
    ticket = await bot.send_message(
        group.chat_id,
        "Tiket",
        reply_markup={"inline_keyboard": [[{"text": "Verifikasi", "callback_data": "v:1"}]]},  # type: ignore[arg-type]
    )
    await _updates(bot)

    supergroup = group.upgrade_to_supergroup(by=admin)

    assert group.migrated_to == supergroup.chat_id
    assert str(supergroup.chat_id).startswith("-100") and supergroup.title == "Meja Aduan PU"
    to_old, joined, from_new = await _updates(bot)
    # Service messages reach the bot although privacy mode is on.
    assert to_old["message"]["chat"]["id"] == group.chat_id
    assert to_old["message"]["migrate_to_chat_id"] == supergroup.chat_id
    assert to_old["message"]["from"]["id"] == admin.id
    assert joined["my_chat_member"]["chat"]["type"] == "supergroup"
    assert joined["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert from_new["message"]["chat"] == {
        "id": supergroup.chat_id,
        "title": "Meja Aduan PU",
        "type": "supergroup",
    }
    assert from_new["message"]["migrate_from_chat_id"] == group.chat_id
    # The supergroup has its own message ids.
    assert from_new["message"]["message_id"] == 1

    # Sending to the old id: 400 with the new id (PTB raises ChatMigrated).
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(group.chat_id, "masih di sini?")
    assert raised.value.new_chat_id == supergroup.chat_id
    assert "sendMessage: Bad Request: group chat was upgraded to a supergroup chat" in group.errors
    with pytest.raises(ChatMigrated):
        await bot.send_chat_action(group.chat_id, "typing")
    # The old messages stay in the old group: editable there, unknown at the new id.
    await bot.edit_message_reply_markup(group.chat_id, ticket.message_id, reply_markup=None)
    assert group.messages[-1].button_texts == []
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=supergroup.chat_id, message_id=ticket.message_id)

    # People now write in the supergroup; a reply to the bot there is seen in privacy mode.
    sent = await bot.send_message(supergroup.chat_id, "Grup ini tetap meja aduan PU")
    assert sent.message_id == 2
    said = await admin.send("oke", chat=group, reply_to=sent.message_id)
    assert said["chat"]["id"] == supergroup.chat_id
    [update] = await _updates(bot)
    assert update["message"]["text"] == "oke"
    assert update["message"]["chat"]["id"] == supergroup.chat_id


async def test_buttons_on_old_messages_come_from_the_old_chat(
    emu: BotApiEmulator, bot: Bot
) -> None:
    group = emu.group("RT 05", supergroup=False)
    dewi = emu.user(first_name="Dewi")
    await bot.send_message(
        group.chat_id,
        "Tiket",
        reply_markup={"inline_keyboard": [[{"text": "Verifikasi", "callback_data": "v:1"}]]},  # type: ignore[arg-type]
    )
    await bot.get_updates(timeout=0, allowed_updates=["message", "callback_query"])
    supergroup = group.upgrade_to_supergroup()
    await dewi.press("Verifikasi", chat=group)
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query is not None and query.message is not None
    assert query.message.chat.id == group.chat_id != supergroup.chat_id
    assert await query.answer("Tiket ini sudah dipindah")
    assert dewi.callback_answers[-1]["text"] == "Tiket ini sudah dipindah"


async def test_only_basic_groups_upgrade_and_a_kicked_bot_hears_nothing(
    emu: BotApiEmulator, bot: Bot
) -> None:
    with pytest.raises(ValueError, match="not a basic group"):
        emu.group("Sudah super").upgrade_to_supergroup()
    group = emu.group("Lama", supergroup=False)
    siti = emu.user(first_name="Siti")
    emu.kick_bot(group, by=siti)
    [removed] = await _updates(bot)  # the removal itself, as Telegram tells a bot
    change = removed["my_chat_member"]
    assert change["chat"]["id"] == group.chat_id and change["from"]["id"] == siti.id
    assert change["old_chat_member"]["status"] == "member"
    assert change["new_chat_member"]["status"] == "left"  # a basic group
    supergroup = group.upgrade_to_supergroup()
    assert await _updates(bot) == []  # a removed bot hears nothing of the upgrade
    with pytest.raises(Forbidden):
        await bot.send_message(supergroup.chat_id, "halo?")
    with pytest.raises(ValueError):
        group.upgrade_to_supergroup()
