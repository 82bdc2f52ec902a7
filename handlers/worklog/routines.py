"""Routines: what an employee saved on at least three of the last ten working days is offered
under /lapor and under the reminder as a one-tap "Ulangi" (with its latest duration); "Salin
kemarin" puts the last working day's entries in a summary to edit; "Semua rutin" puts every
routine there. Nothing is saved without a tap: a routine's own button saves that one entry,
the others open the summary whose Simpan semua saves.
"""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from domain.access import Action
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, reply, requires
from handlers.context import SigapContext
from handlers.worklog.day import line_data, start_day
from handlers.worklog.shared import actor_of, employee_of, send_saved
from models import activities, daylog
from models.tables import Activity
from services import buttons as job_buttons
from texts.format import duration, format_date

# ``wl:rep:<activity id>`` (that entry again, today), ``wl:copy``, ``wl:all``. The reminder
# carries the first two as well (``services.buttons``).
BUTTONS = CallbackData("wl", {"rep": "n", "copy": "", "all": ""})


async def _recent(context: SigapContext) -> tuple[list[daylog.Routine], list[date]]:
    services = context.services
    calendar = await activities.work_calendar(services.db)
    days = calendar.last_working_days(services.today(), daylog.ROUTINE_DAYS)
    found = await daylog.routines(services.db, [employee_of(context)], days)
    return found.get(employee_of(context), []), days


async def offer(update: Update, context: SigapContext) -> None:
    """Under /lapor: the routines and yesterday's entries, when there are any."""
    found, days = await _recent(context)
    employee_id = employee_of(context)
    logged = bool(days) and employee_id in await daylog.logged_on(
        context.services.db, [employee_id], days[0]
    )
    rows = job_buttons.routine_rows(context.texts, found, logged)
    if rows:
        await reply(update, context, context.texts.t("day.offer"), buttons(rows))


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def routine_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    press = BUTTONS.unpack(query.data)
    tr = context.texts
    if press is None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    await answer_button(update)
    if press.verb == "rep":
        await _repeat(update, context, press.numbers[0])
    elif press.verb == "copy":
        await _copy_yesterday(update, context)
    else:
        await _repeat_all(update, context)


async def _repeat(update: Update, context: SigapContext, activity_id: int) -> None:
    services, tr = context.services, context.texts
    today = services.today()
    try:
        activity, _ = await daylog.repeat_activity(
            services.db,
            employee_of(context),
            activity_id,
            today,
            late=False,  # today's
            actor=actor_of(context),
            now=services.clock.now(),
        )
    except LookupError:  # not theirs, or deleted since
        await reply(update, context, tr.t("log.not_found"))
        return
    await _drop_pressed(update)
    count, minutes = await activities.minutes_on(services.db, employee_of(context), today)
    assert activity.id is not None
    text = tr.t(
        "day.repeated",
        description=activity.description,
        duration=duration(activity.minutes, tr.language),
        date=format_date(today, tr.language),
        count=count,
        total=duration(minutes, tr.language),
    )
    await send_saved(update, context, text, [activity.id])


async def _drop_pressed(update: Update) -> None:
    """Take the used routine off the offer, leaving the others to tap."""
    query = update.callback_query
    message = query.message if query else None
    markup = getattr(message, "reply_markup", None)
    if query is None or not isinstance(markup, InlineKeyboardMarkup):
        return
    rows = [
        [button for button in row if button.callback_data != query.data]
        for row in markup.inline_keyboard
    ]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup([r for r in rows if r]))
    except BadRequest:
        pass  # the message is gone or already shows this


async def _copy_yesterday(update: Update, context: SigapContext) -> None:
    services = context.services
    calendar = await activities.work_calendar(services.db)
    [yesterday] = calendar.last_working_days(services.today(), 1) or [services.today()]
    entries = [
        entry
        for entry in await activities.activities_between(
            services.db, employee_of(context), yesterday, yesterday
        )
        if entry.status != "rejected"
    ]
    if not entries:
        await reply(
            update,
            context,
            context.texts.t(
                "day.nothing_yesterday", date=format_date(yesterday, context.texts.language)
            ),
        )
        return
    lines = [_line(number, entry) for number, entry in enumerate(entries, start=1)]
    await start_day(update, context, services.today(), lines, "copy")


def _line(number: int, entry: Activity) -> dict[str, object]:
    line = line_data(number, entry.description, None) | {
        "description": entry.description,
        "quantity": entry.quantity,
        "unit": entry.output_unit,
        "minutes": entry.minutes,
        "target_id": entry.target_id,
    }
    return line


async def _repeat_all(update: Update, context: SigapContext) -> None:
    found, _ = await _recent(context)
    services = context.services
    if not found:
        await reply(update, context, context.texts.t("day.no_routines"))
        return
    lines = []
    for number, routine in enumerate(found, start=1):
        entry = await activities.get_activity(services.db, routine.activity_id)
        if entry is not None:
            lines.append(_line(number, entry))
    await start_day(update, context, services.today(), lines, "repeat")
