"""The one error handler: log with context, mark chats that blocked us, answer politely.

What it says about a failure never carries who the person was or what they wrote: an anonymous
reporter (or any citizen mid-complaint) must not be identifiable from an operator's chat or the
server log. Operators get an error reference and the exception's type; the log line with the
same reference has the full traceback (the engine hides SQL parameters, ``models.db``).
"""

from __future__ import annotations

import errno
import logging
import secrets

from telegram import Chat, Update, User
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from handlers.common import answer_button
from handlers.context import SigapContext
from models.db import storage_full, unavailable
from models.identity import mark_blocked
from services.metrics import mark_update_failed
from texts import texts

log = logging.getLogger("sigap.errors")

_KINDS = ("message", "edited_message", "callback_query", "my_chat_member")
# No room left for a photo or document in SIGAP_DATA_DIR (the disk, or the user's quota).
_STORAGE_FULL = (errno.ENOSPC, errno.EDQUOT)


def where(update: object) -> str:
    """The update's context for the log: its id, its kind and the kind of chat, never a user's
    id, name, username or text. In a private chat the chat id is the person's Telegram id, and
    whether they are an anonymous reporter cannot be known here (the database may be what
    failed), so the rule is the same for everyone; a group's id (a complaint desk, staff only)
    names no person and is kept."""
    if not isinstance(update, Update):
        return "no update"
    kind = next((k for k in _KINDS if getattr(update, k) is not None), "other")
    chat = update.effective_chat
    place = "no chat" if chat is None else f"a {chat.type} chat"
    if chat is not None and chat.type != "private":
        place += f" {chat.id}"
    return f"update {update.update_id} ({kind} in {place})"


async def on_error(update: object, context: SigapContext) -> None:
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    context_line = where(update)
    mark_update_failed()  # counted as an update that failed (sigap_updates_total)

    if isinstance(error, Forbidden) and chat is not None and chat.type == "private":
        log.info("%s: %s; chat marked as blocked", context_line, error.message)
        await mark_blocked(context.services.db, chat.id, context.services.clock.now())
        context.services.identities.forget(chat.id)
        return
    if isinstance(error, (NetworkError, TimedOut, RetryAfter)) and not isinstance(update, Update):
        # Polling hiccups: PTB retries on its own; a warning is enough.
        log.warning("network trouble while polling: %s", error)
        return

    # Short enough to read out over the phone, long enough not to repeat in a log's lifetime.
    reference = secrets.token_hex(4).upper()
    if unavailable(error):
        # The database's trouble, not this request's: what it had not committed was rolled
        # back, the same request succeeds once the database is back and saves nothing twice
        # (the guards that take a redelivery once), so the person is asked to try again.
        # Operators learn of an outage from /readyz and the log, not a message per update.
        log.warning(
            "database unavailable (error %s) handling %s: %s", reference, context_line, error
        )
        await _answer(update, context, chat, user, reference, "common.busy")
        return
    if storage_full(error):
        # The database may not grow (its disk, a quota): the write was rolled back whole, and
        # it succeeds once room is made. Unlike an outage it will not pass on its own, so it is
        # an ERROR (``sigap_errors_total``), one line without the traceback: the same for every
        # update that meets it, and no chat message to the operators per update.
        log.error(
            "database storage full (error %s) handling %s: %s", reference, context_line, error
        )
        await _answer(update, context, chat, user, reference, "common.database_full")
        return
    log.error("error %s handling %s", reference, context_line, exc_info=error)
    # Honest: the failure may have come after something was saved (the reply was lost), so
    # it says "may not have gone through", and doing it again saves nothing twice.
    key = "common.storage_full" if _storage_full(error) else "common.error"
    await _answer(update, context, chat, user, reference, key)
    await _tell_operators(context, reference, error)


def _storage_full(error: BaseException | None) -> bool:
    """A photo or document could not be written: the data folder's disk is full."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in _STORAGE_FULL:
            return True
        error = error.__cause__ or error.__context__
    return False


async def _answer(
    update: object,
    context: SigapContext,
    chat: Chat | None,
    user: User | None,
    reference: str,
    key: str,
) -> None:
    """Take the spinner off a pressed button and tell the person ``key``, in their language."""
    if chat is None:
        return
    language = await _language(context, user.id if user else None)
    if isinstance(update, Update):
        try:
            await answer_button(update)
        except Exception as follow_up:
            # The same trouble that failed the update; the apology below may still get through.
            log.warning("could not answer the press of error %s: %s", reference, follow_up)
    try:
        await context.bot.send_message(chat.id, texts(language).t(key))
    except Exception as follow_up:
        log.warning("could not apologise for error %s: %s", reference, follow_up)


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
        log.warning("could not look up the person's language: %s", exc)
        return services.settings.default_language
    return identity.language or services.settings.default_language


async def _tell_operators(
    context: SigapContext, reference: str, error: BaseException | None
) -> None:
    """Operators (SIGAP_ADMIN_IDS) learn that something failed and where to look in the log:
    the reference and the exception's type only. Its message and traceback stay in the log:
    they may quote what was being saved, and a chat is no place for it."""
    if error is None:
        return
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    text = texts(context.services.settings.default_language).t(
        "common.operator_error", reference=reference, error=name
    )
    for operator in context.services.settings.admin_ids:
        try:
            await context.bot.send_message(operator, text)
        except Exception as exc:
            log.warning("could not notify operator %s: %s", operator, exc)
