"""Both directions of the relay between a unit's desk and the citizen, outside any update.

Posting a ticket (with its photos and location as replies), showing its new status, a message
from the citizen's side into the desk (``tell_desk``), and everything the citizen is told about
their complaint (``notify_citizen``), so both directions live in one place. What follows a
committed move (``after_move``) is here too.

These take a ``Relay``: a bot and the services, which a handler's context has and the outbox
sender's hooks make as an ``Outside``. When a send meets "group chat was upgraded", the desk
follows its group to the new id (``desk_migrated``) and posts its open tickets there again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from domain.complaints import Move, Privacy, identity_shown
from handlers.common import not_modified
from handlers.desk.render import (
    citizen_keyboard,
    desk_texts,
    due_line,
    render_ticket,
    ticket_keyboard,
    ticket_text,
)
from models import complaints
from models.activities import EvidenceDraft
from models.identity import mark_blocked
from models.tables import Complaint, ComplaintAttachment
from models.types import stored_id
from services import Services
from texts import Html, Texts, escape, texts

log = logging.getLogger("sigap.complaints")

_TEXT_ROOM = 3500  # a relayed text longer than this goes in its own message (4096 limit)


class Relay(Protocol):
    """What posting and relaying need: a handler's context has both; the outbox sender's hooks,
    outside any update, make an ``Outside``."""

    @property
    def bot(self) -> Bot: ...

    @property
    def services(self) -> Services: ...


@dataclass(frozen=True)
class Outside:
    """A ``Relay`` outside any update: the outbox sender's bot and the services."""

    bot: Bot
    services: Services


def replying_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


async def send_with_header(
    relay: Relay,
    chat_id: int,
    header: str,
    body: str | None,
    *,
    reply_to: int | None = None,
    markup: InlineKeyboardMarkup | None = None,
) -> list[int]:
    """``header`` (HTML) and a person's ``body`` (plain, escaped here) in one message, or two
    when together they would not fit."""
    bot = relay.bot
    if body and len(body) > _TEXT_ROOM:
        first = await bot.send_message(chat_id, header, reply_parameters=replying_to(reply_to))
        second = await bot.send_message(
            chat_id, escape(body), reply_parameters=replying_to(reply_to), reply_markup=markup
        )
        return [first.message_id, second.message_id]
    text = f"{header}\n\n{escape(body)}" if body else header
    sent = await bot.send_message(
        chat_id, text, reply_parameters=replying_to(reply_to), reply_markup=markup
    )
    return [sent.message_id]


async def send_attachments(
    relay: Relay,
    chat_id: int,
    items: Sequence[ComplaintAttachment | EvidenceDraft],
    *,
    reply_to: int | None = None,
) -> list[int]:
    """Photos and documents by their Telegram file id (no upload needed)."""
    sent: list[int] = []
    for item in items:
        send = relay.bot.send_photo if item.kind == "photo" else relay.bot.send_document
        message = await send(chat_id, item.telegram_file_id, reply_parameters=replying_to(reply_to))
        sent.append(message.message_id)
    return sent


# --- Posting tickets ----------------------------------------------------------------------------


async def post_ticket(relay: Relay, complaint: Complaint) -> bool:
    """Post a complaint to its unit's desk with its photos and location. False when the unit
    has no desk yet (the ticket is posted when one is installed) or the group is unreachable."""
    db = relay.services.db
    chat_id = await complaints.desk_chat(db, complaint.unit_id)
    if chat_id is None:
        return False
    tr = desk_texts(relay.services)
    details = await complaints.ticket_details(db, complaint)
    try:
        ticket = await relay.bot.send_message(
            chat_id,
            render_ticket(complaint, details, tr),
            reply_markup=ticket_keyboard(complaint, tr),
        )
        await ticket_posted(
            relay, complaint, chat_id, ticket.message_id, attachments=details.attachments
        )
    except ChatMigrated as exc:
        return await _posted_after_upgrade(relay, complaint, chat_id, exc.new_chat_id)
    except TelegramError as exc:
        log.warning("could not post %s to desk %s: %s", complaint.tracking_number, chat_id, exc)
        return False
    return True


async def ticket_posted(
    relay: Relay,
    complaint: Complaint,
    chat_id: int,
    ticket_message_id: int,
    *,
    attachments: int | None = None,
) -> None:
    """A complaint's ticket is in its desk (sent here, or queued by the Open311 API and sent by
    the outbox): link it, so replies to it are routed, and send its photos and location as
    replies to it. Raises what Telegram raises for those. ``attachments``: how many it has,
    when known (the ticket counts them): none to send, none to read."""
    db, complaint_id = relay.services.db, stored_id(complaint.id)
    # The ticket shows the reporter's identity (where their choice allows): its audit record
    # commits with the ticket's link, one write instead of two.
    disclosed = (
        complaints.disclosure(
            complaint,
            "complaints.identity_shown",
            "system",
            relay.services.clock.now(),
            chat_id=chat_id,
            unit_id=complaint.unit_id,
        )
        if identity_shown(Privacy(complaint.privacy))
        else None
    )
    await complaints.set_ticket(db, complaint_id, chat_id, ticket_message_id, disclosed=disclosed)
    complaint.desk_chat_id, complaint.ticket_message_id = chat_id, ticket_message_id
    extra = (
        await send_attachments(
            relay,
            chat_id,
            await complaints.attachments_of(db, complaint_id),
            reply_to=ticket_message_id,
        )
        if attachments != 0
        else []
    )
    if complaint.latitude is not None and complaint.longitude is not None:
        location = await relay.bot.send_location(
            chat_id,
            complaint.latitude,
            complaint.longitude,
            reply_parameters=replying_to(ticket_message_id),
        )
        extra.append(location.message_id)
    await complaints.remember_messages(db, complaint_id, chat_id, extra, "desk")


