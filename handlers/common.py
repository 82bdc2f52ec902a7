"""Pieces every handler uses: loading the actor, replying, access checks, buttons."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, NamedTuple

import orjson
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError
from telegram.ext import ApplicationHandlerStop

from domain.access import Action, allowed
from handlers.context import SigapContext
from models.identity import actor_from, mark_unblocked

Callback = Callable[[Update, SigapContext], Coroutine[Any, Any, Any]]
log = logging.getLogger("sigap.handlers")


# The attribute on a handler that says who may use it: read by the access matrix
# (bot/access_matrix.py, docs/access.md), set only through declare_access.
ACCESS_ATTRIBUTE = "sigap_access"


def declare_access(handler: Any, passes: Callable[[Any], bool], private: bool) -> None:
    """Record on ``handler`` who passes its gate and whether only in a private chat."""
    setattr(handler, ACCESS_ATTRIBUTE, (passes, private))


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


class Sent(NamedTuple):
    """What a reply's caller may need of the message it sent: where it is (to edit it later)."""

    chat_id: int
    message_id: int


# Telegram's method names are case-insensitive ("All methods in the Bot API are
# case-insensitive", core.telegram.org/bots/api#making-requests); PTB's ``do_api_request``
# warns on every call that names one of its own methods ("sendMessage"), so the name is spelt
# in a way PTB has no method for.
_SEND_MESSAGE = "sendmessage"
_EDIT_MESSAGE_TEXT = "editmessagetext"
_EDIT_REPLY_MARKUP = "editmessagereplymarkup"
_ANSWER_CALLBACK_QUERY = "answercallbackquery"


def _with_parse_mode(context: SigapContext, params: dict[str, Any]) -> dict[str, Any]:
    """Defaults are not applied by ``do_api_request``: the parse mode as the Application's
    Defaults set it."""
    defaults = context.bot.defaults
    params["parse_mode"] = defaults.parse_mode if defaults is not None else None
    return params


async def reply(
    update: Update, context: SigapContext, text: str, markup: Any = None
) -> Sent | None:
    """Answer in the chat the update came from (a message or a button press).

    Through ``Bot.do_api_request`` rather than ``Bot.send_message``: the same ExtBot (its rate
    limiter, with 429s waited out and retried, and the replies' connection pool) and the same
    errors (Forbidden, BadRequest), but without the ``Message`` PTB builds from every answer,
    which no caller reads beyond its id: several hundred microseconds of CPU for an answer with
    a keyboard, the largest single cost of a citizen's update once profiled (bench/paths.py).
    """
    chat = update.effective_chat
    if chat is None:
        return None
    result = await context.bot.do_api_request(
        _SEND_MESSAGE,
        _with_parse_mode(context, {"chat_id": chat.id, "text": text, "reply_markup": markup}),
    )
    return Sent(chat.id, result["message_id"])


async def edit_text(context: SigapContext, chat_id: int, message_id: int, text: str) -> None:
    """Replace the text of a message the bot sent (its buttons go with the edit), as ``reply``
    sends: through ``do_api_request``, without the ``Message`` PTB would build from Telegram's
    answer. Telegram's errors (BadRequest "message is not modified" among them) reach the
    caller."""
    await context.bot.do_api_request(
        _EDIT_MESSAGE_TEXT,
        _with_parse_mode(context, {"chat_id": chat_id, "message_id": message_id, "text": text}),
    )


async def remove_buttons(context: SigapContext, chat_id: int, message_id: int) -> None:
    """Take the inline keyboard off a message the bot sent (cosmetic: a press on it would be
    refused anyway), without the ``Message`` PTB would build from Telegram's answer."""
    try:
        await context.bot.do_api_request(
            _EDIT_REPLY_MARKUP, {"chat_id": chat_id, "message_id": message_id}
        )
    except BadRequest:
        pass  # deleted, or already without buttons
    except NetworkError as exc:
        log.info("could not take the buttons off a message: %s", exc)


def not_modified(exc: BadRequest) -> bool:
    """Telegram's answer to an edit that changes nothing ("message is not modified"): the
    message already shows what the edit wanted (a press delivered again, a double tap)."""
    return "not modified" in exc.message.lower()


async def answer_button(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Stop the spinner of a button press (``text``: a short notice, ``alert``: in a box).

    Through ``do_api_request``, as ``reply``: the same call as ``CallbackQuery.answer`` makes
    (the same parameters, the same errors) without its keyword plumbing and its defaults pass.
    """
    query = update.callback_query
    if query is None:
        return
    try:
        await query.get_bot().do_api_request(
            _ANSWER_CALLBACK_QUERY,
            {"callback_query_id": query.id, "text": text, "show_alert": alert},
        )
    except BadRequest as exc:
        # A press handled again after a restart (redelivered, or pressed while the bot was down)
        # is older than Telegram's 15 s or was answered before the crash: the spinner is gone
        # either way, and the press itself must still be handled.
        if "query is too old" not in exc.message.lower():
            raise
    except NetworkError as exc:
        # Telegram is flaky (its 5xx were already retried): the spinner stops by itself, and
        # the press itself must still be handled rather than fail for it.
        log.info("could not answer a press: %s", exc)


def buttons(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback_data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def buttons_json(rows: Sequence[Sequence[tuple[str, str]]]) -> str:
    """The keyboard :func:`buttons` makes, as the JSON Telegram takes, for :func:`reply`: on a
    reply sent for nearly every update (the citizen's offer) PTB's objects, built only to be
    turned back into JSON, cost ten times as much (bench/paths.py). orjson: the standard
    library's encoder was 3 % of the bot's time on that path."""
    return orjson.dumps(
        {
            "inline_keyboard": [
                [{"text": label, "callback_data": data} for label, data in row] for row in rows
            ]
        }
    ).decode()


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

        # Read by the access matrix (bot/access_matrix.py, docs/access.md): who passes, where.
        declare_access(guarded, lambda actor: allowed(actor, action), private)
        return guarded

    return decorate
