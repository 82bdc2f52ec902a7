"""Where logging starts: /lapor (guided, or with the activity after it), a plain message from
an employee (one activity, or a whole day as a list), and a reply to a "Tersimpan" message
(a correction)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update

from domain.access import Action, allowed
from domain.worklog import ParseProblem, parse_day
from handlers.common import reply, requires
from handlers.context import SigapContext
from handlers.worklog import corrections, routines
from handlers.worklog.day import lines_of, start_day
from handlers.worklog.guided import LOG_FLOW
from handlers.worklog.shared import problem_text


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def lapor_command(update: Update, context: SigapContext) -> None:
    text = " ".join(context.args or []).strip()
    if text:
        await start_quick_log(update, context, text)
        return
    await LOG_FLOW.start(
        update,
        context,
        {"work_date": context.services.today().isoformat(), "source": "guided", "evidence": []},
    )
    await routines.offer(update, context)


async def start_quick_log(update: Update, context: SigapContext, text: str) -> None:
    today = context.services.today()
    work_date = today
    words = text.split(maxsplit=1)
    if words and words[0].lower() in {"kemarin", "yesterday"} and len(words) > 1:
        work_date, text = today - timedelta(days=1), words[1]
    day = parse_day(text, work_date)
    if day.is_list:
        if isinstance(day.work_date, ParseProblem):
            await reply(update, context, problem_text(day.work_date, context.texts))
            return
        await start_day(update, context, day.work_date, lines_of(day, context.texts), "list")
        return
    parsed = day.only_activity
    if isinstance(parsed, ParseProblem):
        await reply(update, context, problem_text(parsed, context.texts))
        return
    data: dict[str, Any] = {
        "work_date": work_date.isoformat(),
        "source": "quick",
        "evidence": [],
        "description": parsed.description,
        "quantity": parsed.quantity,
        "unit": parsed.unit,
        "minutes": parsed.minutes,
    }
    if parsed.quantity is None:
        # "Rapat 2 jam" has no count: one activity of that kind is what people mean.
        data["quantity"], data["unit"] = 1, "kegiatan"
    await LOG_FLOW.start(update, context, data | {"back": True}, step="summary")


async def quick_log_or_not_understood(update: Update, context: SigapContext) -> bool:
    """A plain message from a linked employee outside any flow: a correction when it replies
    to a "Tersimpan" message, else offered as an activity (or a day of them)."""
    message = update.effective_message
    if (
        message is None
        or message.text is None
        or not allowed(context.actor, Action.USE_EMPLOYEE_SERVICES)
    ):
        return False
    if await corrections.correct_by_reply(update, context):
        return True
    await start_quick_log(update, context, message.text)
    return True
