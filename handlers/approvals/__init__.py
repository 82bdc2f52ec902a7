"""/persetujuan: a supervisor approves their reports' entries.

People with waiting entries (ten a page) → one person's days → one person-day (six entries a
message) with Setujui / Minta revisi / Tolak / bukti per entry and "Setujui semua" with a
confirmation. A revision note or a rejection reason is the supervisor's next message (a
one-step flow). Every decision goes through ``models.approvals``, which checks the supervisor's
reach and notifies the employee in the same transaction.

Buttons (``apv:`` + …): ``open``, ``ppl:<page>``, ``emp:<employee>``,
``day:<employee>:<yyyymmdd>:<page>``, ``ok|rev|rej|ev:<activity>``,
``all|allok:<employee>:<yyyymmdd>:<last activity id>``, ``no``. ``apv:open`` is what the
scheduler's supervisor nudge carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from babel.dates import format_date as babel_date
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from domain.access import Action, Audience
from domain.approvals import (
    ENTRIES_PER_PAGE,
    NOTE_LIMIT,
    PEOPLE_PER_PAGE,
    VERBS,
    Decision,
    clip,
    paginate,
)
from domain.dates import format_date
from domain.files import stored_relative
from handlers import myday
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, reply, requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.routes import Button, Command, Route
from handlers.worklog import format_minutes
from models import activities, approvals
from models.outbox import text_payload
from models.roster import get_employee
from models.supervision import reports_of
from models.tables import Activity
from services.buttons import OPEN_APPROVALS
from texts import Texts, escape, texts

BUTTONS = CallbackData(
    "apv",
    {
        "open": "",
        "ppl": "n",
        "emp": "n",
        "day": "ndn",
        "ok": "n",
        "rev": "n",
        "rej": "n",
        "ev": "n",
        "all": "ndn",
        "allok": "ndn",
    },
)
# Opens the list in a new message: for buttons on other messages (the scheduler's 16:00 nudge).
OPEN = OPEN_APPROVALS
BACK = BUTTONS.pack("ppl", 0)  # back to the list from within it: replaces the message


def _indirect(context: SigapContext) -> bool:
    return context.services.settings.supervise_indirect_reports


def _short_day(day: date, tr: Texts) -> str:
    return babel_date(day, "EEE d/M", locale=tr.language)


async def show(
    update: Update, context: SigapContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the message whose button was pressed (a list stays one message as the
    supervisor walks through it); a command gets a new message."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in exc.message:
                return
    await reply(update, context, text, markup)


# --- the list of people --------------------------------------------------------------------


@requires(Action.SUPERVISE, private=True)
async def approvals_command(update: Update, context: SigapContext) -> None:
    await _people(update, context, 0)


async def _people(
    update: Update, context: SigapContext, page_number: int, *, new_message: bool = False
) -> None:
    tr, db = context.texts, context.services.db
    supervisor_id = context.actor.employee_id
    assert supervisor_id is not None
    async with db.read() as session:
        reports = await reports_of(session, supervisor_id, indirect=_indirect(context))
    names = {e.id: e.name for e in reports if e.id is not None}
    waiting = await approvals.waiting_by_person(db, list(names))
    if not waiting:
        await _out(update, context, tr.t("approvals.empty"), None, new_message)
        return
    page = paginate(waiting, page_number, PEOPLE_PER_PAGE)
    lines = [
        tr.t(
            "approvals.overview",
            entries=sum(p.entries for p in waiting),
            people=len(waiting),
        )
    ]
    rows: list[list[tuple[str, str]]] = []
    for person in page.items:
        name = names[person.employee_id]
        lines.append(
            tr.t(
                "approvals.person_line",
                name=name,
                entries=person.entries,
                days=person.days,
                oldest=_short_day(person.oldest, tr),
            )
        )
        rows.append(
            [
                (
                    tr.plain("approvals.button_person", name=clip(name, 40), count=person.entries),
                    BUTTONS.pack("emp", person.employee_id),
                )
            ]
        )
    rows.extend(_nav(tr, page, lambda n: BUTTONS.pack("ppl", n)))
    if page.count > 1:
        lines.append(tr.t("approvals.page", page=page.number + 1, pages=page.count))
    await _out(update, context, "\n".join(lines), buttons(rows), new_message)


async def _out(
    update: Update,
    context: SigapContext,
    text: str,
    markup: InlineKeyboardMarkup | None,
    new_message: bool,
) -> None:
    if new_message:
        await reply(update, context, text, markup)
    else:
        await show(update, context, text, markup)


def _nav(tr: Texts, page: Any, data: Any) -> list[list[tuple[str, str]]]:
    row = []
    if page.has_previous:
        row.append((tr.plain("approvals.button_previous"), data(page.number - 1)))
    if page.has_next:
        row.append((tr.plain("approvals.button_next"), data(page.number + 1)))
    return [row] if row else []


async def _person(update: Update, context: SigapContext, employee_id: int) -> None:
    tr, db = context.texts, context.services.db
    person = await get_employee(db, employee_id)
    assert person is not None
    days = await approvals.waiting_days(db, employee_id)
    if len(days) == 1:
        await _day(update, context, employee_id, days[0][0], 0)
        return
    if not days:
        await show(
            update,
            context,
            tr.t("approvals.person_done", name=person.name),
            buttons([[(tr.plain("approvals.button_back"), BACK)]]),
        )
        return
    shown = days[:24]  # the oldest first; the rest appear as these are decided
    rows = [
        [
            (
                tr.plain("approvals.button_day", day=_short_day(d, tr), count=n),
                _day_data(employee_id, d),
            )
        ]
        for d, n in shown
    ]
    rows.append([(tr.plain("approvals.button_back"), BACK)])
    text = tr.t(
        "approvals.days_title", name=person.name, entries=sum(n for _, n in days), days=len(days)
    )
    await show(update, context, text, buttons(rows))


def _day_data(employee_id: int, day: date, page: int = 0) -> str:
    return BUTTONS.pack("day", employee_id, day, page)


# --- one person-day ------------------------------------------------------------------------


def _entry_text(n: int, entry: approvals.WaitingEntry, tr: Texts) -> str:
    activity = entry.activity
    output = (
        f"{activity.quantity} {activity.output_unit or ''}".strip()
        if activity.quantity
        else tr.plain("approvals.no_output")
    )
    evidence = (
        tr.plain("approvals.evidence_count", count=entry.evidence)
        if entry.evidence
        else tr.plain("approvals.no_evidence")
    )
    return tr.t(
        "approvals.entry",
        n=n,
        description=clip(activity.description),
        output=output,
        duration=format_minutes(activity.minutes, tr),
        target=clip(entry.target, 80) if entry.target else tr.plain("approvals.no_target"),
        evidence=evidence,
    ) + (tr.t("approvals.late") if activity.late else "")


async def _day(
    update: Update, context: SigapContext, employee_id: int, day: date, page_number: int
) -> None:
    tr, db = context.texts, context.services.db
    person = await get_employee(db, employee_id)
    assert person is not None
    entries = await approvals.waiting_on(db, employee_id, day)
    if not entries:
        await show(
            update,
            context,
            tr.t("approvals.day_done", name=person.name, date=format_date(day, tr.language)),
            buttons([[(tr.plain("approvals.button_back"), BACK)]]),
        )
        return
    page = paginate(entries, page_number, ENTRIES_PER_PAGE)
    first = page.number * ENTRIES_PER_PAGE + 1
    lines = [
        tr.t(
            "approvals.day_title",
            name=person.name,
            date=format_date(day, tr.language),
            count=len(entries),
        )
    ]
    rows: list[list[tuple[str, str]]] = []
    for n, entry in enumerate(page.items, start=first):
        lines.append(_entry_text(n, entry, tr))
        activity_id = entry.activity.id
        row = [
            (tr.plain("approvals.button_approve", n=n), BUTTONS.pack("ok", activity_id)),
            (tr.plain("approvals.button_revise", n=n), BUTTONS.pack("rev", activity_id)),
            (tr.plain("approvals.button_reject", n=n), BUTTONS.pack("rej", activity_id)),
        ]
        if entry.evidence:
            row.append(
                (tr.plain("approvals.button_evidence", n=n), BUTTONS.pack("ev", activity_id))
            )
        rows.append(row)
    lines.append(tr.t("approvals.legend"))
    if page.count > 1:
        lines.append(tr.t("approvals.page", page=page.number + 1, pages=page.count))
    rows.extend(_nav(tr, page, lambda p: _day_data(employee_id, day, p)))
    last_id = max(e.activity.id or 0 for e in entries)
    rows.append(
        [
            (
                tr.plain("approvals.button_approve_all", count=len(entries)),
                BUTTONS.pack("all", employee_id, day, last_id),
            )
        ]
    )
    rows.append([(tr.plain("approvals.button_back"), BACK)])
    await show(update, context, "\n\n".join(lines), buttons(rows))


# --- notifications to the employee ---------------------------------------------------------


def _language(context: SigapContext, language: str | None) -> Texts:
    return texts(language or context.services.settings.default_language)


def _notify_one(context: SigapContext, decision: Decision, note: str | None) -> Any:
    supervisor = context.actor.employee_name or ""

    def payload(activity: Activity, language: str | None) -> dict[str, Any]:
        tr = _language(context, language)
        params = {
            "supervisor": supervisor,
            "date": format_date(activity.work_date, tr.language),
            "description": clip(activity.description, 500),
        }
        markup = None
        if decision is Decision.APPROVED:
            text = tr.t("approvals.notify_approved", **params)
        elif decision is Decision.REVISION:
            text = tr.t("approvals.notify_revision", note=note or "", **params)
            markup = buttons(
                [[(tr.plain("approvals.button_edit"), myday.BUTTONS.pack("edit", activity.id))]]
            ).to_dict()
        else:
            text = tr.t("approvals.notify_rejected", reason=note or "", **params)
        return text_payload(text, reply_markup=markup)

    return payload


def _notify_all(context: SigapContext, day: date) -> Any:
    supervisor = context.actor.employee_name or ""

    def payload(entries: Sequence[Activity], language: str | None) -> dict[str, Any]:
        tr = _language(context, language)
        lines = [
            tr.t(
                "approvals.notify_approved_all",
                count=len(entries),
                date=format_date(day, tr.language),
                supervisor=supervisor,
            )
        ]
        lines.extend(
            f"• {tr.t('approvals.quoted', text=clip(a.description, 200))}" for a in entries[:10]
        )
        return text_payload("\n".join(lines))

    return payload


# --- buttons -------------------------------------------------------------------------------


@requires(Action.SUPERVISE, private=True)
async def approvals_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    press = BUTTONS.unpack(query.data)
    if press is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    verb, numbers, day = press.verb, press.numbers, press.day
    if verb in ("open", "ppl"):
        await answer_button(update)
        await _people(update, context, numbers[0] if numbers else 0, new_message=verb == "open")
    elif verb == "emp":
        if await _reach(update, context, numbers[0]):
            await answer_button(update)
            await _person(update, context, numbers[0])
    elif verb == "day":
        assert day is not None
        if await _reach(update, context, numbers[0]):
            await answer_button(update)
            await _day(update, context, numbers[0], day, numbers[1])
    elif verb in VERBS:
        await _decide_pressed(update, context, numbers[0], VERBS[verb])
    elif verb == "ev":
        await _evidence(update, context, numbers[0])
    elif verb == "all":
        assert day is not None
        await _confirm_all(update, context, numbers[0], day, numbers[1])
    else:
        assert day is not None
        await _approve_all(update, context, numbers[0], day, numbers[1])


async def _reach(update: Update, context: SigapContext, employee_id: int) -> bool:
    if await approvals.in_reach(
        context.services.db, context.actor, employee_id, indirect=_indirect(context)
    ):
        return True
    await answer_button(update, context.texts.plain("approvals.not_found"), alert=True)
    return False


async def _already(update: Update, context: SigapContext, status: str) -> None:
    await answer_button(update, _already_text(context.texts, status), alert=True)


async def _decide_pressed(
    update: Update, context: SigapContext, activity_id: int, decision: Decision
) -> None:
    tr, db = context.texts, context.services.db
    activity = await activities.get_activity(db, activity_id)
    if activity is None:
        await answer_button(update, tr.plain("approvals.not_found"), alert=True)
        return
    if not await approvals.in_reach(
        db, context.actor, activity.employee_id, indirect=_indirect(context)
    ):
        await answer_button(update, tr.plain("approvals.not_found"), alert=True)
        return
    if activity.status != "submitted":
        await _already(update, context, activity.status)
        return
    # The day is shown again after the decision at the page the entry was on, so a supervisor
    # working through page 2 of a long day stays there.
    page = await _page_of(context, activity)
    if decision.needs_note:
        await answer_button(update)
        person = await get_employee(db, activity.employee_id)
        await NOTE_FLOW.start(
            update,
            context,
            {
                "activity_id": activity_id,
                "decision": decision.value,
                "name": person.name if person else "",
                "description": clip(activity.description, 500),
                "page": page,
            },
        )
        return
    decided, refusal = await _decide(context, activity_id, decision, None)
    if decided is None:
        await answer_button(update, refusal, alert=True)
        return
    await answer_button(update, tr.plain("approvals.approved"))
    await _day(update, context, decided.employee_id, decided.work_date, page)


async def _page_of(context: SigapContext, activity: Activity) -> int:
    """The page of its day's waiting list that shows ``activity``."""
    waiting = await approvals.waiting_on(
        context.services.db, activity.employee_id, activity.work_date
    )
    ids = [entry.activity.id for entry in waiting]
    return ids.index(activity.id) // ENTRIES_PER_PAGE if activity.id in ids else 0


