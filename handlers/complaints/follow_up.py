"""After filing: the citizen follows their complaints (/status, a complaint's history) and
adds information by replying to any notice about it (or its "Tambah keterangan" button); after
the unit says it is solved they confirm it or reopen it with a reason. What they add is
relayed to the desk (``handlers.desk``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from telegram import Message, Update

from domain.access import Action, complaint_owner_refusal
from domain.complaints import (
    InvalidMove,
    Move,
    Problem,
    Status,
    can_reopen,
    is_final,
    parse_tracking_number,
    validate_note,
)
from handlers import files
from handlers.common import answer_button, buttons, reply, requires
from handlers.complaints.shared import problem_text
from handlers.context import SigapContext
from handlers.desk.relay import notify_citizen, refresh_ticket, tell_desk
from handlers.desk.render import (
    CITIZEN_BUTTONS,
    category_name,
    citizen_keyboard,
    deadlines,
    desk_texts,
    due_line,
    reporter_label,
    status_name,
)
from handlers.flow import Flow, FlowCall, Step, register
from handlers.settle import settle, settle_one
from models import activities, complaints
from models.activities import EvidenceDraft
from models.tables import Complaint, ComplaintEvent
from models.types import stored_id
from services.survey import offer_payload
from texts import Html, Texts
from texts.format import format_datetime

HISTORY_LINES = 12  # with notes cut to 150 characters, a history fits one message


# --- Adding information, confirming, reopening ----------------------------------------------


async def add_citizen_message(
    update: Update,
    context: SigapContext,
    complaint_id: int,
    *,
    text: str | None = None,
    message: Message | None = None,
) -> None:
    """Store what the citizen adds to their complaint and relay it to the desk. Whether it
    may be added (ban, closed, the hourly limit) is asked before a file is downloaded, and a
    file downloaded for a message that is then not stored is deleted."""
    tr, services = context.texts, context.services
    if message is not None:
        text = message.text or message.caption
        if not files.has_attachment(message) and message.text is None:
            await reply(update, context, tr.t("complaint.note_unsupported"))
            return
    source = None if message is None else (message.chat_id, message.message_id)
    limits: dict[str, Any] = {
        "reporter_telegram_id": context.actor.telegram_id,
        "now": services.clock.now(),
        "per_hour": services.settings.complaint_messages_per_hour,
        "source": source,
    }
    attachments: list[EvidenceDraft] = []
    try:
        await complaints.check_citizen_message(services.db, complaint_id, **limits)
        if message is not None and files.has_attachment(message):
            attachments.append(await files.download_attachment(context, message, "complaints"))
        complaint, _ = await complaints.add_message(
            services.db,
            complaint_id,
            side="citizen",
            text=text,
            attachments=attachments,
            actor="citizen",
            **limits,
        )
    except complaints.AlreadyRecorded as again:
        await files.discard(context, attachments)  # kept if the first delivery stored it
        if again.relayed:
            return  # delivered again after a crash; it reached the desk the first time
        complaint = again.complaint  # stored, then the process died before relaying it
    except _REFUSALS as refusal:
        await files.discard(context, attachments)
        await reply(update, context, _refusal_text(refusal, context))
        return
    except Exception:
        await files.discard(context, attachments)
        raise
    dtr = desk_texts(context.services)
    header = dtr.t(
        "desk.citizen_says",
        number=complaint.tracking_number,
        reporter=reporter_label(complaint, dtr),
    )
    await tell_desk(context, complaint, header, text, attachments)
    if source is not None:
        await complaints.mark_relayed(services.db, source)
    if _first_of_album(context, message, complaint_id):
        await reply(
            update, context, tr.t("complaint.message_added", number=complaint.tracking_number)
        )


_REFUSALS = (
    complaints.Banned,
    LookupError,
    complaints.ComplaintClosed,
    complaints.MessageLimit,
    files.AttachmentTooBig,
)


def _refusal_text(refusal: Exception, context: SigapContext) -> str:
    tr = context.texts
    if isinstance(refusal, complaints.MessageLimit):
        again = format_datetime(refusal.again, context.services.timezone, tr.language)
        return tr.t(
            "complaint.message_limit",
            limit=context.services.settings.complaint_messages_per_hour,
            number=refusal.tracking_number,
            again=again,
        )
    key = {
        complaints.Banned: "banned",
        complaints.ComplaintClosed: "closed_for_messages",
        files.AttachmentTooBig: "attachment_too_big",
    }.get(type(refusal), "not_found")
    return tr.t(f"complaint.{key}")


def _first_of_album(context: SigapContext, message: Message | None, complaint_id: int) -> bool:
    """Answer an album of photos once, and remember which complaint it belongs to so that
    its other photos follow the first. Kept in this process only: after a restart the rest of
    an album is answered like any photo, which loses nothing."""
    album = message.media_group_id if message is not None else None
    if album is None:
        return True
    seen = _albums(context)
    if album in seen:
        return False
    seen[album] = complaint_id
    while len(seen) > 1000:
        seen.popitem(last=False)
    return True


def _albums(context: SigapContext) -> OrderedDict[str, int]:
    return context.bot_data.complaint_albums


async def citizen_reply(update: Update, context: SigapContext) -> bool:
    """A message outside any flow that replies to one of our notices about a complaint (or
    continues an album that did): it is added to that complaint. False otherwise."""
    message = update.effective_message
    if message is None:
        return False
    if message.media_group_id is not None and message.media_group_id in _albums(context):
        complaint_id = _albums(context)[message.media_group_id]
        await add_citizen_message(update, context, complaint_id, message=message)
        return True
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return False
    ref = await complaints.find_message(context.services.db, message.chat.id, replied.message_id)
    if ref is None or ref.kind != "citizen":
        return False
    await add_citizen_message(update, context, ref.complaint_id, message=message)
    return True


async def _ask_note(call: FlowCall) -> None:
    await call.say(call.texts.t("complaint.ask_note", number=call.data["number"]))


async def _got_note_text(call: FlowCall, text: str) -> None:
    await call.finish()
    await add_citizen_message(call.update, call.context, call.data["id"], text=text.strip())


async def _got_note_message(call: FlowCall, message: Message) -> bool:
    await call.finish()  # the rest of an album follows the first photo (``citizen_reply``)
    await add_citizen_message(call.update, call.context, call.data["id"], message=message)
    return True


NOTE_FLOW = register(
    Flow(
        "complaint_note",
        "note",
        {"note": Step(prompt=_ask_note, on_text=_got_note_text, on_message=_got_note_message)},
    )
)


async def _ask_reopen_reason(call: FlowCall) -> None:
    await call.say(call.texts.t("complaint.ask_reopen", number=call.data["number"]))


async def _got_reopen_reason(call: FlowCall, text: str) -> None:
    note = validate_note(text)
    if isinstance(note, Problem):
        await call.say(problem_text(note, call.texts))
        return
    await call.finish()
    await _citizen_move(call.update, call.context, call.data["id"], Move.REOPEN, note)


REOPEN_FLOW = register(
    Flow(
        "complaint_reopen",
        "reason",
        {"reason": Step(prompt=_ask_reopen_reason, on_text=_got_reopen_reason)},
    )
)


async def _citizen_move(
    update: Update, context: SigapContext, complaint_id: int, move: Move, note: str | None = None
) -> None:
    tr, services = context.texts, context.services
    try:
        result = await complaints.apply_move(
            services.db,
            complaint_id,
            move,
            actor="citizen",
            now=services.clock.now(),
            today=context.services.today(),
            calendar=await activities.work_calendar(services.db),
            deadlines=deadlines(context.services),
            note=note,
            reporter_telegram_id=context.actor.telegram_id,
            survey_offer=offer_payload,
        )
    except LookupError:
        await reply(update, context, tr.t("complaint.not_found"))
        return
    except InvalidMove as exc:
        fresh = await complaints.get_complaint(services.db, complaint_id)
        if fresh is not None and await _announce_owed(context, fresh, move):
            return
        await reply(update, context, tr.t("complaint.not_now", status=status_name(exc.status, tr)))
        return
    except complaints.ReopenExpired:
        await reply(update, context, tr.t("complaint.reopen_expired"))
        return
    await _announce(context, result.complaint, move, note, stored_id(result.event.id))


async def _announce_owed(context: SigapContext, complaint: Complaint, move: Move) -> bool:
    """The citizen's ``move`` committed by a process killed before it told anyone (found by the
    random kills, tests/e2e/chaos): the press came round again. Tell them now, not "not now"."""
    complaint_id = stored_id(complaint.id)
    owed = await complaints.unannounced_move(
        context.services.db, complaint_id, move.value, "citizen"
    )
    if owed is None:
        return False
    await _announce(context, complaint, move, owed.note, stored_id(owed.id))
    return True


async def _announce(
    context: SigapContext, complaint: Complaint, move: Move, note: str | None, event_id: int
) -> None:
    """What follows the citizen's move: the ticket, the desk, the citizen's own notice (which
    remembers ``event_id``: told)."""
    await refresh_ticket(context, complaint)
    dtr = desk_texts(context.services)
    header = dtr.t(f"desk.citizen_{move.value}", number=complaint.tracking_number)
    await tell_desk(context, complaint, header, note)
    await notify_citizen(
        context,
        complaint,
        lambda t, unit_name: t.t(
            f"complaint.citizen_{move.value}",
            number=complaint.tracking_number,
            unit=unit_name,
            due=Html(due_line(complaint, t)),
        ),
        event_id=event_id,
    )


@requires(Action.USE_CITIZEN_SERVICES, private=True)
async def complaint_button(update: Update, context: SigapContext) -> None:
    """``cmp:<what>:<id>``: show, ok (solved), no (not solved), note (add information)."""
    query = update.callback_query
    assert query is not None
    tr = context.texts
    press = CITIZEN_BUTTONS.unpack(query.data)
    if press is None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    complaint_id = press.numbers[0]
    complaint = await _own_complaint(context, complaint_id)
    if complaint is None:
        await answer_button(update, tr.plain("complaint.not_found"), alert=True)
        return
    await answer_button(update)
    what = press.verb
    data = {"id": complaint.id, "number": complaint.tracking_number}
    if what == "show":  # the list of /status keeps its buttons: the others still apply
        await _show(update, context, complaint)
    elif what == "note":
        if is_final(Status(complaint.status)):
            await settle(update, context, "")
            await reply(update, context, tr.t("complaint.closed_for_messages"))
            return
        await settle(update, context)
        await NOTE_FLOW.start(update, context, data)
    elif Status(complaint.status) is not Status.SELESAI:
        await settle(update, context, "")
        if what == "ok" and await _announce_owed(context, complaint, Move.CONFIRM):
            return
        await reply(
            update,
            context,
            tr.t("complaint.not_now", status=status_name(complaint.status, tr)),
        )
    elif what == "ok":
        await settle(update, context)
        await _citizen_move(update, context, complaint_id, Move.CONFIRM)
    elif not can_reopen(context.services.today(), complaint.reopen_until):
        await settle_one(update, context)  # "Sudah selesai" still applies
        await reply(update, context, tr.t("complaint.reopen_expired"))
    else:
        await settle(update, context)
        await REOPEN_FLOW.start(update, context, data)


async def _own_complaint(context: SigapContext, complaint_id: int) -> Complaint | None:
    complaint = await complaints.get_complaint(context.services.db, complaint_id)
    if complaint is None or complaint_owner_refusal(context.actor, complaint.reporter_telegram_id):
        return None
    return complaint


# --- /status ---------------------------------------------------------------------------------


@requires(Action.USE_CITIZEN_SERVICES, private=True)
async def status_command(update: Update, context: SigapContext) -> None:
    tr, db = context.texts, context.services.db
    typed = " ".join(context.args or []).strip()
    if typed:
        number = parse_tracking_number(typed)
        complaint = await complaints.find_by_number(db, number) if number else None
        if complaint is None or complaint_owner_refusal(
            context.actor, complaint.reporter_telegram_id
        ):
            await reply(update, context, tr.t("complaint.not_found_number", number=typed[:30]))
            return
        await _show(update, context, complaint)
        return
    mine = await complaints.complaints_of(db, context.actor.telegram_id)
    if not mine:
        await reply(update, context, tr.t("complaint.none_yet"))
        return
    lines = [tr.t("complaint.list_title")]
    for complaint in mine:
        lines.append(
            tr.t(
                "complaint.list_line",
                number=complaint.tracking_number,
                status=status_name(complaint.status, tr),
                date=format_datetime(complaint.created_at, context.services.timezone, tr.language),
            )
        )
    lines.append(tr.t("complaint.list_hint"))
    rows = [[(c.tracking_number, CITIZEN_BUTTONS.pack("show", c.id))] for c in mine[:5]]
    await reply(update, context, "\n".join(lines), buttons(rows))


async def _show(update: Update, context: SigapContext, complaint: Complaint) -> None:
    tr, services = context.texts, context.services
    assert complaint.id is not None  # a stored complaint
    details = await complaints.ticket_details(services.db, complaint)
    events = await complaints.history(services.db, complaint.id)
    lines = [
        tr.t(
            "complaint.detail_title",
            number=complaint.tracking_number,
            kind=tr.plain(f"complaint_kind.{complaint.kind}"),
            category=category_name(details.category.name, details.category.name_en, tr),
        ),
        tr.t(
            "complaint.detail_status",
            status=status_name(complaint.status, tr),
            unit=details.unit.name,
        ),
    ]
    due = due_line(complaint, tr)
    if due:
        lines.append(due)
    lines.append(
        tr.t("complaint.detail_privacy", privacy=tr.plain(f"complaint_privacy.{complaint.privacy}"))
    )
    lines.append("")
    lines.append(tr.t("complaint.history_title"))
    for event in events[-HISTORY_LINES:]:
        lines.append(_history_line(event, tr, context))
    chat = update.effective_chat
    assert chat is not None
    sent = await context.bot.send_message(
        chat.id, "\n".join(lines), reply_markup=citizen_keyboard(complaint, tr)
    )
    # Replying to this view adds information, as replying to any notice does.
    await complaints.remember_messages(
        services.db,
        complaint.id,
        chat.id,
        [sent.message_id],
        "citizen",
    )


def _history_line(event: ComplaintEvent, tr: Texts, context: SigapContext) -> str:
    when = format_datetime(event.at, context.services.timezone, tr.language)
    note = event.note or ""
    if len(note) > 150:
        note = note[:149] + "…"
    what = tr.t(f"complaint_event.{event.action}", note=note or "—")
    return tr.t("complaint.history_line", when=when, what=Html(what))
