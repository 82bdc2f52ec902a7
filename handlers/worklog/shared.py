"""What the work-log modules share: durations and problems in words, the duration buttons,
and the "Tersimpan" confirmation that a reply can correct."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from telegram import Update

from domain.worklog import ParseProblem
from handlers.context import SigapContext
from models import daylog
from texts import Texts
from texts.format import format_date

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
