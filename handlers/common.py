"""Pieces every handler uses: loading the actor, replying, access checks, buttons."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from domain.access import Action, allowed
from handlers.context import SigapContext
from models.identity import actor_from, mark_unblocked

Callback = Callable[[Update, SigapContext], Awaitable[Any]]


async def load_sender(update: Update, context: SigapContext) -> None:
    """Group -1: find out who is talking before any handler answers."""
    user = update.effective_user
    if user is None:
        # Channel posts, polls and other updates nobody asked for: nothing to answer.
        raise ApplicationHandlerStop
    services = context.services
    identity = await services.identities.get(services.db, user.id)
    if identity.blocked and update.effective_chat is not None and is_private(update):
        # Someone who writes to us again has unblocked the bot: deliver to them again.
        await mark_unblocked(services.db, user.id)
        services.identities.forget(user.id)
        identity = await services.identities.get(services.db, user.id)
    context.actor = actor_from(
        identity,
        user.id,
        first_name=user.first_name or "",
        default_language=services.settings.default_language,
        operators=services.settings.admin_ids,
    )


async def reload_sender(update: Update, context: SigapContext) -> None:
    """After this update changed who the sender is (linked, new language)."""
    if update.effective_user is not None:
        context.services.identities.forget(update.effective_user.id)
    await load_sender(update, context)


async def reply(
    update: Update, context: SigapContext, text: str, markup: Any = None
) -> Message | None:
    """Answer in the chat the update came from (a message or a button press)."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await context.bot.send_message(chat.id, text, reply_markup=markup)


async def answer_button(update: Update, text: str | None = None, alert: bool = False) -> None:
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer(text, show_alert=alert)
    except BadRequest as exc:
        # A press handled again after a restart (redelivered, or pressed while the bot was down)
        # is older than Telegram's 15 s or was answered before the crash: the spinner is gone
        # either way, and the press itself must still be handled.
        if "query is too old" not in exc.message.lower():
            raise


def buttons(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback_data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def requires(action: Action, *, private: bool = False) -> Callable[[Callback], Callback]:
    """Check access (``domain.access``) before the handler runs; refuse politely otherwise."""

    def decorate(handler: Callback) -> Callback:
        @functools.wraps(handler)
        async def guarded(update: Update, context: SigapContext) -> Any:
            if private and not is_private(update):
                await answer_button(update)
                await reply(update, context, context.texts.t("common.private_only"))
                return None
            if not allowed(context.actor, action):
                await answer_button(update, context.texts.plain("common.denied"), alert=True)
                if update.callback_query is None:
                    await reply(update, context, context.texts.t("common.denied"))
                return None
            return await handler(update, context)

        return guarded

    return decorate