async def refresh_ticket(
    relay: Relay,
    complaint: Complaint,
    where: tuple[int, int] | None = None,
    *,
    handling: bool = True,
) -> None:
    """Show a ticket's new status and the buttons it now allows (none once closed)."""
    if where is None:
        if complaint.desk_chat_id is None or complaint.ticket_message_id is None:
            return
        where = (complaint.desk_chat_id, complaint.ticket_message_id)
    tr = desk_texts(relay.services)
    markup = ticket_keyboard(complaint, tr) if handling else None
    try:
        await relay.bot.edit_message_text(
            await ticket_text(relay.services.db, complaint, tr, handling=handling),
            chat_id=where[0],
            message_id=where[1],
            reply_markup=markup,
        )
    except ChatMigrated as exc:
        # Edits in an upgraded group's old messages are allowed today; should Telegram refuse
        # them, the desk moves all the same and the ticket is posted again with its news.
        await desk_migrated(relay, where[0], exc.new_chat_id)
    except BadRequest as exc:
        if not not_modified(exc):
            log.warning("could not update ticket %s: %s", complaint.tracking_number, exc)


async def tell_desk(
    relay: Relay,
    complaint: Complaint,
    header: str,
    body: str | None = None,
    attachments: Sequence[EvidenceDraft] = (),
) -> bool:
    """A message from the citizen's side into the desk, as a reply to the ticket; staff can
    reply to it as to the ticket. False when no desk shows the complaint yet."""
    chat_id, ticket = complaint.desk_chat_id, complaint.ticket_message_id
    if chat_id is None or ticket is None:
        return False
    try:
        sent = await send_with_header(relay, chat_id, header, body, reply_to=ticket)
        sent += await send_attachments(relay, chat_id, attachments, reply_to=ticket)
    except ChatMigrated as exc:
        await desk_migrated(relay, chat_id, exc.new_chat_id)
        fresh = await complaints.get_complaint(relay.services.db, stored_id(complaint.id))
        if fresh is None or fresh.desk_chat_id == chat_id:
            return False
        return await tell_desk(relay, fresh, header, body, attachments)
    except TelegramError as exc:
        log.warning("could not relay to desk %s: %s", chat_id, exc)
        return False
    await complaints.remember_messages(
        relay.services.db, stored_id(complaint.id), chat_id, sent, "desk"
    )
    return True


# --- Telling the citizen ------------------------------------------------------------------------


async def notify_citizen(
    relay: Relay,
    complaint: Complaint,
    render: Callable[[Texts, str], str],
    *,
    body: str | None = None,
    attachments: Sequence[EvidenceDraft] = (),
    event_id: int | None = None,
    relayed: tuple[int, int] | None = None,
) -> bool:
    """Send the reporter a notice about their complaint, in their language, with the buttons
    that fit its status (``render`` is given their texts and the name of the complaint's unit).
    False when they cannot be reached (blocked the bot, data purged).
    ``relayed``: the incoming message the notice passes on, marked so with the notice's
    messages (one write); when False is returned the caller marks it."""
    reporter = complaint.reporter_telegram_id
    if reporter is None:
        return False
    services = relay.services
    state = await complaints.notice_state(services.db, complaint, reporter)
    if state.blocked:
        return False
    earlier = state.earlier
    tr = texts(state.language or services.settings.default_language)
    try:
        markup = citizen_keyboard(complaint, tr)
        notice = await send_with_header(
            relay, reporter, render(tr, state.unit_name), body, markup=markup
        )
        files = await send_attachments(relay, reporter, attachments)
    except Forbidden:
        await mark_blocked(services.db, reporter, services.clock.now())
        return False
    db, complaint_id = services.db, stored_id(complaint.id)
    # The last message of the notice carries the buttons (``send_with_header``), and the event
    # it announces (``complaints.unannounced_move``).
    detail: dict[str, object] = {"buttons": markup is not None}
    if event_id is not None:
        detail["event"] = event_id
    await complaints.record(
        db,
        [
            *complaints.remembered(complaint_id, reporter, notice[:-1], "citizen"),
            *complaints.remembered(complaint_id, reporter, notice[-1:], "citizen", detail=detail),
            *complaints.remembered(complaint_id, reporter, files, "citizen"),
            *([complaints.relayed(relayed)] if relayed is not None else []),
        ],
    )
    if earlier is not None:
        # Only the newest notice keeps its buttons ("✍️ Tambah keterangan" once, not under
        # every notice); replying to any of them still adds information.
        with contextlib.suppress(BadRequest):
            await relay.bot.edit_message_reply_markup(reporter, earlier, reply_markup=None)
    return True


