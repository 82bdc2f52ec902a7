"""The ticket's buttons, pressed by the unit's complaint handlers: Verifikasi, Proses,
Tugaskan (to whom), Selesai, Bukan wewenang (to which unit), Tolak, Tutup, and the reporter's
contact where the privacy choice allows it. Moves that need a reason ask for it as a reply in
the group (privacy mode lets the bot see replies to its own messages); ``note_given`` takes it.

Only a complaint handler of the complaint's own unit may press (``authorised``); a press on a
ticket the desk no longer shows points to the live one.
"""

from __future__ import annotations

from telegram import (
    ForceReply,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.error import BadRequest, ChatMigrated

from domain.access import complaint_desk_refusal, complaint_work_refusal
from domain.complaints import (
    InvalidMove,
    Move,
    Privacy,
    Status,
    identity_shown,
    is_final,
    possible_moves,
    validate_note,
)
from handlers.common import answer_button, not_modified
from handlers.context import SigapContext
from handlers.desk.export import export_ticket
from handlers.desk.relay import after_move, replying_to, together
from handlers.desk.render import (
    BUTTONS,
    choice_keyboard,
    deadlines,
    desk_texts,
    refusal_text,
    short,
    status_name,
    ticket_keyboard,
)
from models import activities, complaints
from models.conversation import FlowEnd, receipt_for
from models.tables import Complaint, ComplaintMessage
from models.types import stored_id
from services.complaint_work import WorkOfferTexts
from services.survey import offer_payload
from texts import Html, escape

# The receipt a desk move leaves (``models.conversation.FlowReceipt``'s flow).
MOVE_RECEIPT = "desk_move"


async def authorised(update: Update, context: SigapContext, complaint: Complaint) -> bool:
    """Answer the press (or the reply) politely and return False unless this person is a
    complaint handler of the complaint's unit."""
    refusal = complaint_desk_refusal(context.actor, complaint.unit_id)
    if refusal is None:
        return True
    unit = await complaints.get_unit(context.services.db, complaint.unit_id)
    text = refusal_text(refusal, unit.name if unit else "", context.texts)
    if update.callback_query is not None:
        await answer_button(update, text, alert=True)
    else:
        await reply_in_group(update, context, escape(text))
    return False


async def reply_in_group(update: Update, context: SigapContext, text: str) -> None:
    message = update.effective_message
    assert message is not None
    await context.bot.send_message(
        message.chat.id, text, reply_parameters=replying_to(message.message_id)
    )


async def desk_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.texts
    press = BUTTONS.unpack(query.data)
    if press is None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    if await moved_already(update, context):
        return
    action, complaint_id = press.verb, press.numbers[0]
    extra = press.numbers[1] if len(press.numbers) > 1 else None
    complaint = await complaints.get_complaint(context.services.db, complaint_id)
    if complaint is None or complaint.purged_at is not None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    if action == "lapor":
        # Read-only: allowed on any ticket of the complaint, checked in ``export``.
        await export_ticket(update, context, complaint)
        return
    if not await authorised(update, context, complaint):
        return
    status = Status(complaint.status)
    if is_final(status):
        await answer_button(
            update,
            tr.plain(
                "desk.closed", number=complaint.tracking_number, status=status_name(status, tr)
            ),
            alert=True,
        )
        await retire_keyboard(update)
        return
    if await _earlier_ticket(context, complaint, query.message):
        # Its group became a supergroup (the ticket was posted again there) or its desk was
        # removed: one live ticket per complaint.
        moved = "ticket_moved" if complaint.desk_chat_id is not None else "ticket_waiting"
        await answer_button(
            update,
            tr.plain(f"desk_lifecycle.{moved}", number=complaint.tracking_number),
            alert=True,
        )
        await retire_keyboard(update)
        return
    if action == "contact":
        await _show_contact(update, context, complaint)
        return
    if action == "back":
        await answer_button(update)
        await set_keyboard(update, ticket_keyboard(complaint, desk_texts(context.services)))
        return
    try:
        move = Move(action)
    except ValueError:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    if move not in possible_moves(status):
        if not await _announce_owed(update, context, complaint, move):
            await _not_now(update, context, complaint)
        return
    if move is Move.ASSIGN and extra is None:
        await _offer_assignees(update, context, complaint)
    elif move is Move.FORWARD and extra is None:
        await _offer_units(update, context, complaint)
    elif move in (Move.VERIFY, Move.PROCESS, Move.ASSIGN):
        await move_now(update, context, complaint, move, assignee_id=extra)
    else:
        await _ask_note(update, context, complaint, move, target_unit_id=extra)


async def _earlier_ticket(
    context: SigapContext, complaint: Complaint, pressed: Message | MaybeInaccessibleMessage | None
) -> bool:
    """Is the pressed message a ticket of this complaint that is no longer its ticket?"""
    if pressed is None:
        return False
    where = (pressed.chat.id, pressed.message_id)
    if where == (complaint.desk_chat_id, complaint.ticket_message_id):
        return False
    db = context.services.db
    ref = await complaints.find_message(db, *where)
    if ref is None or ref.kind != "ticket" or ref.complaint_id != complaint.id:
        return False
    # Read again: the ticket may have been recorded after ``complaint`` was read.
    fresh = await complaints.get_complaint(db, complaint.id)
    return fresh is not None and where != (fresh.desk_chat_id, fresh.ticket_message_id)


def _linked_to_pressed(
    complaint: Complaint, pressed: Message | MaybeInaccessibleMessage | None
) -> None:
    """A ticket pressed before its link to the complaint was committed is the one to redraw.

    The ticket and the citizen's receipt go out at once (``handlers.complaints.filing``), and
    the ticket is linked once Telegram has answered its send: a press as quick as the receipt,
    on a busy bot, can be handled first, and its move then found no ticket to show itself on
    (the ticket kept its old status and buttons). The pressed message is that ticket: an
    earlier one of the complaint was refused above (``_earlier_ticket``). Only the drawing
    uses it; the link is the sender's to write."""
    if pressed is None or complaint.ticket_message_id is not None:
        return
    if complaint.desk_chat_id in (None, pressed.chat.id):
        complaint.desk_chat_id, complaint.ticket_message_id = pressed.chat.id, pressed.message_id


async def _announce_owed(
    update: Update, context: SigapContext, complaint: Complaint, move: Move
) -> bool:
    """The same move by the same person was committed by a process killed before it told
    anyone (found by the random kills, tests/e2e/chaos): the press came round again. What
    follows the move (the ticket, the citizen's notice) is done now instead of "not now"."""
    if move is Move.FORWARD:
        return False  # the ticket moved desks: its press cannot come round from this one
    actor = f"tg:{context.actor.telegram_id}"
    db = context.services.db
    event = await complaints.unannounced_move(db, stored_id(complaint.id), move.value, actor)
    if event is None:
        return False
    tr = context.texts
    await answer_button(update, tr.plain("desk.moved", status=status_name(complaint.status, tr)))
    previous = Status(event.from_status or complaint.status)
    await after_move(
        context, complaints.MoveResult(complaint, event, previous, complaint.unit_id, None)
    )
    return True


async def _not_now(update: Update, context: SigapContext, complaint: Complaint) -> None:
    tr = context.texts
    await answer_button(
        update,
        tr.plain(
            "desk.not_now",
            number=complaint.tracking_number,
            status=status_name(complaint.status, tr),
        ),
        alert=True,
    )


async def set_keyboard(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as exc:
        if not not_modified(exc):
            raise


async def retire_keyboard(update: Update) -> None:
    try:
        await set_keyboard(update, None)
    except (BadRequest, ChatMigrated):
        pass  # the message is gone (or out of reach): nothing to retire


async def _offer_assignees(update: Update, context: SigapContext, complaint: Complaint) -> None:
    people = await complaints.unit_handlers(context.services.db, complaint.unit_id)
    if not people:
        await answer_button(update, context.texts.plain("desk.no_handlers"), alert=True)
        return
    await answer_button(update, context.texts.plain("desk.choose_assignee"))
    await set_keyboard(
        update, choice_keyboard(complaint, Move.ASSIGN, people, desk_texts(context.services))
    )


async def _offer_units(update: Update, context: SigapContext, complaint: Complaint) -> None:
    units = [
        u
        for u in await complaints.units_with_desks(context.services.db)
        if u.id != complaint.unit_id
    ]
    if not units:
        await answer_button(update, context.texts.plain("desk.no_other_desks"), alert=True)
        return
    await answer_button(update, context.texts.plain("desk.choose_unit"))
    await set_keyboard(
        update, choice_keyboard(complaint, Move.FORWARD, units, desk_texts(context.services))
    )


def _receipt(update: Update) -> FlowEnd:
    """What lets this update, delivered again after a kill that fell between the move's commit
    and its notices, tell them again (``_moved_already``) instead of "not now"."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    return FlowEnd(chat.id, user.id, 0, update.update_id, None, MOVE_RECEIPT)


async def moved_already(update: Update, context: SigapContext) -> bool:
    """Whether this update (a press, or the reason replied to the bot's question) already moved
    a complaint: delivered again after a kill; if so, the desk's ticket, the citizen and the
    assignee are told again."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    db = context.services.db
    receipt = await receipt_for(db, chat.id, user.id, update.update_id)
    if receipt is None or receipt.flow != MOVE_RECEIPT:
        return False
    result = await complaints.move_again(db, dict(receipt.data))
    if result is None:
        await answer_button(update)
        return True
    status = status_name(result.complaint.status, context.texts)
    await answer_button(update, context.texts.plain("desk.moved", status=status))
    await after_move(context, result)
    if update.callback_query is None:  # the reason replied to the bot's question
        tr = desk_texts(context.services)
        status, number = status_name(result.complaint.status, tr), result.complaint.tracking_number
        await reply_in_group(update, context, tr.t("desk.done", number=number, status=status))
    return True


async def move_now(
    update: Update,
    context: SigapContext,
    complaint: Complaint,
    move: Move,
    *,
    note: str | None = None,
    target_unit_id: int | None = None,
    assignee_id: int | None = None,
    prompt_id: int | None = None,
) -> complaints.MoveResult | None:
    """Apply a move for the staff member behind this update (answering the bot's question
    ``prompt_id``); None (and an answer) if the complaint moved on or the question was
    answered meanwhile."""
    actor = context.actor
    services = context.services
    if move is Move.ASSIGN:
        people = {e.id for e in await complaints.unit_handlers(services.db, complaint.unit_id)}
        if assignee_id not in people:
            await answer_button(update, context.texts.plain("common.stale_button"))
            return None
    try:
        result = await complaints.apply_move(
            services.db,
            stored_id(complaint.id),
            move,
            actor=f"tg:{actor.telegram_id}",
            employee_id=actor.employee_id,
            now=services.clock.now(),
            today=context.services.today(),
            calendar=await activities.work_calendar(services.db),
            deadlines=deadlines(context.services),
            note=note,
            target_unit_id=target_unit_id,
            assignee_id=assignee_id,
            survey_offer=offer_payload,
            work=work_offer(context),
            receipt=_receipt(update),
            prompt_id=prompt_id,
        )
    except complaints.PromptUsed:
        await reply_in_group(update, context, desk_texts(services).t("desk.prompt_used"))
        return None
    except (InvalidMove, LookupError):
        fresh = await complaints.get_complaint(services.db, stored_id(complaint.id))
        if fresh is not None and await _announce_owed(update, context, fresh, move):
            return None
        if update.callback_query is not None:
            await _not_now(update, context, fresh or complaint)
        else:
            await reply_in_group(
                update,
                context,
                context.texts.t(
                    "desk.not_now",
                    number=complaint.tracking_number,
                    status=status_name((fresh or complaint).status, context.texts),
                ),
            )
        return None
    pressed = update.callback_query.message if update.callback_query is not None else None
    _linked_to_pressed(result.complaint, pressed)
    # The press answered while the ticket and the citizen are told: the answer waits for
    # nothing of theirs, nor they for it.
    await together(
        answer_button(
            update,
            context.texts.plain(
                "desk.moved", status=status_name(result.complaint.status, context.texts)
            ),
        ),
        after_move(context, result),
    )
    return result


def work_offer(context: SigapContext) -> complaints.WorkOffer | None:
    """The offer of this work as an activity in the handler's private chat, for those who keep
    a work log (``domain.access.complaint_work_refusal``)."""
    actor, services = context.actor, context.services
    if complaint_work_refusal(actor) is not None or actor.employee_id is None:
        return None
    return complaints.WorkOffer(
        actor.employee_id, services.today(), WorkOfferTexts(services.settings.default_language)
    )


async def _show_contact(update: Update, context: SigapContext, complaint: Complaint) -> None:
    """The phone number only to the handler who asks, as a private alert, and on the record."""
    tr = context.texts
    if not identity_shown(Privacy(complaint.privacy)) or not complaint.contact_phone:
        await answer_button(update, tr.plain("desk.contact_none"), alert=True)
        return
    services = context.services
    await complaints.record_disclosure(
        services.db,
        complaint,
        "complaints.contact_viewed",
        f"tg:{context.actor.telegram_id}",
        services.clock.now(),
        employee_id=context.actor.employee_id,
    )
    await answer_button(
        update,
        # An alert holds 200 characters.
        tr.plain(
            "desk.contact",
            name=short(complaint.reporter_name or "", 80),
            phone=complaint.contact_phone,
        ),
        alert=True,
    )


# --- The reason for a move: asked for, given as a reply ------------------------------------------


async def _ask_note(
    update: Update,
    context: SigapContext,
    complaint: Complaint,
    move: Move,
    *,
    target_unit_id: int | None,
) -> None:
    """Ask the staff member who pressed for the reason, as a reply in the group (privacy mode
    lets the bot see replies to its own messages)."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None and query.message is not None
    tr = desk_texts(context.services)
    detail: dict[str, object] = {}
    unit_name = ""
    if move is Move.FORWARD:
        target = await complaints.get_unit(context.services.db, target_unit_id or 0)
        if target is None or target.id == complaint.unit_id:
            await answer_button(update, tr.plain("common.stale_button"))
            return
        detail, unit_name = {"unit_id": target.id}, target.name
    await answer_button(update, context.texts.plain("desk.answer_below"))
    if move is Move.FORWARD:
        await set_keyboard(update, ticket_keyboard(complaint, tr))
    who = Html(f'<a href="tg://user?id={user.id}">{escape(user.first_name)}</a>')
    prompt = await context.bot.send_message(
        query.message.chat.id,
        tr.t(f"desk.ask_{move.value}", who=who, number=complaint.tracking_number, unit=unit_name),
        reply_parameters=replying_to(complaint.ticket_message_id),
        reply_markup=ForceReply(
            selective=True, input_field_placeholder=tr.plain("desk.placeholder")
        ),
    )
    await complaints.remember_messages(
        context.services.db,
        stored_id(complaint.id),
        prompt.chat.id,
        [prompt.message_id],
        "prompt",
        move=move.value,
        employee_id=context.actor.employee_id,
        detail=detail,
    )


async def note_given(
    update: Update,
    context: SigapContext,
    complaint: Complaint,
    ref: ComplaintMessage,
    message: Message,
) -> None:
    """A reply to the bot's question (``ref``): the reason, then the move it was asked for,
    by the person who pressed and only once."""
    tr = desk_texts(context.services)
    if ref.employee_id != context.actor.employee_id:
        await reply_in_group(update, context, tr.t("desk.prompt_other_person"))
        return
    if message.text is None:
        await reply_in_group(update, context, tr.t("desk.note_needed"))
        return
    note = validate_note(message.text)
    if not isinstance(note, str):
        await reply_in_group(update, context, tr.t(f"complaint.{note.code}", **note.params))
        return
    result = await move_now(
        update,
        context,
        complaint,
        Move(ref.move or ""),
        note=note,
        target_unit_id=ref.detail.get("unit_id"),
        prompt_id=stored_id(ref.id),
    )
    if result is not None:
        await reply_in_group(
            update,
            context,
            tr.t(
                "desk.done",
                number=complaint.tracking_number,
                status=status_name(result.complaint.status, tr),
            ),
        )
