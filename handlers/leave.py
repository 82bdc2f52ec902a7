"""/izin: record leave or duty away (cuti, sakit, izin, dinas luar, tugas belajar) for a range of
days, which then are not expected working days for reminders and digests.

kind → first day → last day → note (optional) → confirm.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from telegram import Update

from domain.access import Action, Audience
from domain.calendar import LEAVE_KINDS
from domain.worklog import ParseProblem, parse_date
from handlers.common import requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.routes import Command, Key, Route
from handlers.worklog import problem_text
from models import activities
from texts.format import format_date

MAX_PAST_DAYS = 30  # sick leave is often reported after the fact, but not months later
MAX_LENGTH_DAYS = 366
NOTE_MAX = 500


async def _ask_kind(call: FlowCall) -> None:
    tr = call.texts
    labels = [(tr.plain(f"leave.{kind}"), kind) for kind in LEAVE_KINDS]
    await call.say(tr.t("leave.ask_kind"), [labels[i : i + 2] for i in range(0, len(labels), 2)])


async def _kind_chosen(call: FlowCall, value: str) -> None:
    if value in LEAVE_KINDS:
        await call.goto("start", call.data | {"kind": value})


async def _ask_start(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("leave.ask_start"),
        [[(tr.plain("log.button_today"), "0"), (tr.plain("leave.button_tomorrow"), "1")]],
    )


def _check_day(day: date, today: date) -> str | None:
    if day < today - timedelta(days=MAX_PAST_DAYS):
        return "leave.too_old"
    return None


async def _start_from(call: FlowCall, day: date) -> None:
    today = call.context.services.today()
    problem = _check_day(day, today)
    if problem:
        await call.say(call.texts.t(problem, days=MAX_PAST_DAYS))
        return
    await call.goto("end", call.data | {"start": day.isoformat()})


async def _got_start(call: FlowCall, text: str) -> None:
    parsed = parse_date(text, call.context.services.today())
    if isinstance(parsed, ParseProblem):
        await call.say(problem_text(parsed, call.texts))
        return
    await _start_from(call, parsed)


async def _start_button(call: FlowCall, value: str) -> None:
    if value in {"0", "1"}:
        await _start_from(call, call.context.services.today() + timedelta(days=int(value)))


async def _ask_end(call: FlowCall) -> None:
    tr = call.texts
    start = date.fromisoformat(call.data["start"])
    await call.say(
        tr.t("leave.ask_end", start=format_date(start, tr.language)),
        [[(tr.plain("leave.button_same_day"), "same")]],
    )


async def _end_from(call: FlowCall, day: date) -> None:
    start = date.fromisoformat(call.data["start"])
    if day < start:
        await call.say(call.texts.t("leave.end_before_start"))
        return
    if (day - start).days >= MAX_LENGTH_DAYS:
        await call.say(call.texts.t("leave.too_long", days=MAX_LENGTH_DAYS))
        return
    await call.goto("note", call.data | {"end": day.isoformat()})


async def _got_end(call: FlowCall, text: str) -> None:
    parsed = parse_date(text, date.fromisoformat(call.data["start"]))
    if isinstance(parsed, ParseProblem):
        await call.say(problem_text(parsed, call.texts))
        return
    await _end_from(call, parsed)


async def _end_button(call: FlowCall, value: str) -> None:
    if value == "same":
        await _end_from(call, date.fromisoformat(call.data["start"]))


async def _ask_note(call: FlowCall) -> None:
    tr = call.texts
    await call.say(tr.t("leave.ask_note"), [[(tr.plain("log.button_skip"), "skip")]])


async def _got_note(call: FlowCall, text: str) -> None:
    note = " ".join(text.split())
    if len(note) > NOTE_MAX:
        await call.say(call.texts.t("common.too_long", length=len(note), limit=NOTE_MAX))
        return
    await call.goto("confirm", call.data | {"note": note or None})


async def _note_button(call: FlowCall, value: str) -> None:
    if value == "skip":
        await call.goto("confirm", call.data | {"note": None})


def _period(data: dict[str, Any], language: str) -> str:
    start, end = date.fromisoformat(data["start"]), date.fromisoformat(data["end"])
    if start == end:
        return format_date(start, language)
    return f"{format_date(start, language)} – {format_date(end, language)}"


async def _ask_confirm(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    await call.say(
        tr.t(
            "leave.confirm",
            kind=tr.plain(f"leave.{data['kind']}"),
            period=_period(data, tr.language),
            note=data.get("note") or "—",
        ),
        [[(tr.plain("log.button_save"), "save"), (tr.plain("log.button_cancel"), "cancel")]],
    )


async def _confirmed(call: FlowCall, value: str) -> None:
    tr, data, context = call.texts, call.data, call.context
    if value == "cancel":
        await call.finish()
        await call.say(tr.t("common.cancelled"))
        return
    if value != "save":
        return
    employee_id = context.actor.employee_id
    assert employee_id is not None
    start, end = date.fromisoformat(data["start"]), date.fromisoformat(data["end"])
    overlapping = await activities.leaves_between(context.services.db, employee_id, start, end)
    if overlapping:
        await call.finish()
        other = overlapping[0]
        await call.say(
            tr.t(
                "leave.overlaps",
                kind=tr.plain(f"leave.{other.kind}"),
                period=_period(
                    {"start": other.start.isoformat(), "end": other.end.isoformat()}, tr.language
                ),
            )
        )
        return
    conv = call.conversation
    try:
        await activities.add_leave(
            context.services.db,
            employee_id,
            data["kind"],
            start,
            end,
            data.get("note"),
            actor=f"tg:{context.actor.telegram_id}",
            now=context.services.clock.now(),
            conversation=(conv.chat_id, conv.user_id, conv.version),
        )
    except activities.AlreadySaved:
        return
    context.forget_conversation(None)
    calendar = await activities.work_calendar(context.services.db)
    working = len(calendar.working_days(start, end))
    await call.say(
        tr.t(
            "leave.saved",
            kind=tr.plain(f"leave.{data['kind']}"),
            period=_period(data, tr.language),
            working=working,
        )
    )


LEAVE_FLOW = register(
    Flow(
        "leave",
        "kind",
        {
            "kind": Step(prompt=_ask_kind, on_button=_kind_chosen),
            "start": Step(prompt=_ask_start, on_text=_got_start, on_button=_start_button),
            "end": Step(prompt=_ask_end, on_text=_got_end, on_button=_end_button),
            "note": Step(prompt=_ask_note, on_text=_got_note, on_button=_note_button),
            "confirm": Step(prompt=_ask_confirm, on_button=_confirmed),
        },
    )
)


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def leave_command(update: Update, context: SigapContext) -> None:
    await LEAVE_FLOW.start(update, context, {})


ROUTES: list[Route] = [
    Command("izin", leave_command, "commands.leave", (Audience.EMPLOYEE,), english="leave"),
    Key("leave", leave_command),
]
