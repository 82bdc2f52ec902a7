"""A supervisor's decisions in /persetujuan: approve, ask for a revision or reject one entry (a
note or reason is the supervisor's next message, a one-step flow), or approve a whole day after
a confirmation. Every decision goes through ``models.approvals``, which checks the supervisor's
reach and notifies the employee (in their language) in the same transaction; then the day is
shown again at the page the entry was on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from telegram import Update

from domain.access import Action
from domain.approvals import ENTRIES_PER_PAGE, NOTE_LIMIT, VERBS, Decision, clip
from handlers import myday
from handlers.approvals.pages import (
    BACK,
    BUTTONS,
    day_data,
    indirect,
    show,
    show_day,
    show_entries,
    show_evidence,
    show_people,
    show_person,
    within_reach,
)
from handlers.common import answer_button, buttons, requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from models import approvals, decisions
from models.outbox import text_payload
from models.roster import get_employee
from models.tables import Activity
from texts import Texts, escape, texts
from texts.format import format_date

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
        await show_people(update, context, numbers[0] if numbers else 0, new_message=verb == "open")
    elif verb == "emp":
        await show_person(update, context, numbers[0])
    elif verb == "day":
        assert day is not None
        if await within_reach(update, context, numbers[0]):
            await answer_button(update)
            await show_day(update, context, numbers[0], day, numbers[1])
    elif verb in VERBS:
        await _decide_pressed(update, context, numbers[0], VERBS[verb])
    elif verb == "ev":
        await show_evidence(update, context, numbers[0])
    elif verb == "all":
        assert day is not None
        await _confirm_all(update, context, numbers[0], day, numbers[1])
    else:
        assert day is not None
        await _approve_all(update, context, numbers[0], day, numbers[1])


async def _already(update: Update, context: SigapContext, status: str) -> None:
    await answer_button(update, _already_text(context.texts, status), alert=True)


async def _decide_pressed(
    update: Update, context: SigapContext, activity_id: int, decision: Decision
) -> None:
    tr, db = context.texts, context.services.db
    found = await decisions.pressed(db, context.actor, activity_id, indirect=indirect(context))
    if found is None or not found.in_reach:
        await answer_button(update, tr.plain("approvals.not_found"), alert=True)
        return
    activity = found.activity
    if activity.status != "submitted":
        await _already(update, context, activity.status)
        return
    # The day is shown again after the decision at the page the entry was on, so a supervisor
    # working through page 2 of a long day stays there.
    waiting = found.day_waiting
    page = waiting.index(activity_id) // ENTRIES_PER_PAGE if activity_id in waiting else 0
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
    decided, refusal = await _decide(context, activity_id, decision, None, seen=found)
    if decided is None:
        await answer_button(update, refusal, alert=True)
        return
    await answer_button(update, tr.plain("approvals.approved"))
    await _show_decided(update, context, decided, page)


async def _show_decided(
    update: Update, context: SigapContext, decided: decisions.Decided, page: int
) -> None:
    """The day shown again after a decision, as the decision's own transaction read it."""
    activity = decided.activity
    await show_entries(
        update,
        context,
        decided.name,
        activity.employee_id,
        activity.work_date,
        decided.waiting,
        page,
    )


async def _decide(
    context: SigapContext,
    activity_id: int,
    decision: Decision,
    note: str | None,
    *,
    seen: decisions.Pressed | None = None,
) -> tuple[decisions.Decided | None, str]:
    """The decision made, or None and why not (plain text)."""
    tr = context.texts
    try:
        decided = await decisions.decide(
            context.services.db,
            context.actor,
            activity_id,
            decision,
            note,
            now=context.services.clock.now(),
            indirect=indirect(context),
            notify=_notify_one(context, decision, note),
            seen=seen,
        )
    except approvals.NotInReach:
        return None, tr.plain("approvals.not_found")
    except approvals.AlreadyDecided as exc:
        return None, _already_text(tr, exc.status)
    return decided, ""


def _already_text(tr: Texts, status: str) -> str:
    return tr.plain("approvals.already", status=tr.plain(f"status.{status}"))


async def _confirm_all(
    update: Update, context: SigapContext, employee_id: int, day: date, last_id: int
) -> None:
    tr, db = context.texts, context.services.db
    if not await within_reach(update, context, employee_id):
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
                    (tr.plain("approvals.button_cancel"), day_data(employee_id, day)),
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
            indirect=indirect(context),
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
    await _show_decided(call.update, context, decided, page)


NOTE_FLOW = register(
    Flow(
        "review_note",
        "note",
        {"note": Step(prompt=_ask_note, on_text=_got_note, on_button=cancel_note)},
    )
)