def _move_notice(result: complaints.MoveResult) -> Callable[[Texts, str], str]:
    complaint, event = result.complaint, result.event
    move = Move(event.action)

    def render(tr: Texts, unit_name: str) -> str:
        return tr.t(
            f"complaint.notice_{move.value}",
            number=complaint.tracking_number,
            unit=unit_name,
            note=event.note or "",
            due=Html(due_line(complaint, tr)),
        )

    return render


async def after_move(relay: Relay, result: complaints.MoveResult) -> None:
    """Everything that follows a committed move: tickets, the citizen, the assignee."""
    complaint = result.complaint
    move = Move(result.event.action)
    # The ticket first, then the citizen: once they are told, the ticket shows what they were
    # told (a handler who moves on presses the buttons the move left).
    if move is Move.FORWARD:
        if result.previous_ticket is not None:
            await refresh_ticket(relay, complaint, result.previous_ticket, handling=False)
        await post_ticket(relay, complaint)
    else:
        await refresh_ticket(relay, complaint)
    if move is Move.ASSIGN and complaint.assignee_id is not None:
        await _tell_assignee(relay, complaint, complaint.assignee_id)
    await notify_citizen(relay, complaint, _move_notice(result), event_id=result.event.id)


async def together(*steps: Awaitable[object]) -> None:
    """Run ``steps`` at once and wait for all of them; the first failure (if any) is raised
    once all have ended, so none is cut off halfway (a ticket sent but not yet linked)."""
    outcomes = await asyncio.gather(*steps, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def _tell_assignee(relay: Relay, complaint: Complaint, employee_id: int) -> None:
    db = relay.services.db
    chat_id = await complaints.employee_chat(db, employee_id)
    if chat_id is None:
        return
    unit = await complaints.get_unit(db, complaint.unit_id)
    unit_name = unit.name if unit else ""
    try:
        await relay.bot.send_message(
            chat_id,
            desk_texts(relay.services).t(
                "desk.assigned_to_you", number=complaint.tracking_number, unit=unit_name
            ),
        )
    except TelegramError as exc:
        log.info("could not tell assignee %s: %s", employee_id, exc)


# --- A send met an upgraded group: the desk follows it -------------------------------------------


async def _posted_after_upgrade(
    relay: Relay, complaint: Complaint, old_chat_id: int, new_chat_id: int
) -> bool:
    """Posting met "group chat was upgraded": move the desk (which posts what waits, this
    complaint too) or, when another path moved it meanwhile, post at the new id."""
    db = relay.services.db
    await desk_migrated(relay, old_chat_id, new_chat_id)
    fresh = await complaints.get_complaint(db, stored_id(complaint.id))
    if fresh is None:
        return False
    if fresh.ticket_message_id is None and await complaints.desk_chat(db, fresh.unit_id) not in (
        None,
        old_chat_id,
    ):
        return await post_ticket(relay, fresh)
    complaint.desk_chat_id, complaint.ticket_message_id = (
        fresh.desk_chat_id,
        fresh.ticket_message_id,
    )
    return fresh.ticket_message_id is not None


async def desk_migrated(relay: Relay, old_chat_id: int, new_chat_id: int) -> bool:
    """A desk's group became a supergroup (its service messages, or a send that answered 400
    with ``migrate_to_chat_id``): move the desk, say so in the new group, and post its open
    tickets again there (the old messages stay in the old group, out of the bot's reach
    through the new id). Their buttons in the old group are retired. True if this call moved
    the desk; False when there was no desk at ``old_chat_id`` (or another path moved it)."""
    services = relay.services
    moved = await complaints.move_desk(
        services.db, old_chat_id, new_chat_id, actor="telegram", now=services.clock.now()
    )
    if moved is None:
        return False
    unit = moved.unit
    log.info("desk of %s moved from %s to supergroup %s", unit.code, old_chat_id, new_chat_id)
    for message_id in moved.old_tickets:
        try:
            await relay.bot.edit_message_reply_markup(old_chat_id, message_id, reply_markup=None)
        except TelegramError:
            pass  # gone or already without buttons; a press there is answered anyway
    waiting = await complaints.unposted(services.db, stored_id(unit.id))
    try:
        await relay.bot.send_message(
            new_chat_id,
            desk_texts(relay.services).t(
                "desk_lifecycle.moved", unit=unit.name, code=unit.code, count=len(waiting)
            ),
        )
    except TelegramError as exc:
        log.warning("could not greet the desk of %s in %s: %s", unit.code, new_chat_id, exc)
    for complaint in waiting:
        await post_ticket(relay, complaint)
    return True
