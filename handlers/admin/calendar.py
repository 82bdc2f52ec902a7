"""/libur and the unit schedules of the admin's desk.

/libur lists the weekdays off of the coming twelve months: national holidays and cuti bersama
(from the ``holidays`` package) for context, and the office's own days off, which can be added
and removed here (``sigap calendar`` does the same on the server). A unit's reminder times
and digest day are set per unit (``sigap units schedule``).
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from telegram import Update

from domain.access import AdminScope, AdminTask, admin_refusal
from domain.dates import normalise_times
from domain.worklog import ParseProblem, parse_date
from handlers.admin.guard import ADMIN, refuse, requires_admin, unpack
from handlers.common import answer_button, buttons, reply
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.worklog import problem_text
from models.activities import remove_calendar_override, set_calendar_override, work_calendar
from models.audit import telegram_actor
from models.schedule import UnitTiming, set_unit_schedule, unit_timings
from texts import Html, Texts
from texts.format import format_date

DAYS_AHEAD = 365
MAX_NAME = 120


def _today(context: SigapContext) -> date:
    services = context.services
    return services.clock.now().astimezone(services.timezone).date()


async def _show_days_off(update: Update, context: SigapContext) -> None:
    tr = context.texts
    calendar = await work_calendar(context.services.db)
    today = _today(context)
    national: list[str] = []
    office: list[str] = []
    remove: list[tuple[str, str]] = []
    for offset in range(DAYS_AHEAD):
        day = today + timedelta(days=offset)
        override = calendar.overrides.get(day)
        shown = format_date(day, tr.language)
        if override is not None:
            kind = "office_day_off" if override.kind == "holiday" else "office_workday"
            office.append(tr.plain(f"admin_calendar.{kind}", day=shown, name=override.name))
            remove.append((f"➖ {day:%d/%m/%Y}", ADMIN.pack("holrm", day)))
        elif day.weekday() < 5 and (reason := calendar.day_off_reason(day, tr.language)):
            national.append(tr.plain("admin_calendar.national", day=shown, name=reason))
    text = tr.t(
        "admin_calendar.view",
        national=Html(_lines(national, tr)),
        office=Html(_lines(office, tr)),
    )
    rows = [[(tr.plain("admin_calendar.button_add"), ADMIN.pack("holadd"))]]
    rows += [remove[i : i + 2] for i in range(0, len(remove), 2)]
    await reply(update, context, text, buttons(rows))


def _lines(lines: list[str], tr: Texts) -> str:
    """The lines as safe HTML (a day's name is what an admin typed)."""
    return "\n".join(f"• {escape(line)}" for line in lines) or tr.plain("admin_calendar.none")


@requires_admin(AdminTask.HOLIDAYS)
async def days_off_command(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    await _show_days_off(update, context)


async def _ask_day(call: FlowCall) -> None:
    await call.say(call.texts.t("admin_calendar.ask_day"))


async def _got_day(call: FlowCall, text: str) -> None:
    parsed = parse_date(text, _today(call.context))
    if isinstance(parsed, ParseProblem):
        await call.say(problem_text(parsed, call.texts))
        return
    await call.goto("name", {"day": parsed.isoformat()})


async def _ask_name(call: FlowCall) -> None:
    day = date.fromisoformat(call.data["day"])
    await call.say(
        call.texts.t("admin_calendar.ask_name", day=format_date(day, call.texts.language))
    )


async def _got_name(call: FlowCall, text: str) -> None:
    tr, services = call.texts, call.context.services
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME:
        await call.say(tr.t("admin_calendar.name_length", max=MAX_NAME))
        return
    day = date.fromisoformat(call.data["day"])
    await call.finish()
    await set_calendar_override(
        services.db,
        day,
        "holiday",
        name,
        actor=telegram_actor(call.context.actor.telegram_id),
        now=services.clock.now(),
    )
    await call.say(tr.t("admin_calendar.added", day=format_date(day, tr.language), name=name))
    await _show_days_off(call.update, call.context)


DAY_OFF_FLOW = register(
    Flow(
        "admin_day_off",
        "day",
        {
            "day": Step(prompt=_ask_day, on_text=_got_day),
            "name": Step(prompt=_ask_name, on_text=_got_name),
        },
    )
)


@requires_admin(AdminTask.HOLIDAYS)
async def add_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    await DAY_OFF_FLOW.start(update, context)


@requires_admin(AdminTask.HOLIDAYS)
async def remove_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    press = unpack(update)
    if press is None or press.day is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    await answer_button(update)
    services, tr = context.services, context.texts
    removed = await remove_calendar_override(
        services.db,
        press.day,
        actor=telegram_actor(context.actor.telegram_id),
        now=services.clock.now(),
    )
    key = "admin_calendar.removed" if removed else "admin_calendar.not_found"
    await reply(update, context, tr.t(key, day=format_date(press.day, tr.language)))
    if removed:
        await _show_days_off(update, context)


# --- unit schedules ---------------------------------------------------------------------------


def _timing_text(unit: UnitTiming, tr: Texts, default_times: str) -> str:
    times = unit.reminder_times or tr.plain("admin_schedule.default_times", times=default_times)
    return tr.plain(
        "admin_schedule.line",
        code=unit.code,
        name=unit.name,
        times=times,
        digest=tr.plain(f"admin_schedule.digest_{unit.digest_mode}"),
    )


@requires_admin(AdminTask.SCHEDULE)
async def schedule_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    tr, services = context.texts, context.services
    units = [u for u in await unit_timings(services.db) if scope.covers(u.unit_id)]
    default = services.settings.reminder_times
    lines = "\n".join(f"• {escape(_timing_text(u, tr, default))}" for u in units)
    rows = [(f"⏰ {u.code}", ADMIN.pack("unit", u.unit_id)) for u in units]
    await reply(
        update,
        context,
        tr.t("admin_schedule.view") + "\n" + lines,
        buttons([rows[i : i + 3] for i in range(0, len(rows), 3)]),
    )


async def _ask_schedule(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("admin_schedule.ask", code=call.data["code"], current=call.data["current"]),
        [
            [
                (tr.plain("admin_schedule.button_monday"), "monday"),
                (tr.plain("admin_schedule.button_friday"), "friday"),
            ],
            [(tr.plain("admin_schedule.button_default"), "default")],
        ],
    )


async def _save_schedule(call: FlowCall, **change: object) -> None:
    services, tr = call.context.services, call.texts
    if admin_refusal(call.context.actor, AdminTask.SCHEDULE, call.data["unit_id"]):
        await call.finish()
        await refuse(call.update, call.context)
        return
    await call.finish()
    unit = await set_unit_schedule(
        services.db,
        call.data["code"],
        now=services.clock.now(),
        actor=telegram_actor(call.context.actor.telegram_id),
        **change,  # type: ignore[arg-type]
    )
    text = _timing_text(unit, tr, services.settings.reminder_times)
    await call.say(tr.t("admin_schedule.saved", schedule=text))


async def _got_times(call: FlowCall, text: str) -> None:
    try:
        times = normalise_times(text)
    except ValueError:
        await call.say(call.texts.t("admin_schedule.bad_times", text=text.strip()[:40]))
        return
    await _save_schedule(call, reminder_times=times)


async def _got_choice(call: FlowCall, value: str) -> None:
    if value in ("monday", "friday"):
        await _save_schedule(call, digest_mode=value)
    elif value == "default":
        await _save_schedule(call, reminder_times=None)


SCHEDULE_FLOW = register(
    Flow(
        "admin_schedule",
        "edit",
        {"edit": Step(prompt=_ask_schedule, on_text=_got_times, on_button=_got_choice)},
    )
)


@requires_admin(AdminTask.SCHEDULE)
async def unit_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    press = unpack(update)
    services, tr = context.services, context.texts
    units = {u.unit_id: u for u in await unit_timings(services.db)}
    unit = units.get(press.numbers[0]) if press is not None and press.numbers else None
    if unit is None or admin_refusal(context.actor, AdminTask.SCHEDULE, unit.unit_id):
        await refuse(update, context)
        return
    await answer_button(update)
    current = _timing_text(unit, tr, services.settings.reminder_times)
    data = {"unit_id": unit.unit_id, "code": unit.code, "current": current}
    await SCHEDULE_FLOW.start(update, context, data)
