"""What employees do with reminders: log now, snooze for today, choose their time (/pengingat)."""

from __future__ import annotations

from telegram import Update

from domain.access import Action, Audience
from handlers import worklog
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, reply, requires
from handlers.context import SigapContext
from handlers.routes import Button, Command, Route
from models import schedule

TIME_CHOICES = ("13:00", "14:00", "15:00", "16:00")
# Under the scheduler's reminders (``services.buttons``): ``rem:log``, ``rem:snooze``.
BUTTONS = CallbackData("rem", {"log": "", "snooze": ""})
# /pengingat's choices: ``remt:<hh:mm>`` or ``remt:default``.
TIMES = CallbackData("remt", "s")


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def reminder_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    employee_id = context.actor.employee_id
    assert employee_id is not None
    tr = context.texts
    press = BUTTONS.unpack(query.data)
    if press is not None and press.verb == "log":
        await answer_button(update)
        context.args = []
        await worklog.lapor_command(update, context)
    elif press is not None and press.verb == "snooze":
        services = context.services
        await schedule.snooze_today(
            services.db, employee_id, context.services.today(), services.clock.now()
        )
        await answer_button(update, tr.plain("reminder.snoozed"))
        await reply(update, context, tr.t("reminder.snoozed"))
    else:
        await answer_button(update, tr.plain("common.stale_button"))


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
