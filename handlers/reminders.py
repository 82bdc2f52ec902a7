"""What employees do with reminders: log now, snooze for today, choose their time (/pengingat)."""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update

from domain.access import Action, Audience
from handlers import worklog
from handlers.callback import CallbackData, Press
from handlers.common import answer_button, buttons, reply, requires
from handlers.context import SigapContext
from handlers.routes import Button, Command, Route
from handlers.settle import settle
from models import schedule
from texts.format import format_date

TIME_CHOICES = ("13:00", "14:00", "15:00", "16:00")
# Under the scheduler's reminders (``services.buttons``): ``rem:log:<day>``,
# ``rem:snooze:<day>``. Reminders sent before the day travelled with the button carry none; their
# day is the day the message was sent.
BUTTONS = CallbackData("rem", {"log": "d?", "snooze": "d?"})
# /pengingat's choices: ``remt:<hh:mm>`` or ``remt:default``.
TIMES = CallbackData("remt", "s")


def _reminder_day(update: Update, context: SigapContext, press: Press) -> date | None:
    if press.day is not None:
        return press.day
    message = update.callback_query.message if update.callback_query else None
    if message is None:
        return None
    return message.date.astimezone(context.services.timezone).date()


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def reminder_button(update: Update, context: SigapContext) -> None:
    """Both buttons act on the reminder's own day: "not today" pressed on Thursday's reminder
    on Monday must not silence Monday."""
    query = update.callback_query
    assert query is not None
    employee_id = context.actor.employee_id
    assert employee_id is not None
    tr = context.texts
    press = BUTTONS.unpack(query.data)
    day = _reminder_day(update, context, press) if press is not None else None
    if press is None or day is None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    services = context.services
    today = services.today()
    shown = format_date(day, tr.language)
    if press.verb == "log":
        await answer_button(update)
        if day == today:
            await settle(update, context)
            context.args = []
            await worklog.lapor_command(update, context)
        elif today - timedelta(days=worklog.BACKDATE_WINDOW_DAYS) <= day < today:
            # Still within the days one may log late: log for the reminder's day.
            await settle(update, context)
            data = {"work_date": day.isoformat(), "source": "guided", "evidence": []}
            await worklog.LOG_FLOW.start(update, context, data)
        else:
            await settle(update, context, "")
            await reply(update, context, tr.t("reminder.log_passed", date=shown))
        return
    if day != today:
        await answer_button(update)
        await settle(update, context, "")
        await reply(update, context, tr.t("reminder.snooze_passed", date=shown))
        return
    await schedule.snooze_today(services.db, employee_id, today, services.clock.now())
    await answer_button(update, tr.plain("reminder.snoozed"))
    await settle(update, context)
    await reply(update, context, tr.t("reminder.snoozed"))


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def reminder_command(update: Update, context: SigapContext) -> None:
    employee_id = context.actor.employee_id
    assert employee_id is not None
    tr = context.texts
    current = await schedule.reminder_time(context.services.db, employee_id)
    settings = context.services.settings
    shown = current or settings.reminder_times.replace(",", ", ")
    rows = [
        [(t, TIMES.pack(t)) for t in TIME_CHOICES],
        [(tr.plain("reminder.button_default"), TIMES.pack("default"))],
    ]
    await reply(update, context, tr.t("reminder.current", times=shown), buttons(rows))


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def reminder_time_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    employee_id = context.actor.employee_id
    assert employee_id is not None
    press = TIMES.unpack(query.data)
    value = press.text if press is not None else None
    tr = context.texts
    if value is None or (value != "default" and value not in TIME_CHOICES):
        await answer_button(update, tr.plain("common.stale_button"))
        return
    services = context.services
    await schedule.set_reminder_time(
        services.db, employee_id, None if value == "default" else value, services.clock.now()
    )
    await answer_button(update)
    await settle(update, context)
    shown = services.settings.reminder_times.replace(",", ", ") if value == "default" else value
    await reply(update, context, tr.t("reminder.time_set", times=shown))


ROUTES: list[Route] = [
    Command(
        "pengingat",
        reminder_command,
        "commands.reminder",
        (Audience.EMPLOYEE,),
        english="reminder",
    ),
    Button(BUTTONS, reminder_button),
    Button(TIMES, reminder_time_button),
]
