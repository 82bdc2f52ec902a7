"""A desk's life: an admin turns a unit's Telegram group into its complaint desk
(``/pasang_meja BLW-PU``; in another group it moves there) and removes it (``/lepas_meja``);
the desk follows its group when Telegram turns it into a supergroup (the service messages here;
a 400 on a send in ``relay``; the outbox sender's ``migrated_hook``); a group that removed the
bot loses its desk (``my_chat_member``, or a 403 seen by the outbox sender's ``blocked_hook``).
A ticket the outbox delivered (filed through the Open311 API) is linked by ``ticket_sent_hook``.
Tickets a desk no longer shows wait in ``complaints.unposted`` for the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError

from domain.access import may_install_desk
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, not_modified, reply
from handlers.context import SigapContext
from handlers.desk.relay import Outside, desk_migrated, post_ticket, ticket_posted
from handlers.desk.render import desk_texts
from handlers.desk.tickets import retire_keyboard
from models import complaints
from models.open311_requests import sent_unlinked_tickets, ticket_complaint
from models.outbox import QueuedMessage, text_payload
from models.tables import Unit
from models.types import stored_id
from services import Services
from texts import texts

log = logging.getLogger("sigap.complaints")

UNINSTALL = CallbackData("deskrm", {"yes": "n", "no": "n"})  # ``deskrm:yes|no:<unit>``


# --- /pasang_meja -------------------------------------------------------------------------------


async def install_desk_command(update: Update, context: SigapContext) -> None:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    tr = context.texts if chat.type == ChatType.PRIVATE else desk_texts(context.services)
    if chat.type == ChatType.PRIVATE:
        await reply(update, context, tr.t("desk.install_in_group"))
        return
    if not may_install_desk(context.actor):
        await reply(update, context, tr.t("common.denied"))
        return
    args = context.args or []
    db, now = context.services.db, context.services.clock.now()
    if not args:
        await reply(update, context, tr.t("desk.install_usage", codes=await _unit_codes(context)))
        return
    installed = await complaints.install_desk(
        db, args[0], chat.id, chat.title or "", telegram_id=user.id, now=now
    )
    if installed is None:
        await reply(
            update,
            context,
            tr.t("desk.unknown_unit", code=args[0][:20], codes=await _unit_codes(context)),
        )
        return
    unit = installed.unit
    handlers = await complaints.unit_handlers(db, stored_id(unit.id))
    names = ", ".join(e.name for e in handlers) or "—"
    text = tr.t("desk.installed", unit=unit.name, code=unit.code, count=len(handlers), names=names)
    waiting = await complaints.unposted(db, stored_id(unit.id))
    if installed.moved_from is not None:
        await _tell_old_desk(context, installed, chat.title or "", len(waiting))
        text += "\n" + tr.t(
            "desk_lifecycle.moved_here", title=installed.old_title or "—", count=len(waiting)
        )
    await reply(update, context, text)
    for complaint in waiting:
        await post_ticket(context, complaint)


async def _unit_codes(context: SigapContext) -> str:
    return ", ".join(await complaints.unit_codes(context.services.db))


async def _tell_old_desk(
    context: SigapContext, installed: complaints.DeskInstall, title: str, count: int
) -> None:
    """The desk moved to another group: say so where it was, and retire the buttons of the
    tickets there (a press or a reply on them points to the new ticket)."""
    old_chat_id, unit = installed.moved_from, installed.unit
    assert old_chat_id is not None
    text = desk_texts(context.services).t(
        "desk_lifecycle.moved_away", unit=unit.name, code=unit.code, title=title, count=count
    )
    try:
        await context.bot.send_message(old_chat_id, text)
    except TelegramError as exc:
        log.info("could not tell the old desk group %s of %s: %s", old_chat_id, unit.code, exc)
        return
    for message_id in installed.old_tickets:
        try:
            await context.bot.edit_message_reply_markup(old_chat_id, message_id, reply_markup=None)
        except TelegramError:
            pass  # gone or already without buttons; a press there is answered anyway


# --- Upgraded to a supergroup --------------------------------------------------------------------


async def chat_migrated(update: Update, context: SigapContext) -> None:
    """The service messages of a group that became a supergroup (one in each chat)."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id:
        await desk_migrated(context, message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await desk_migrated(context, message.migrate_from_chat_id, message.chat.id)


def migrated_hook(bot: Bot, services: Services) -> Callable[[int, int], Awaitable[None]]:
    """For the outbox sender: a queued message met the 400 of an upgraded group."""

    async def hook(old_chat_id: int, new_chat_id: int) -> None:
        await desk_migrated(Outside(bot, services), old_chat_id, new_chat_id)

    return hook


def ticket_sent_hook(
    bot: Bot, services: Services
) -> Callable[[QueuedMessage, int], Awaitable[None]]:
    """For the outbox sender: a ticket queued by the Open311 API is in its desk; link it to its
    complaint (replies to it are routed, moves update it) and send its location as a reply."""

    async def hook(message: QueuedMessage, telegram_message_id: int) -> None:
        complaint_id = ticket_complaint(message.key)
        if complaint_id is not None:
            await _link_ticket(bot, services, complaint_id, message.chat_id, telegram_message_id)

    return hook


def unlinked_tickets_hook(bot: Bot, services: Services) -> Callable[[], Awaitable[None]]:
    """For the outbox sender's start: tickets it sent before a stop came between the send and
    the link are linked now (else replies to them would reach nobody)."""

    async def hook() -> None:
        for complaint_id, chat_id, message_id in await sent_unlinked_tickets(services.db):
            log.warning("ticket of complaint %s was sent but not linked; linking it", complaint_id)
            await _link_ticket(bot, services, complaint_id, chat_id, message_id)

    return hook


async def _link_ticket(
    bot: Bot, services: Services, complaint_id: int, chat_id: int, message_id: int
) -> None:
    complaint = await complaints.get_complaint(services.db, complaint_id)
    if complaint is None:
        return
    try:
        await ticket_posted(Outside(bot, services), complaint, chat_id, message_id)
    except TelegramError as exc:
        log.warning("ticket of complaint %s: could not send its location: %s", complaint_id, exc)


# --- /lepas_meja ---------------------------------------------------------------------------------


async def uninstall_desk_command(update: Update, context: SigapContext) -> None:
    """``/lepas_meja`` in a desk group, by an admin: asks before removing the desk."""
    chat = update.effective_chat
    assert chat is not None
    if chat.type == ChatType.PRIVATE:
        await reply(update, context, context.texts.t("desk_lifecycle.uninstall_in_group"))
        return
    tr = desk_texts(context.services)
    if not may_install_desk(context.actor):
        await reply(update, context, tr.t("common.denied"))
        return
    unit = await complaints.desk_unit(context.services.db, chat.id)
    if unit is None:
        await reply(update, context, tr.t("desk_lifecycle.not_a_desk"))
        return
    markup = buttons(
        [
            [
                (tr.plain("desk_lifecycle.button_confirm"), UNINSTALL.pack("yes", unit.id)),
                (tr.plain("desk_lifecycle.button_cancel"), UNINSTALL.pack("no", unit.id)),
            ]
        ]
    )
    await reply(
        update, context, tr.t("desk_lifecycle.confirm", unit=unit.name, code=unit.code), markup
    )


async def uninstall_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = desk_texts(context.services)
    press = UNINSTALL.unpack(query.data)
    if press is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    unit_id = press.numbers[0]
    if not may_install_desk(context.actor) or query.message is None:
        await answer_button(update, context.texts.plain("common.denied"), alert=True)
        return
    chat_id = query.message.chat.id
    if press.verb == "no":
        await answer_button(update)
        await _replace_question(update, tr.t("desk_lifecycle.cancelled"))
        return
    services = context.services
    removed = await complaints.remove_desk(
        services.db,
        chat_id,
        actor=f"tg:{context.actor.telegram_id}",
        now=services.clock.now(),
        reason="uninstalled",
        unit_id=unit_id,
    )
    if removed is None:
        await answer_button(update, tr.plain("desk_lifecycle.already_removed"), alert=True)
        await retire_keyboard(update)
        return
    await answer_button(update)
    unit = removed.unit
    await _replace_question(
        update,
        tr.t("desk_lifecycle.removed", unit=unit.name, code=unit.code, count=removed.open_tickets),
    )


async def _replace_question(update: Update, text: str) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=None)
    except BadRequest as exc:
        if not not_modified(exc):
            raise


