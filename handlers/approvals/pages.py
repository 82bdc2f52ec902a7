"""What a supervisor sees in /persetujuan: the people with waiting entries (ten a page), one
person's days, one person-day (six entries a message, with the buttons to decide each), and an
entry's evidence. A list stays one message as the supervisor walks through it (``show``).

Buttons (``apv:`` + …): ``open``, ``ppl:<page>``, ``emp:<employee>``,
``day:<employee>:<yyyymmdd>:<page>``, ``ok|rev|rej|ev:<activity>``,
``all|allok:<employee>:<yyyymmdd>:<last activity id>``, ``no``. ``apv:open`` is what the
scheduler's supervisor nudge carries.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from domain.access import Action
from domain.approvals import ENTRIES_PER_PAGE, PEOPLE_PER_PAGE, clip, paginate
from domain.files import stored_relative
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, not_modified, reply, requires
from handlers.context import SigapContext
from models import approvals, decisions
from services.buttons import OPEN_APPROVALS
from texts import Texts
from texts.format import duration, format_date, short_day

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


def indirect(context: SigapContext) -> bool:
    """Whether supervisors also decide for their reports' reports (a setting of the office)."""
    return context.services.settings.supervise_indirect_reports


def _short_day(day: date, tr: Texts) -> str:
    return short_day(day, tr.language)


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
            if not_modified(exc):
                return
    await reply(update, context, text, markup)


async def within_reach(update: Update, context: SigapContext, employee_id: int) -> bool:
    """Whether this employee is in the supervisor's reach (their reports; indirect ones too where
    the office says so); if not, the press is answered so."""
    if await approvals.in_reach(
        context.services.db, context.actor, employee_id, indirect=indirect(context)
    ):
        return True
    await answer_button(update, context.texts.plain("approvals.not_found"), alert=True)
    return False


# --- the list of people --------------------------------------------------------------------


@requires(Action.SUPERVISE, private=True)
async def approvals_command(update: Update, context: SigapContext) -> None:
    await show_people(update, context, 0)


async def show_people(
    update: Update, context: SigapContext, page_number: int, *, new_message: bool = False
) -> None:
    tr, db = context.texts, context.services.db
    supervisor_id = context.actor.employee_id
    assert supervisor_id is not None
    names, waiting = await approvals.waiting_in_reach(db, supervisor_id, indirect=indirect(context))
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


async def show_person(update: Update, context: SigapContext, employee_id: int) -> None:
    """One report's waiting days (their only day's entries at once); the press is answered,
    as not found when the person is out of the supervisor's reach."""
    tr = context.texts
    view = await decisions.person_view(
        context.services.db, context.actor, employee_id, indirect=indirect(context)
    )
    if view is None:
        await answer_button(update, tr.plain("approvals.not_found"), alert=True)
        return
    await answer_button(update)
    person, days = view.person, view.days
    if len(days) == 1:
        await show_entries(update, context, person.name, employee_id, days[0][0], view.entries, 0)
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
                day_data(employee_id, d),
            )
        ]
        for d, n in shown
    ]
    rows.append([(tr.plain("approvals.button_back"), BACK)])
    text = tr.t(
        "approvals.days_title", name=person.name, entries=sum(n for _, n in days), days=len(days)
    )
    await show(update, context, text, buttons(rows))


def day_data(employee_id: int, day: date, page: int = 0) -> str:
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
        duration=duration(activity.minutes, tr.language),
        target=clip(entry.target, 80) if entry.target else tr.plain("approvals.no_target"),
        evidence=evidence,
    ) + (tr.t("approvals.late") if activity.late else "")


async def show_day(
    update: Update, context: SigapContext, employee_id: int, day: date, page_number: int
) -> None:
    person, entries = await approvals.day_view(context.services.db, employee_id, day)
    assert person is not None
    await show_entries(update, context, person.name, employee_id, day, entries, page_number)


async def show_entries(
    update: Update,
    context: SigapContext,
    name: str,
    employee_id: int,
    day: date,
    entries: list[approvals.WaitingEntry],
    page_number: int,
) -> None:
    tr = context.texts
    if not entries:
        await show(
            update,
            context,
            tr.t("approvals.day_done", name=name, date=format_date(day, tr.language)),
            buttons([[(tr.plain("approvals.button_back"), BACK)]]),
        )
        return
    page = paginate(entries, page_number, ENTRIES_PER_PAGE)
    first = page.number * ENTRIES_PER_PAGE + 1
    lines = [
        tr.t(
            "approvals.day_title",
            name=name,
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
    rows.extend(_nav(tr, page, lambda p: day_data(employee_id, day, p)))
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


# --- an entry's evidence -------------------------------------------------------------------


async def show_evidence(update: Update, context: SigapContext, activity_id: int) -> None:
    tr = context.texts
    try:
        activity, files = await approvals.evidence_of(
            context.services.db, context.actor, activity_id, indirect=indirect(context)
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