async def _decide(
    context: SigapContext, activity_id: int, decision: Decision, note: str | None
) -> tuple[Activity | None, str]:
    """The decided entry, or None and why not (plain text)."""
    tr = context.texts
    try:
        decided = await approvals.decide(
            context.services.db,
            context.actor,
            activity_id,
            decision,
            note,
            now=context.services.clock.now(),
            indirect=_indirect(context),
            notify=_notify_one(context, decision, note),
        )
    except approvals.NotInReach:
        return None, tr.plain("approvals.not_found")
    except approvals.AlreadyDecided as exc:
        return None, _already_text(tr, exc.status)
    return decided, ""


def _already_text(tr: Texts, status: str) -> str:
    return tr.plain("approvals.already", status=tr.plain(f"status.{status}"))


async def _evidence(update: Update, context: SigapContext, activity_id: int) -> None:
    tr = context.texts
    try:
        activity, files = await approvals.evidence_of(
            context.services.db, context.actor, activity_id, indirect=_indirect(context)
        )
    except approvals.NotInReach:
        await answer_button(update, tr.plain("approvals.not_found"), alert=True)
        return
    if not files:
        await answer_button(update, tr.plain("approvals.evidence_none"), alert=True)
        return
    await answer_button(update)
    chat = update.effective_chat
    assert chat is not None
    for n, item in enumerate(files, start=1):
        caption = tr.t(
            "approvals.evidence_caption",
            n=n,
            total=len(files),
            description=clip(activity.description, 200),
        )
        try:
            if item.kind == "photo":
                await context.bot.send_photo(chat.id, item.telegram_file_id, caption=caption)
            else:
                await context.bot.send_document(chat.id, item.telegram_file_id, caption=caption)
        except BadRequest:
            # The file id is no longer valid (another bot token): the copy on disk, if any.
            if not await _send_stored(context, chat.id, item, caption):
                await reply(update, context, tr.t("approvals.evidence_unavailable", n=n))


