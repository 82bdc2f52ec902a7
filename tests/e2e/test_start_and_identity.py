"""/start by role, invite links, language, help, and the polite answers to odd input."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from models.tables import AuditEntry, TelegramLink
from tests.e2e.harness import OPERATOR_ID, eventually

CAMAT = "198105142003121002"  # supervisor + admin at the kecamatan
STAFF = "197508121999031007"  # plain employee in the secretariat


async def test_citizen_start_shows_citizen_menu(office) -> None:
    warga = office.user(first_name="Siti")
    await warga.send("/start")
    [reply] = await warga.wait_for(1)
    assert "Halo, Siti!" in reply.text
    assert "Kecamatan Medan Belawan" in reply.text
    assert "/undang" not in reply.text
    # Everyone's menu, set at start-up in each language (both requests sent at once).
    default = {"type": "default"}
    menus = {
        language: office.emulator.commands(default, code)
        for language, code in (("id", ""), ("en", "en"))
    }
    for commands in menus.values():
        assert commands and commands[0]["command"] == "start"
        assert "undang" not in [c["command"] for c in commands]
    assert menus["id"] != menus["en"]  # the descriptions are in the chat's language


async def test_employee_links_with_invite_and_gets_employee_menu(office) -> None:
    person = office.user(first_name="Agus")
    token = await office.invite_token(STAFF)
    await person.send(f"/start {token}")
    [reply] = await person.wait_for(1)
    assert "Akun Telegram Anda sekarang tertaut ke" in reply.text
    assert "Agus Salim Daulay" in reply.text and STAFF in reply.text
    assert "terdaftar sebagai pegawai Sekretariat Kecamatan Medan Belawan." in reply.text
    assert "BLW-SEK" not in reply.text and "Peran Anda juga" not in reply.text
    # Telegram's command menu for this chat is the employee one.
    commands = office.emulator.commands(scope={"type": "chat", "chat_id": person.chat_id})
    assert [c["command"] for c in commands][:2] == ["start", "bantuan"]
    await person.send("/start")
    [again] = await person.wait_for(1)
    assert "Selamat datang, Agus Salim Daulay" in again.text
    async with office.db.read() as session:
        link = (await session.execute(select(TelegramLink))).scalar_one()
        assert link.telegram_user_id == person.chat_id
        actions = (await session.execute(select(col(AuditEntry.action)))).scalars().all()
    assert "account.linked" in actions


async def test_supervisor_and_admin_see_their_sections(office) -> None:
    camat = await office.employee(CAMAT, first_name="Rahmad")
    text = camat.last.text
    assert "Peran Anda juga: atasan dan admin." in text
    assert "/undang" in text
    commands = office.emulator.commands(scope={"type": "chat", "chat_id": camat.chat_id})
    assert "undang" in [c["command"] for c in commands]


async def test_operator_from_settings_is_admin(office) -> None:
    operator = office.user(user_id=OPERATOR_ID, first_name="Operator")
    await operator.send("/start")
    [reply] = await operator.wait_for(1)
    assert "/undang" in reply.text


async def test_invite_cannot_be_reused(office) -> None:
    token = await office.invite_token(STAFF)
    first, second = office.user(first_name="A"), office.user(first_name="B")
    await first.send(f"/start {token}")
    await first.wait_for(1)
    await second.send(f"/start {token}")
    [reply] = await second.wait_for(1)
    assert "sudah pernah dipakai" in reply.text
    await second.send("/start")
    [menu] = await second.wait_for(1)
    assert "Halo, B!" in menu.text  # still a citizen


async def test_two_accounts_opening_one_invite_at_once_link_only_one(office) -> None:
    """Both /start <token> arrive in one getUpdates and are handled concurrently (two chats):
    one account is linked, the other is told in its own language that the link was used, and
    the first link stays (on PostgreSQL both were once told "linked", the second unlinking the
    first)."""
    token = await office.invite_token(STAFF)
    first, second = office.user(first_name="A"), office.user(first_name="B")
    for person in (first, second):  # both read English: the refusal comes in their language
        await person.send("/language")
        await person.wait_for(1)
        await person.press("🇬🇧 English")
        await person.wait_for_edit()
    await asyncio.gather(first.send(f"/start {token}"), second.send(f"/start {token}"))
    [a], [b] = await asyncio.gather(first.wait_for(1), second.wait_for(1))
    replies = {first.chat_id: a.text, second.chat_id: b.text}
    linked = [chat for chat, text in replies.items() if "now linked to Agus Salim Daulay" in text]
    refused = [chat for chat, text in replies.items() if "already been used" in text]
    assert len(linked) == 1 and len(refused) == 1, replies
    async with office.db.read() as session:
        links = (await session.execute(select(TelegramLink))).scalars().all()
        actions = (await session.execute(select(col(AuditEntry.action)))).scalars().all()
    assert [link.telegram_user_id for link in links] == linked
    assert "account.unlinked" not in actions


async def test_expired_invite_is_refused(office) -> None:
    token = await office.invite_token(STAFF, ttl=timedelta(days=1))
    office.clock.advance(timedelta(days=1, minutes=1))
    person = office.user()
    await person.send(f"/start {token}")
    [reply] = await person.wait_for(1)
    assert "kedaluwarsa" in reply.text


async def test_forged_token_is_refused_and_audited(office) -> None:
    person = office.user()
    await person.send("/start AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    [reply] = await person.wait_for(1)
    assert "tidak valid" in reply.text
    async with office.db.read() as session:
        rejected = (
            await session.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(col(AuditEntry.action) == "invite.rejected")
            )
        ).scalar_one()
    assert rejected == 1


async def test_newer_invite_replaces_older_one(office) -> None:
    old = await office.invite_token(STAFF)
    new = await office.invite_token(STAFF)
    person = office.user()
    await person.send(f"/start {old}")
    [reply] = await person.wait_for(1)
    assert "kedaluwarsa" in reply.text
    await person.send(f"/start {new}")
    [reply] = await person.wait_for(1)
    assert "tertaut" in reply.text


async def test_one_account_one_employee(office) -> None:
    person = await office.employee(STAFF)
    # The same account cannot take a second employee.
    other_token = await office.invite_token(CAMAT)
    await person.send(f"/start {other_token}")
    [reply] = await person.wait_for(1)
    assert "sudah tertaut ke pegawai lain" in reply.text


async def test_link_to_an_employee_already_linked_does_not_show_the_nip(office) -> None:
    """A stray link issued before the employee's current link (here: at the same moment)
    cannot move it; whoever opens it is not told the employee's NIP."""
    await office.employee(STAFF, first_name="Agus")
    token = await office.invite_token(STAFF)  # no newer than the link: a leftover
    stranger = office.user(first_name="Orang")
    await stranger.send(f"/start {token}")
    [reply] = await stranger.wait_for(1)
    assert "sudah tertaut ke akun Telegram lain" in reply.text
    assert STAFF not in reply.text and "NIP" not in reply.text


