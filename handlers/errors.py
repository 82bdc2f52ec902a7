"""The one error handler: log with context, mark chats that blocked us, answer politely."""

from __future__ import annotations

import html
import logging
import traceback

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from handlers.common import answer_button
from handlers.context import SigapContext
from models.identity import mark_blocked
from texts import texts

log = logging.getLogger("sigap.errors")


async def on_error(update: object, context: SigapContext) -> None:
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    where = (
        (
            f"update {update.update_id} chat {chat.id if chat else '-'} "
            f"user {user.id if user else '-'}"
        )
        if isinstance(update, Update)
        else "no update"
    )

    if isinstance(error, Forbidden) and chat is not None and chat.type == "private":
        log.info("%s: %s; chat marked as blocked", where, error.message)
        await mark_blocked(context.services.db, chat.id, context.services.clock.now())
        context.services.identities.forget(chat.id)
        return
    if isinstance(error, (NetworkError, TimedOut, RetryAfter)) and not isinstance(update, Update):
        # Polling hiccups: PTB retries on its own; a warning is enough.
        log.warning("network trouble while polling: %s", error)
        return

    log.error("error handling %s", where, exc_info=error)
    if chat is None:
        return
    language = await _language(context, user.id if user else None)
    try:
        if isinstance(update, Update):
            await answer_button(update)  # a press too old to answer still gets the apology
        await context.bot.send_message(chat.id, texts(language).t("common.error"))
    except Exception as follow_up:
        log.warning("could not tell chat %s about the error: %s", chat.id, follow_up)

    await _tell_operators(context, where, error)


async def _language(context: SigapContext, user_id: int | None) -> str:
    """The person's language: PTB gives error handlers a fresh context, without the actor that
    group -1 loaded, so it is looked up again (the database may be what failed: then the
    default)."""
    services = context.services
    if context.has_actor:
        return context.actor.language
    if user_id is None:
        return services.settings.default_language
    try:
        identity = await services.identities.get(services.db, user_id)
    except Exception as exc:
        log.warning("could not look up the language of user %s: %s", user_id, exc)
        return services.settings.default_language
    return identity.language or services.settings.default_language


async def _tell_operators(context: SigapContext, where: str, error: BaseException | None) -> None:
    """Operators (SIGAP_ADMIN_IDS) see the traceback, escaped, so they can act on it."""
    if error is None:
        return
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    text = f"⚠️ {html.escape(where)}\n<pre>{html.escape(trace[-3500:])}</pre>"
    for operator in context.services.settings.admin_ids:
        try:
            await context.bot.send_message(operator, text)
        except Exception as exc:
            log.warning("could not notify operator %s: %s", operator, exc)
