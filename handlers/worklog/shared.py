"""What the work-log modules share: durations and problems in words, the duration buttons,
and the "Tersimpan" confirmation that a reply can correct."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from telegram import Update
from telegram.error import BadRequest

from domain.worklog import ParseProblem
from handlers.common import edit_text, not_modified
from handlers.context import SigapContext
from handlers.flow import forget_pressed_keyboard, pressed_message
from models import daylog
from texts import Texts
from texts.format import format_date

log = logging.getLogger("sigap.worklog")
DURATION_BUTTONS = (("30m", 30), ("1j", 60), ("2j", 120), ("4j", 240))
BACKDATE_WINDOW_DAYS = 3


def problem_text(problem: ParseProblem, tr: Texts) -> str:
    params = {
        k: (format_date(v, tr.language) if isinstance(v, date) else v)
        for k, v in problem.params.items()
    }
    return tr.t(f"worklog.{problem.code}", **params)


def employee_of(context: SigapContext) -> int:
    employee_id = context.actor.employee_id
    assert employee_id is not None  # every entry point requires USE_EMPLOYEE_SERVICES
    return employee_id


def actor_of(context: SigapContext) -> str:
    return f"tg:{context.actor.telegram_id}"


async def send_saved(
    update: Update,
    context: SigapContext,
    text: str,
    activity_ids: Sequence[int],
    markup: Any = None,
    numbers: Sequence[int] | None = None,
) -> None:
    """Send a confirmation and remember which entries it listed, so that a reply to it
    corrects them. Remembered after it went out (only then is its message id known): a
    crash in between leaves an ordinary message, and a reply to it is answered politely."""
    chat = update.effective_chat
    if chat is None:
        return
    message = await context.bot.send_message(chat.id, text, reply_markup=markup)
    services = context.services
    await daylog.remember_saved(
        services.db, chat.id, message.message_id, activity_ids, services.clock.now(), numbers
    )


async def edit_into_saved(update: Update, context: SigapContext, text: str) -> bool:
    """Turn the pressed summary into its confirmation (its buttons go with the edit): one call
    and one message fewer than settling it and sending "Tersimpan" apart. True once the message
    shows ``text``, also when it did already (Telegram's "message is not modified": a press
    delivered again, or pressed again, after the edit went out). False when there is no
    message to edit (deleted, too old), so that the caller sends the confirmation instead."""
    message = pressed_message(update)
    if message is None:
        return False
    try:
        await edit_text(context, message.chat_id, message.message_id, text)
    except BadRequest as exc:
        if not not_modified(exc):
            log.info("could not edit a summary into its confirmation: %s", exc)
            return False
    forget_pressed_keyboard(update, context)
    return True
