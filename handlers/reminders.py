"""What employees do with reminders: log now, snooze for today, choose their time (/pengingat)."""

from __future__ import annotations

from telegram import Update

from bot.services import SigapContext
from domain.access import Action
from handlers import worklog
from handlers.common import answer_button, buttons, reply, requires
from models import schedule

TIME_CHOICES = ("13:00", "14:00", "15:00", "16:00")


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def reminder_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    employee_id = context.actor.employee_id
    assert employee_id is not None
    tr = context.texts
    if query.data == "rem:log":
        await answer_button(update)
        context.args = []
        await worklog.lapor_command(update, context)
    elif query.data == "rem:snooze":
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
        [(t, f"remt:{t}") for t in TIME_CHOICES],
        [(tr.plain("reminder.button_default"), "remt:default")],
    ]
    await reply(update, context, tr.t("reminder.current", times=shown), buttons(rows))


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def reminder_time_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    employee_id = context.actor.employee_id
    assert employee_id is not None
    value = (query.data or "").removeprefix("remt:")
    tr = context.texts
    if value != "default" and value not in TIME_CHOICES:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    services = context.services
    await schedule.set_reminder_time(
        services.db, employee_id, None if value == "default" else value, services.clock.now()
    )
    await answer_button(update)
    shown = services.settings.reminder_times.replace(",", ", ") if value == "default" else value
    await reply(update, context, tr.t("reminder.time_set", times=shown))
