"""Settling a used button's message, Telegram's convention for inline keyboards: once a person
presses a button, the message says what they chose and loses its keyboard, or keeps only the
buttons that still apply. A chat then reads as a record of what was decided, and an old button
cannot be pressed by mistake days later (a stale press would still be refused, but a phone
screen full of live-looking buttons invites it).

Every flow uses this one helper: the flow engine for its steps (``handlers.flow``), and each
handler module for its own buttons.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from handlers.context import SigapContext

# Telegram's limits on what an edit may carry (characters after entities are parsed).
MAX_TEXT = 4096
MAX_CAPTION = 1024


def pressed_label(message: Message, data: str | None) -> str | None:
    """The label of the button with this data on the message, as the person saw it."""
    markup = message.reply_markup
    if markup is None or data is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def without_pressed(message: Message, data: str | None) -> InlineKeyboardMarkup | None:
    """The message's keyboard less the pressed button (a list whose other rows still apply)."""
    markup = message.reply_markup
    if markup is None:
        return None
    rows = [
        [button for button in row if button.callback_data != data] for row in markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


async def settle_one(update: Update, context: SigapContext) -> None:
    """Take only the pressed button off its message: the rest of a list still applies."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        await settle(update, context, "", without_pressed(query.message, query.data))


def _without_earlier_choice(body: str, marker: str) -> str:
    """A message settled before (a keyboard that kept some buttons) shows only the last choice."""
    head, separator, last = body.rpartition("\n\n")
    return head if separator and last.startswith(marker) else body


async def settle(
    update: Update,
    context: SigapContext,
    choice: str | None = None,
    keep: InlineKeyboardMarkup | None = None,
) -> None:
    """Edit the message of the pressed button: add a line with ``choice`` (default: the pressed
    button's label; ``""`` adds nothing) and replace its keyboard with ``keep`` (default: none).

    Best effort: a message Telegram will not edit (deleted, unchanged, too old to be shown)
    keeps what it had; the press itself has already been handled."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    message = query.message
    label = pressed_label(message, query.data) if choice is None else choice
    try:
        if label:
            marker = context.texts.plain("common.chosen", choice="").strip()
            line = context.texts.t("common.chosen", choice=label)
            if message.text is not None:
                body = _without_earlier_choice(message.text_html, marker)
                if len(message.text) + len(label) + 4 <= MAX_TEXT:
                    await query.edit_message_text(f"{body}\n\n{line}", reply_markup=keep)
                    return
            elif message.caption is not None:
                body = _without_earlier_choice(message.caption_html, marker)
                if len(message.caption) + len(label) + 4 <= MAX_CAPTION:
                    await query.edit_message_caption(f"{body}\n\n{line}", reply_markup=keep)
                    return
        if message.reply_markup is not None or keep is not None:
            await query.edit_message_reply_markup(keep)
    except BadRequest:
        pass  # deleted, unchanged or no longer editable: the choice was still taken
