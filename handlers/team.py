"""/tim: the supervisor's team today (logged, on leave, silent) with a personal nudge for the
silent; one person's last four weeks with their SKP progress and feedback notes ("catatan
kinerja"), which the supervisor writes as their next message. /catatan: an employee reads the
notes written to them.

Buttons (``tim:`` + …): ``open``, ``pg:<page>``, ``p:<employee>`` (person view),
``n:<employee>`` (nudge), ``note:<employee>`` (write a note).
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from domain.access import Action, Audience
from domain.approvals import (
    FEEDBACK_LIMIT,
    PEOPLE_PER_PAGE,
    DayFigures,
    chunks,
    clip,
    first_day,
    last_weeks,
    paginate,
)
from handlers import reminders
from handlers.approvals import OPEN, cancel_note, note_refused, show
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, reply, requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.myday import _target_lines
from handlers.routes import Button, Command, Route
from handlers.settle import settle_one
from models import activities, approvals
from models.outbox import text_payload
from models.roster import get_employee
from models.supervision import reports_of
from texts import Texts, texts
from texts.format import duration, format_date, format_datetime, short_date

BUTTONS = CallbackData("tim", {"open": "", "pg": "n", "p": "n", "n": "n", "note": "n"})
NOTES_SHOWN = 3  # in the person view; /catatan shows more
NOTES_FOR_EMPLOYEE = 10


def _indirect(context: SigapContext) -> bool:
    return context.services.settings.supervise_indirect_reports


# --- team today ----------------------------------------------------------------------------


@requires(Action.SUPERVISE, private=True)
async def team_command(update: Update, context: SigapContext) -> None:
    await _team(update, context, 0)


async def _team(update: Update, context: SigapContext, page_number: int) -> None:
    tr, db, services = context.texts, context.services.db, context.services
    supervisor_id = context.actor.employee_id
    assert supervisor_id is not None
    async with db.read() as session:
        reports = await reports_of(session, supervisor_id, indirect=_indirect(context))
    if not reports:
        await show(update, context, tr.t("team.no_reports"), None)
        return
    today = services.today()
    ids = [e.id for e in reports if e.id is not None]
    calendar = await activities.work_calendar(db)
    working = calendar.is_working_day(today)
    logged = await approvals.logged_on(db, ids, today)
    leaves = await approvals.leave_kinds_on(db, ids, today)
    reachable = await approvals.linked(db, ids)

    lines = [tr.t("team.title", date=format_date(today, tr.language))]
    if not working:
        lines.append(tr.t("team.day_off", reason=calendar.day_off_reason(today, tr.language) or ""))
    silent = [i for i in ids if i not in logged and i not in leaves]
    lines.append(
        tr.t(
            "team.summary",
            logged=len(logged),
            leave=len([i for i in ids if i in leaves and i not in logged]),
            silent=len(silent) if working else 0,
            total=len(ids),
        )
    )
    page = paginate(reports, page_number, PEOPLE_PER_PAGE)
    rows: list[list[tuple[str, str]]] = []
    for person in page.items:
        assert person.id is not None
        name = person.name
        unlinked = "" if person.id in reachable else tr.t("team.not_linked")
        row = [(tr.plain("team.button_person", name=clip(name, 30)), BUTTONS.pack("p", person.id))]
        if person.id in logged:
            count, minutes = logged[person.id]
            line = tr.t(
                "team.logged", name=name, count=count, duration=duration(minutes, tr.language)
            )
        elif person.id in leaves:
            line = tr.t("team.on_leave", name=name, kind=tr.plain(f"leave.{leaves[person.id]}"))
        elif not working:
            line = tr.t("team.day_off_person", name=name)
        else:
            line = tr.t("team.silent", name=name)
            if person.id in reachable:
                row.append((tr.plain("team.button_nudge"), BUTTONS.pack("n", person.id)))
        lines.append(line + unlinked)
        rows.append(row)
    waiting = sum(p.entries for p in await approvals.waiting_by_person(db, ids))
    if waiting:
        rows.append([(tr.plain("team.button_approvals", count=waiting), OPEN)])
    nav = []
    if page.has_previous:
        nav.append((tr.plain("approvals.button_previous"), BUTTONS.pack("pg", page.number - 1)))
    if page.has_next:
        nav.append((tr.plain("approvals.button_next"), BUTTONS.pack("pg", page.number + 1)))
    if nav:
        rows.append(nav)
        lines.append(tr.t("approvals.page", page=page.number + 1, pages=page.count))
    await show(update, context, "\n".join(lines), buttons(rows))


# --- buttons -------------------------------------------------------------------------------


@requires(Action.SUPERVISE, private=True)
async def team_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.texts
    press = BUTTONS.unpack(query.data)
    if press is None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    if press.verb in ("open", "pg"):
        await answer_button(update)
        await _team(update, context, press.numbers[0] if press.numbers else 0)
        return
    employee_id = press.numbers[0]
    if not await approvals.in_reach(
        context.services.db, context.actor, employee_id, indirect=_indirect(context)
    ):
        await answer_button(update, tr.plain("team.not_found"), alert=True)
        return
    if press.verb == "p":
        await answer_button(update)
        await _person(update, context, employee_id)
    elif press.verb == "n":
        await _nudge(update, context, employee_id)
    else:
        await answer_button(update)
        person = await get_employee(context.services.db, employee_id)
        await NOTE_FLOW.start(
            update, context, {"employee_id": employee_id, "name": person.name if person else ""}
        )


async def _nudge(update: Update, context: SigapContext, employee_id: int) -> None:
    tr, services = context.texts, context.services
    person = await get_employee(services.db, employee_id)
    name = person.name if person else ""
    today = services.today()
    supervisor = context.actor.employee_name or ""

    def payload(language: str | None) -> dict[str, Any]:
        their = texts(language or services.settings.default_language)
        text = their.t(
            "team.nudge_text",
            name=name,
            supervisor=supervisor,
            date=format_date(today, their.language),
        )
        markup = buttons(
            [[(their.plain("reminder.button_log"), reminders.BUTTONS.pack("log", today))]]
        ).to_dict()
        return text_payload(text, reply_markup=markup)

    try:
        outcome = await approvals.nudge(
            services.db,
            context.actor,
            employee_id,
            today,
            now=services.clock.now(),
            indirect=_indirect(context),
            notify=payload,
        )
    except approvals.NotInReach:
        await answer_button(update, tr.plain("team.not_found"), alert=True)
        return
    await answer_button(update, tr.plain(f"team.nudge_{outcome.value}", name=name), alert=True)
    await settle_one(update, context)  # one nudge a day: that person's button has done its work


# --- one person ----------------------------------------------------------------------------


def _week_line(week: Any, tr: Texts) -> str:
    leave = tr.t("team.week_leave", days=week.leave_days) if week.leave_days else ""
    return tr.t(
        "team.week",
        start=short_date(week.start, tr.language),
        end=short_date(week.end, tr.language),
        logged=week.logged,
        expected=week.expected,
        duration=duration(week.minutes, tr.language),
        approved=week.approved,
        waiting=week.waiting,
        revision=week.revision,
        rejected=week.rejected,
        leave=leave,
    )


async def _person(update: Update, context: SigapContext, employee_id: int) -> None:
    tr, services = context.texts, context.services
    db = services.db
    person = await get_employee(db, employee_id)
    assert person is not None
    today = services.today()
    start = first_day(today)
    calendar = await activities.work_calendar(db)
    summaries = await activities.day_summaries(db, employee_id, start, today)
    days = {d: DayFigures(s.entries, s.minutes, dict(s.by_status)) for d, s in summaries.items()}
    leaves = await activities.employee_leaves(db, employee_id, start, today)
    weeks = last_weeks(today, days, calendar, leaves)

    blocks = [tr.t("team.person_title", name=person.name, position=person.position or "-")]
    blocks.extend(_week_line(week, tr) for week in weeks)
    blocks.append("")
    blocks.extend(await _target_lines(context, employee_id, today.year, tr))
    blocks.append("")
    notes = await approvals.feedback_notes(db, employee_id, NOTES_SHOWN)
    blocks.append(tr.t("team.notes_title"))
    if not notes:
        blocks.append(tr.t("team.notes_none"))
    for note in notes:
        blocks.append(
            tr.t(
                "team.note_line",
                date=_note_date(note.created_at, context, tr),
                supervisor=note.supervisor or "-",
                text=clip(note.text, 300),
            )
        )
    markup = buttons(
        [
            [(tr.plain("team.button_note"), BUTTONS.pack("note", employee_id))],
            [(tr.plain("team.button_back"), BUTTONS.pack("open"))],
        ]
    )
    messages = chunks(blocks)
    for text in messages[:-1]:
        await reply(update, context, text)
    await reply(update, context, messages[-1], markup)


def _note_date(moment: Any, context: SigapContext, tr: Texts) -> str:
    return format_datetime(moment, context.services.timezone, tr.language)


# --- writing a feedback note ---------------------------------------------------------------


async def _ask_note(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("team.ask_note", name=call.data["name"], limit=FEEDBACK_LIMIT),
        [[(tr.plain("approvals.button_cancel"), "cancel")]],
    )


async def _got_note(call: FlowCall, text: str) -> None:
    tr, context = call.texts, call.context
    services = context.services
    note = text.strip()
    if await note_refused(call, note, FEEDBACK_LIMIT):
        return
    data = call.data
    supervisor = context.actor.employee_name or ""
    now = services.clock.now()

    def payload(language: str | None) -> dict[str, Any]:
        their = texts(language or services.settings.default_language)
        return text_payload(
            their.t(
                "team.note_notify",
                supervisor=supervisor,
                date=format_datetime(now, services.timezone, their.language),
                text=note,
            )
        )

    await call.finish()
    try:
        await approvals.add_feedback(
            services.db,
            context.actor,
            int(data["employee_id"]),
            note,
            now=now,
            indirect=_indirect(context),
            notify=payload,
        )
    except approvals.NotInReach:
        await call.say(tr.t("team.not_found"))
        return
    await call.say(tr.t("team.note_saved", name=data["name"]))


NOTE_FLOW = register(
    Flow(
        "feedback_note",
        "text",
        {"text": Step(prompt=_ask_note, on_text=_got_note, on_button=cancel_note)},
    )
)


# --- the employee's side -------------------------------------------------------------------


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def feedback_command(update: Update, context: SigapContext) -> None:
    tr = context.texts
    employee_id = context.actor.employee_id
    assert employee_id is not None
    notes = await approvals.feedback_notes(context.services.db, employee_id, NOTES_FOR_EMPLOYEE)
    if not notes:
        await reply(update, context, tr.t("feedback.none"))
        return
    blocks = [tr.t("feedback.title")]
    for note in notes:
        blocks.append(
            tr.t(
                "feedback.line",
                date=_note_date(note.created_at, context, tr),
                supervisor=note.supervisor or "-",
                text=note.text,
            )
        )
    for text in chunks(blocks, separator="\n\n"):
        await reply(update, context, text)


ROUTES: list[Route] = [
    Command("tim", team_command, "commands.team", (Audience.SUPERVISOR,), english="team"),
    Command(
        "catatan", feedback_command, "commands.feedback", (Audience.EMPLOYEE,), english="feedback"
    ),
    Button(BUTTONS, team_button),
]