async def _send_stored(context: SigapContext, chat_id: int, item: Any, caption: str) -> bool:
    relative = stored_relative(item.stored_path)
    path = context.services.settings.data_dir / relative if relative else None
    if path is None or not path.is_file():
        return False
    with path.open("rb") as handle:
        if item.kind == "photo":
            await context.bot.send_photo(chat_id, handle, caption=caption)
        else:
            await context.bot.send_document(
                chat_id, handle, caption=caption, filename=item.file_name or path.name
            )
    return True


async def _confirm_all(
    update: Update, context: SigapContext, employee_id: int, day: date, last_id: int
) -> None:
    tr, db = context.texts, context.services.db
    if not await _reach(update, context, employee_id):
        return
    entries = [
        e
        for e in await approvals.waiting_on(db, employee_id, day)
        if (e.activity.id or 0) <= last_id
    ]
    if not entries:
        await _already(update, context, "approved")
        return
    await answer_button(update)
    person = await get_employee(db, employee_id)
    text = tr.t(
        "approvals.confirm_all",
        count=len(entries),
        name=person.name if person else "",
        date=format_date(day, tr.language),
    )
    await show(
        update,
        context,
        text,
        buttons(
            [
                [
                    (
                        tr.plain("approvals.button_confirm_all"),
                        BUTTONS.pack("allok", employee_id, day, last_id),
                    ),
                    (tr.plain("approvals.button_cancel"), _day_data(employee_id, day)),
                ]
            ]
        ),
    )