async def test_relinking_needs_a_new_invite_and_disconnects_the_old_account(office) -> None:
    old_phone = await office.employee(STAFF, first_name="Agus")
    office.clock.advance(timedelta(minutes=5))
    token = await office.invite_token(STAFF)  # the admin issues a new link (new phone)
    new_phone = office.user(first_name="Agus")
    await new_phone.send(f"/start {token}")
    [reply] = await new_phone.wait_for(1)
    assert "sekarang tertaut ke Agus Salim Daulay" in reply.text
    await old_phone.send("/start")
    [menu] = await old_phone.wait_for(1)
    assert "Halo, Agus!" in menu.text  # a citizen now
    async with office.db.read() as session:
        [link] = (await session.execute(select(TelegramLink))).scalars().all()
        actions = (await session.execute(select(col(AuditEntry.action)))).scalars().all()
    assert link.telegram_user_id == new_phone.chat_id
    assert "account.unlinked" in actions
    # The used invite cannot move it back.
    await old_phone.send(f"/start {token}")
    [reply] = await old_phone.wait_for(1)
    assert "sudah pernah dipakai" in reply.text


async def test_language_switch_is_remembered(office) -> None:
    warga = office.user(first_name="John")
    await warga.send("/bahasa")
    [choice] = await warga.wait_for(1)
    assert choice.button_texts == ["🇮🇩 Bahasa Indonesia", "🇬🇧 English"]
    await warga.press("🇬🇧 English")
    edited = await warga.wait_for_edit()
    assert edited.text == "OK, I'll use English."
    await warga.send("/start")
    [reply] = await warga.wait_for(1)
    assert "Hello, John!" in reply.text
    await warga.send("/help")
    [reply] = await warga.wait_for(1)
    assert "Sigap help" in reply.text
    # The choice replaced its buttons with the confirmation, as Telegram shows it.
    shown = next(m for m in warga.messages if m.message_id == choice.message_id)
    assert shown.text == "OK, I'll use English." and shown.button_texts == []
    await warga.send("/language")
    await warga.wait_for(1)
    await warga.press("🇮🇩 Bahasa Indonesia")
    await warga.wait_for_edit()
    await warga.send("/bantuan")
    [reply] = await warga.wait_for(1)
    assert "Bantuan Sigap" in reply.text