# --- The bot removed from a group ----------------------------------------------------------------


async def bot_left_group(update: Update, context: SigapContext) -> None:
    """The bot was removed from a group (``my_chat_member`` left/kicked)."""
    change = update.my_chat_member
    assert change is not None
    await desk_lost(
        context.services,
        change.chat.id,
        actor=f"tg:{change.from_user.id}" if change.from_user else "telegram",
        reason=f"bot_{change.new_chat_member.status}",
    )


async def desk_lost(
    services: Services,
    chat_id: int,
    *,
    actor: str,
    reason: str,
) -> None:
    """The bot is no longer in this group. If it was a desk, the desk is removed and the
    operators (``SIGAP_ADMIN_IDS``) are told through the outbox, in the same transaction (its
    commit wakes the sender)."""
    now = services.clock.now()
    tr = texts(services.settings.default_language)

    def notices(unit: Unit, open_tickets: int, title: str) -> list[tuple[str, int, dict[str, Any]]]:
        text = tr.t(
            "desk_lifecycle.bot_removed",
            title=title or str(chat_id),
            unit=unit.name,
            code=unit.code,
            count=open_tickets,
        )
        stamp = now.strftime("%Y%m%dT%H%M%S")
        return [
            (f"desk_removed:{chat_id}:{stamp}:{admin}", admin, text_payload(text))
            for admin in services.settings.admin_ids
        ]

    removed = await complaints.remove_desk(
        services.db, chat_id, actor=actor, now=now, reason=reason, notices=notices
    )
    if removed is not None:
        log.warning("the bot was removed from the desk group of %s", removed.unit.code)


def blocked_hook(
    services: Services,
    *,
    then: Callable[[int], Awaitable[None]],
) -> Callable[[int], Awaitable[None]]:
    """For the outbox sender: a chat answered 403. A desk group that removed the bot (while
    this process was not listening, so no ``my_chat_member``) loses its desk; then ``then``."""

    async def hook(chat_id: int) -> None:
        if chat_id < 0:
            await desk_lost(
                services,
                chat_id,
                actor="telegram",
                reason="bot_unreachable",
            )
        await then(chat_id)

    return hook