async def _approve_all(
    update: Update, context: SigapContext, employee_id: int, day: date, last_id: int
) -> None:
    tr = context.texts
    try:
        entries = await approvals.approve_day(
            context.services.db,
            context.actor,
            employee_id,
            day,
            last_id,
            now=context.services.clock.now(),
            indirect=_indirect(context),
            notify=_notify_all(context, day),
        )
    except approvals.NotInReach:
        await answer_button(update, tr.plain("approvals.not_found"), alert=True)
        return
    except approvals.AlreadyDecided as exc:
        await _already(update, context, exc.status)
        return
    await answer_button(update, tr.plain("approvals.approved"))
    person = await get_employee(context.services.db, employee_id)
    await show(
        update,
        context,
        tr.t(
            "approvals.approved_all",
            count=len(entries),
            name=person.name if person else "",
            date=format_date(day, tr.language),
        ),
        buttons([[(tr.plain("approvals.button_back"), BACK)]]),
    )


# --- the note or reason: the supervisor's next message -------------------------------------


async def _ask_note(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    key = (
        "approvals.ask_revision"
        if data["decision"] == Decision.REVISION
        else "approvals.ask_reject"
    )
    await call.say(
        tr.t(key, description=data["description"], name=data["name"], limit=NOTE_LIMIT),
        [[(tr.plain("approvals.button_cancel"), "cancel")]],
    )


async def note_refused(call: FlowCall, note: str, limit: int) -> bool:
    """Answer why a typed note cannot be taken (empty, too long); the step stays open."""
    tr = call.texts
    if not note:
        await call.say(tr.t("approvals.note_empty"))
        return True
    if len(note) > limit:
        await call.say(tr.t("approvals.note_too_long", length=len(note), limit=limit))
        return True
    return False


async def cancel_note(call: FlowCall, value: str) -> None:
    """The Batal button under a note prompt."""
    if value == "cancel":
        await call.finish()
        await call.say(call.texts.t("approvals.note_cancelled"))


async def _got_note(call: FlowCall, text: str) -> None:
    tr, context, data = call.texts, call.context, call.data
    note = text.strip()
    if await note_refused(call, note, NOTE_LIMIT):
        return
    decision = Decision(data["decision"])
    await call.finish()
    decided, refusal = await _decide(context, int(data["activity_id"]), decision, note)
    if decided is None:
        await call.say(escape(refusal))
        return
    key = "approvals.revision_sent" if decision is Decision.REVISION else "approvals.rejected_sent"
    await call.say(tr.t(key, name=data["name"]))
    page = int(data.get("page") or 0)  # conversations saved before the page was kept have none
    await _day(call.update, context, decided.employee_id, decided.work_date, page)


NOTE_FLOW = register(
    Flow(
        "review_note",
        "note",
        {"note": Step(prompt=_ask_note, on_text=_got_note, on_button=cancel_note)},
    )
)


ROUTES: list[Route] = [
    Command(
        "persetujuan",
        approvals_command,
        "commands.approvals",
        (Audience.SUPERVISOR,),
        english="approvals",
    ),
    Button(BUTTONS, approvals_button),
]