async def test_names_with_html_are_escaped(office) -> None:
    # Unescaped, this name would make Telegram answer 400 "can't parse entities".
    warga = office.user(first_name="<b>Budi & <i>")
    await warga.send("/start")
    [reply] = await warga.wait_for(1)
    assert "Halo, <b>Budi & <i>!" in reply.text


async def test_unknown_command_and_odd_messages_get_answers(office) -> None:
    warga = office.user()
    await warga.send("/terbang")
    [reply] = await warga.wait_for(1)
    assert "/terbang" in reply.text and "tidak dikenal" in reply.text
    await warga.send_sticker()
    [reply] = await warga.wait_for(1)
    assert "belum bisa membaca jenis pesan ini" in reply.text
    await warga.send("halo")
    [reply] = await warga.wait_for(1)
    # A citizen's words are the start of what they want (tests/e2e/test_citizen_text.py).
    assert "Apa yang ingin Anda lakukan dengan pesan ini?" in reply.text
    sent = await warga.send("apa kabar")
    await warga.wait_for(1)
    await warga.edit(sent, "apa kabar?")
    [reply] = await warga.wait_for(1)
    assert "Perubahan pada pesan" in reply.text


async def test_button_from_nowhere_is_answered_as_stale(office) -> None:
    warga = office.user()
    await warga.send("/bahasa")
    [choice] = await warga.wait_for(1)
    # Forged presses (a modified client): a flow button of no flow, and data nobody knows.
    await warga.press(callback_data="f:99:create", message_id=choice.message_id, forge=True)
    await warga.press(callback_data="zzz", message_id=choice.message_id, forge=True)
    await eventually(lambda: len(warga.callback_answers) == 2)
    assert [a["text"] for a in warga.callback_answers][-2:] == [
        "Tombol ini sudah tidak berlaku. Silakan mulai lagi dari menu."
    ] * 2


async def test_start_in_a_group_points_to_private_chat(office) -> None:
    group = office.emulator.group(title="Kantor Camat")
    warga = office.user()
    await warga.send("/start", chat=group)
    [reply] = await group.wait_for(1)
    assert "chat pribadi" in reply.text


async def test_unexpected_updates_are_survived(office) -> None:
    import asyncio

    from models.tables import TelegramUser

    warga = office.user(first_name="Dina")
    await warga.send("/start")
    await warga.wait_for(1)
    # A kind of message the bot has no use for, and update types nobody handles.
    office.emulator.user_message(warga, {"dice": {"emoji": "🎲", "value": 3}})
    [reply] = await warga.wait_for(1)
    assert "belum bisa membaca jenis pesan ini" in reply.text
    office.emulator.push_update(
        "channel_post",
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": -100123, "type": "channel", "title": "X"},
            "text": "announcement",
        },
    )
    # The person blocks the bot: Telegram tells the bot with my_chat_member.
    office.emulator.push_update(
        "my_chat_member",
        {
            "chat": {"id": warga.chat_id, "type": "private", "first_name": "Dina"},
            "from": {"id": warga.chat_id, "is_bot": False, "first_name": "Dina"},
            "date": 0,
            "old_chat_member": {
                "status": "member",
                "user": {"id": office.emulator.bot_id, "is_bot": True, "first_name": "Sigap"},
            },
            "new_chat_member": {
                "status": "kicked",
                "until_date": 0,
                "user": {"id": office.emulator.bot_id, "is_bot": True, "first_name": "Sigap"},
            },
        },
    )

    async def blocked() -> bool:
        async with office.db.read() as session:
            user = await session.get(TelegramUser, warga.chat_id)
        return user is not None and user.blocked_at is not None

    for _ in range(200):
        if await blocked():
            break
        await asyncio.sleep(0.01)
    assert await blocked()
    # Writing again means they unblocked the bot: the mark goes, and the bot answers.
    await warga.send("/start")
    [reply] = await warga.wait_for(1)
    assert "Halo, Dina!" in reply.text
    assert not await blocked()
