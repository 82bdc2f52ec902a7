"""Correcting a saved entry by replying to the bot's "Tersimpan" message: "2 jam",
"kemarin", "15 berkas" (or "2: 2 jam" under a confirmation that listed several entries).
The entry changes, with its history, unless the supervisor has approved it."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Final

from telegram import Update

from domain.worklog import ParseProblem, is_late, parse_correction
from handlers.common import reply
from handlers.context import SigapContext
from handlers.worklog.shared import (
    BACKDATE_WINDOW_DAYS,
    actor_of,
    employee_of,
    problem_text,
    send_saved,
)
from models import activities, daylog
from models.tables import Activity
from texts import Texts
from texts.format import duration, format_date

# "2: 2 jam", "2. kemarin", "2) 15 berkas": which entry of a confirmation that listed several.
_LINE: Final = re.compile(r"^\s*(\d{1,2})\s*[:.)]\s+(\S.*)$", re.DOTALL)


async def correct_by_reply(update: Update, context: SigapContext) -> bool:
    """True when the message replies to one of the bot's confirmations (and was answered)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or message.text is None or chat is None:
        return False
    target = message.reply_to_message
    if target is None:
        return False
    listed = await daylog.saved_by(context.services.db, chat.id, target.message_id)
    if not listed:
        return False
    text, tr = message.text, context.texts
    if len(listed) == 1:
        [activity_id] = listed.values()
    else:
        which = _LINE.match(text)
        activity_id = listed.get(int(which[1])) if which else None
        if which is None or activity_id is None:
            numbers = ", ".join(str(n) for n in sorted(listed))
            await reply(update, context, tr.t("correction.which_line", numbers=numbers))
            return True
        text = which[2]
    await _correct(update, context, activity_id, text)
    return True


async def _correct(update: Update, context: SigapContext, activity_id: int, text: str) -> None:
    services, tr = context.services, context.texts
    today = services.today()
    correction = parse_correction(text, today, BACKDATE_WINDOW_DAYS)
    if isinstance(correction, ParseProblem):
        await reply(update, context, problem_text(correction, tr))
        return
    changes: dict[str, Any] = {correction.field: correction.value}
    if isinstance(correction.value, date):
        changes["late"] = is_late(correction.value, today)
    if correction.unit is not None:
        changes["output_unit"] = correction.unit
    before = await activities.get_activity(services.db, activity_id)
    try:
        after = await activities.update_activity(
            services.db,
            activity_id,
            changes,
            actor=actor_of(context),
            now=services.clock.now(),
            expected_employee_id=employee_of(context),
        )
    except activities.NotEditable:
        await reply(update, context, tr.t("log.locked"))
        return
    except LookupError:
        await reply(update, context, tr.t("log.not_found"))
        return
    assert before is not None
    count, minutes = await activities.minutes_on(services.db, employee_of(context), after.work_date)
    text = tr.t(
        "correction.done",
        description=after.description,
        old=_shown(before, correction.field, tr),
        new=_shown(after, correction.field, tr),
        date=format_date(after.work_date, tr.language),
        count=count,
        total=duration(minutes, tr.language),
    )
    await send_saved(update, context, text, [activity_id])


def _shown(entry: Activity, field: str, tr: Texts) -> str:
    if field == "minutes":
        return duration(entry.minutes, tr.language)
    if field == "work_date":
        return format_date(entry.work_date, tr.language)
    return f"{entry.quantity or ''} {entry.output_unit or ''}".strip()
