"""Replies in a desk group. A reply to a ticket (or to a message relayed into it) is an answer
for the citizen: the bot relays it in the unit's name, never the staff member's, and keeps it.
A reply to a question the bot asked is the reason for a move (``tickets.note_given``). Replies
to other people's messages are their business. A message that replies to nothing reaches
nobody, so its writer is told once how to answer a ticket.
"""

from __future__ import annotations

from telegram import Message, Update

from domain.complaints import Status, is_final
from handlers import files
from handlers.context import SigapContext
from handlers.desk.relay import notify_citizen
from handlers.desk.render import desk_texts, status_name
from handlers.desk.tickets import authorised, moved_already, note_given, reply_in_group, work_offer
from models import complaints, notices
from models.activities import EvidenceDraft
from models.outbox import text_payload
from models.tables import Complaint, ComplaintMessage
from models.types import stored_id


async def group_message(update: Update, context: SigapContext) -> None:
    """A message in a desk group that replies to nothing (the bot sees these only where its
    privacy mode is off or it is an admin): it reaches no citizen, and staff new to the desk
    expect it to. Each person is told once, briefly, how to answer a ticket."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is not None:
        return
    services = context.services
    if user.is_bot or await complaints.desk_unit(services.db, message.chat.id) is None:
        return
    text = desk_texts(services).t("desk.how_to_answer", name=user.first_name)
    key = f"desk_hint:{message.chat.id}:{user.id}"
    # Queued through the outbox, whose commit wakes the sender: the hint goes out at once.
    await notices.notify_once(
        services.db, key, message.chat.id, "desk_hint", text_payload(text), services.clock.now()
    )


async def group_reply(update: Update, context: SigapContext) -> None:
    """A reply in a group: to a ticket (an answer for the citizen) or to a question the bot
    asked (the reason for a move). Replies to other people's messages are their business."""
    message = update.effective_message
    assert message is not None
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    if await moved_already(update, context):
        return  # the reason for a move, delivered again: its question is used up
    tr = desk_texts(context.services)
    db = context.services.db
    found = await complaints.find_message_with_complaint(db, message.chat.id, replied.message_id)
    ref, complaint = found if found is not None else (await _asked_again(context, replied), None)
    if ref is None or ref.kind not in ("ticket", "desk", "prompt"):
        await reply_in_group(update, context, tr.t("desk.reply_not_a_ticket"))
        return
    if found is None:  # asked again: its complaint is read now
        complaint = await complaints.get_complaint(db, ref.complaint_id)
    if complaint is None or not await authorised(update, context, complaint):
        return
    if is_final(Status(complaint.status)) or complaint.purged_at is not None:
        await reply_in_group(
            update,
            context,
            tr.t(
                "desk.closed",
                number=complaint.tracking_number,
                status=status_name(complaint.status, tr),
            ),
        )
        return
    if ref.kind == "prompt":
        await note_given(update, context, complaint, ref, message)
    elif ref.chat_id != complaint.desk_chat_id:
        await reply_in_group(update, context, await _elsewhere(context, complaint, ref.chat_id))
    else:
        await _staff_answer(update, context, complaint, message)


async def _asked_again(context: SigapContext, replied: Message) -> ComplaintMessage | None:
    """A question the bot asked and never remembered (killed between sending it and storing
    it): the press came round again after the restart and the question was asked again. A
    reply to the first is the answer to the second when the first names its complaint."""
    employee_id = context.actor.employee_id
    if employee_id is None:
        return None
    db = context.services.db
    again = await complaints.prompt_asked_again(
        db, replied.chat.id, replied.message_id, employee_id
    )
    if again is None:
        return None
    complaint = await complaints.get_complaint(db, again.complaint_id)
    if complaint is None or complaint.tracking_number not in (replied.text or ""):
        return None
    return again


async def _elsewhere(context: SigapContext, complaint: Complaint, chat_id: int) -> str:
    """Why an answer to an earlier ticket in this group does not reach the citizen: the
    complaint went to another unit, or its unit's desk moved (to another group, or this group
    became a supergroup) and the ticket was posted again there."""
    tr, db = desk_texts(context.services), context.services.db
    here = await complaints.desk_unit(db, chat_id)
    if here is None or here.id == complaint.unit_id:
        return tr.t("desk_lifecycle.ticket_moved", number=complaint.tracking_number)
    unit = await complaints.get_unit(db, complaint.unit_id)
    return tr.t(
        "desk.forwarded_elsewhere", number=complaint.tracking_number, unit=unit.name if unit else ""
    )


async def _staff_answer(
    update: Update, context: SigapContext, complaint: Complaint, message: Message
) -> None:
    """Relay a handler's answer to the citizen in the unit's name, and keep it."""
    tr = desk_texts(context.services)
    text = message.text or message.caption
    attachments: list[EvidenceDraft] = []
    if files.has_attachment(message):
        try:
            attachments.append(await files.download_attachment(context, message, "complaints"))
        except files.AttachmentTooBig:
            await reply_in_group(update, context, tr.t("complaint.attachment_too_big"))
            return
    elif message.text is None:
        await reply_in_group(update, context, tr.t("desk.answer_unsupported"))
        return
    services = context.services
    source = (message.chat_id, message.message_id)
    try:
        complaint, _ = await complaints.add_message(
            services.db,
            stored_id(complaint.id),
            side="staff",
            text=text,
            attachments=attachments,
            actor=f"tg:{context.actor.telegram_id}",
            employee_id=context.actor.employee_id,
            now=services.clock.now(),
            source=source,
            work=work_offer(context),
        )
    except complaints.AlreadyRecorded as again:
        await files.discard(context, attachments)  # kept if the first delivery stored it
        if again.relayed:
            return  # delivered again after a crash; it reached the citizen the first time
        complaint = again.complaint  # stored, then the process died before relaying it
    except complaints.ComplaintClosed:
        await files.discard(context, attachments)
        await reply_in_group(
            update,
            context,
            tr.t(
                "desk.closed", number=complaint.tracking_number, status=status_name("ditutup", tr)
            ),
        )
        return
    except Exception:
        await files.discard(context, attachments)
        raise
    delivered = await notify_citizen(
        context,
        complaint,
        lambda t, unit_name: t.t(
            "complaint.staff_answer", number=complaint.tracking_number, unit=unit_name
        ),
        body=text,
        attachments=attachments,
        relayed=source,
    )
    if not delivered:
        await complaints.mark_relayed(services.db, source)
    key = "desk.answer_sent" if delivered else "desk.answer_stored"
    await reply_in_group(update, context, tr.t(key, number=complaint.tracking_number))
