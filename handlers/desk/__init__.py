"""The unit side of complaints, and the relay between a unit and the citizen.

An admin turns a unit's Telegram group into its complaint desk (``/pasang_meja BLW-PU``). Each
new complaint of that unit is posted there as a *ticket* (photos and location as replies to
it), with the reporter shown only as the privacy choice allows. The unit's complaint handlers
press the ticket's buttons (Verifikasi, Proses, Tugaskan, Selesai, Bukan wewenang, Tolak,
Tutup); moves that need a reason ask for it as a reply in the group. Replying to a ticket
answers the citizen: the bot relays it in the unit's name, never the staff member's.

Everything the citizen is told about their complaint also goes out from here
(``notify_citizen``), so both directions of the relay live in one module.

The desk follows its group when Telegram turns it into a supergroup (``desk_migrated``: from
the service messages, a 400 on a direct send, or the outbox sender's hook), and an admin
removes it with ``/lepas_meja``; a group that removed the bot loses its desk too. Tickets the
desk no longer shows wait in ``complaints.unposted`` for the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from domain.access import Audience, DeskRefusal, complaint_desk_refusal, may_install_desk
from domain.complaints import (
    Deadlines,
    InvalidMove,
    Move,
    Privacy,
    Status,
    identity_shown,
    is_final,
    possible_moves,
    validate_note,
)
from domain.dates import format_date
from handlers import files
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, reply
from handlers.context import SigapContext
from handlers.routes import Button, Command, Route
from models import activities, complaints
from models.activities import EvidenceDraft
from models.identity import mark_blocked
from models.outbox import text_payload
from models.tables import Complaint, ComplaintAttachment, ComplaintMessage, Employee, Unit
from services import Services
from services.survey import offer_payload
from texts import Html, Texts, escape, texts

log = logging.getLogger("sigap.complaints")

# A ticket's buttons: ``desk:<move>:<complaint>[:<assignee or unit>]``, ``desk:contact|back:<id>``.
BUTTONS = CallbackData("desk", {m.value: "nn?" for m in Move} | {"contact": "n", "back": "n"})
UNINSTALL = CallbackData("deskrm", {"yes": "n", "no": "n"})  # ``deskrm:yes|no:<unit>``
# Under the notices to a citizen (answered by ``handlers.complaints``): ``cmp:<what>:<id>``.
CITIZEN_BUTTONS = CallbackData("cmp", {"show": "n", "ok": "n", "no": "n", "note": "n"})
_TEXT_ROOM = 3500  # a relayed text longer than this goes in its own message (4096 limit)

# The ticket's buttons, in rows; only the moves the status allows are shown.
_BUTTON_ROWS: tuple[tuple[Move, ...], ...] = (
    (Move.VERIFY, Move.PROCESS),
    (Move.ASSIGN, Move.RESOLVE),
    (Move.FORWARD, Move.REJECT),
    (Move.CLOSE,),
)


# --- Shared rendering -------------------------------------------------------------------------


def deadlines(context: SigapContext) -> Deadlines:
    settings = context.services.settings
    return Deadlines(
        verify_days=settings.complaint_verify_days,
        follow_up_days=settings.complaint_follow_up_days,
        reopen_days=settings.complaint_reopen_days,
    )


class Relay(Protocol):
    """What posting and relaying need: a handler's context has both; the outbox sender's hooks,
    outside any update, make an ``Outside``."""

    @property
    def bot(self) -> Bot: ...

    @property
    def services(self) -> Services: ...


@dataclass(frozen=True)
class Outside:
    bot: Bot
    services: Services


def desk_texts(context: Relay) -> Texts:
    """Desks are shared by several people: they read the office's default language."""
    return texts(context.services.settings.default_language)


def status_name(status: str, tr: Texts) -> str:
    return tr.plain(f"complaint_status.{status}")


def category_name(name: str, name_en: str, tr: Texts) -> str:
    return name_en if tr.language == "en" and name_en else name


def due_line(complaint: Complaint, tr: Texts) -> str:
    """The date that matters now: verification, follow-up, the citizen's answer; or the
    outcome once closed."""
    status = Status(complaint.status)
    if is_final(status):
        outcome = complaint.outcome or ("ditolak" if status is Status.DITOLAK else "selesai")
        return tr.t("complaint.line_outcome", outcome=tr.plain(f"complaint_outcome.{outcome}"))
    day: date | None
    if status in (Status.BARU, Status.DIALIHKAN):
        day, key = complaint.verification_due, "complaint.line_due_verify"
    elif status is Status.SELESAI:
        day, key = complaint.reopen_until, "complaint.line_due_confirm"
    else:
        day, key = complaint.follow_up_due, "complaint.line_due_follow_up"
    if day is None:
        return ""
    return tr.t(key, date=format_date(day, tr.language))


def reporter_line(complaint: Complaint, tr: Texts, *, handling: bool) -> str:
    privacy = Privacy(complaint.privacy)
    if privacy is Privacy.ANONIM or complaint.reporter_name is None:
        return tr.t("desk.reporter_alias", alias=complaint.reporter_alias)
    if not identity_shown(privacy, handling_unit=handling):
        return tr.t("desk.reporter_hidden")
    return tr.t("desk.reporter_named", name=complaint.reporter_name)


def reporter_label(complaint: Complaint, tr: Texts) -> str:
    """How the reporter is named in relayed messages (plain text, escaped by the caller)."""
    if Privacy(complaint.privacy) is Privacy.ANONIM or complaint.reporter_name is None:
        return tr.plain("desk.alias", alias=complaint.reporter_alias)
    return complaint.reporter_name


async def ticket_text(
    context: Relay, complaint: Complaint, tr: Texts, *, handling: bool = True
) -> str:
    details = await complaints.ticket_details(context.services.db, complaint)
    status = Status(complaint.status)
    lines = [
        tr.t(
            "desk.ticket_title",
            number=complaint.tracking_number,
            kind=tr.plain(f"complaint_kind.{complaint.kind}"),
        ),
        tr.t(
            "desk.ticket_category",
            category=category_name(details.category.name, details.category.name_en, tr),
            unit=details.unit.name,
        ),
        tr.t("desk.ticket_status", status=status_name(status, tr)),
    ]
    due = due_line(complaint, tr)
    if due:
        lines.append(due)
    if details.assignee is not None and not is_final(status):
        lines.append(tr.t("desk.ticket_assignee", name=details.assignee.name))
    if details.forwarded_from is not None and status is Status.DIALIHKAN:
        source, reason = details.forwarded_from
        lines.append(tr.t("desk.ticket_forwarded", unit=source, reason=_short(reason or "—")))
    lines.append(reporter_line(complaint, tr, handling=handling))
    if Privacy(complaint.privacy) is Privacy.RAHASIA:
        lines.append(tr.t("desk.ticket_secret"))
    if complaint.location_text:
        lines.append(tr.t("desk.ticket_location", location=complaint.location_text))
    elif complaint.latitude is not None:
        lines.append(tr.t("desk.ticket_map"))
    if details.attachments:
        lines.append(tr.t("desk.ticket_attachments", count=details.attachments))
    lines.append("")
    lines.append(escape(complaint.story))
    if handling and not is_final(status):
        lines.append("")
        lines.append(tr.t("desk.ticket_reply_hint"))
    return "\n".join(lines)


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ticket_keyboard(complaint: Complaint, tr: Texts) -> InlineKeyboardMarkup | None:
    possible = set(possible_moves(Status(complaint.status)))
    rows: list[list[tuple[str, str]]] = []
    for row in _BUTTON_ROWS:
        shown = [m for m in row if m in possible]
        if shown:
            rows.append(
                [
                    (tr.plain(f"desk.button_{m.value}"), BUTTONS.pack(m.value, complaint.id))
                    for m in shown
                ]
            )
    if (
        complaint.contact_phone
        and identity_shown(Privacy(complaint.privacy))
        and not is_final(Status(complaint.status))
    ):
        rows.append([(tr.plain("desk.button_contact"), BUTTONS.pack("contact", complaint.id))])
    return buttons(rows) if rows else None


def citizen_keyboard(complaint: Complaint, tr: Texts) -> InlineKeyboardMarkup | None:
    """Under a notice to the citizen: confirm or reopen after "selesai", else add information."""
    status = Status(complaint.status)
    if status is Status.SELESAI:
        return buttons(
            [
                [
                    (tr.plain("complaint.button_solved"), CITIZEN_BUTTONS.pack("ok", complaint.id)),
                    (
                        tr.plain("complaint.button_not_solved"),
                        CITIZEN_BUTTONS.pack("no", complaint.id),
                    ),
                ]
            ]
        )
    if is_final(status):
        return None
    return buttons(
        [[(tr.plain("complaint.button_add"), CITIZEN_BUTTONS.pack("note", complaint.id))]]
    )


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


async def send_with_header(
    context: Relay,
    chat_id: int,
    header: str,
    body: str | None,
    *,
    reply_to: int | None = None,
    markup: InlineKeyboardMarkup | None = None,
) -> list[int]:
    """``header`` (HTML) and a person's ``body`` (plain, escaped here) in one message, or two
    when together they would not fit."""
    bot = context.bot
    if body and len(body) > _TEXT_ROOM:
        first = await bot.send_message(chat_id, header, reply_parameters=_reply_to(reply_to))
        second = await bot.send_message(
            chat_id, escape(body), reply_parameters=_reply_to(reply_to), reply_markup=markup
        )
        return [first.message_id, second.message_id]
    text = f"{header}\n\n{escape(body)}" if body else header
    sent = await bot.send_message(
        chat_id, text, reply_parameters=_reply_to(reply_to), reply_markup=markup
    )
    return [sent.message_id]


async def send_attachments(
    context: Relay,
    chat_id: int,
    items: Sequence[ComplaintAttachment | EvidenceDraft],
    *,
    reply_to: int | None = None,
) -> list[int]:
    """Photos and documents by their Telegram file id (no upload needed)."""
    sent: list[int] = []
    for item in items:
        send = context.bot.send_photo if item.kind == "photo" else context.bot.send_document
        message = await send(chat_id, item.telegram_file_id, reply_parameters=_reply_to(reply_to))
        sent.append(message.message_id)
    return sent


# --- Attachments ------------------------------------------------------------------------------


# --- Posting tickets ----------------------------------------------------------------------------


async def post_ticket(context: Relay, complaint: Complaint) -> bool:
    """Post a complaint to its unit's desk with its photos and location. False when the unit
    has no desk yet (the ticket is posted when one is installed) or the group is unreachable."""
    db = context.services.db
    chat_id = await complaints.desk_chat(db, complaint.unit_id)
    if chat_id is None:
        return False
    tr = desk_texts(context)
    try:
        ticket = await context.bot.send_message(
            chat_id,
            await ticket_text(context, complaint, tr),
            reply_markup=ticket_keyboard(complaint, tr),
        )
        await complaints.set_ticket(db, complaint.id, chat_id, ticket.message_id)  # type: ignore[arg-type]
        extra = await send_attachments(
            context,
            chat_id,
            await complaints.attachments_of(db, complaint.id),  # type: ignore[arg-type]
            reply_to=ticket.message_id,
        )
        if complaint.latitude is not None and complaint.longitude is not None:
            location = await context.bot.send_location(
                chat_id,
                complaint.latitude,
                complaint.longitude,
                reply_parameters=_reply_to(ticket.message_id),
            )
            extra.append(location.message_id)
    except ChatMigrated as exc:
        return await _posted_after_upgrade(context, complaint, chat_id, exc.new_chat_id)
    except TelegramError as exc:
        log.warning("could not post %s to desk %s: %s", complaint.tracking_number, chat_id, exc)
        return False
    await complaints.remember_messages(db, complaint.id, chat_id, extra, "desk")  # type: ignore[arg-type]
    if identity_shown(Privacy(complaint.privacy)):
        await complaints.record_disclosure(
            db,
            complaint,
            "complaints.identity_shown",
            "system",
            context.services.clock.now(),
            chat_id=chat_id,
            unit_id=complaint.unit_id,
        )
    complaint.desk_chat_id, complaint.ticket_message_id = chat_id, ticket.message_id
    return True


async def refresh_ticket(
    context: SigapContext,
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
    tr = desk_texts(context)
    markup = ticket_keyboard(complaint, tr) if handling else None
    try:
        await context.bot.edit_message_text(
            await ticket_text(context, complaint, tr, handling=handling),
            chat_id=where[0],
            message_id=where[1],
            reply_markup=markup,
        )
    except ChatMigrated as exc:
        # Edits in an upgraded group's old messages are allowed today; should Telegram refuse
        # them, the desk moves all the same and the ticket is posted again with its news.
        await desk_migrated(context, where[0], exc.new_chat_id)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            log.warning("could not update ticket %s: %s", complaint.tracking_number, exc)


async def tell_desk(
    context: SigapContext,
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
        sent = await send_with_header(context, chat_id, header, body, reply_to=ticket)
        sent += await send_attachments(context, chat_id, attachments, reply_to=ticket)
    except ChatMigrated as exc:
        await desk_migrated(context, chat_id, exc.new_chat_id)
        fresh = await complaints.get_complaint(context.services.db, complaint.id)  # type: ignore[arg-type]
        if fresh is None or fresh.desk_chat_id == chat_id:
            return False
        return await tell_desk(context, fresh, header, body, attachments)
    except TelegramError as exc:
        log.warning("could not relay to desk %s: %s", chat_id, exc)
        return False
    await complaints.remember_messages(context.services.db, complaint.id, chat_id, sent, "desk")  # type: ignore[arg-type]
    return True


# --- Telling the citizen ------------------------------------------------------------------------


async def notify_citizen(
    context: SigapContext,
    complaint: Complaint,
    render: Callable[[Texts], str],
    *,
    body: str | None = None,
    attachments: Sequence[EvidenceDraft] = (),
) -> bool:
    """Send the reporter a notice about their complaint, in their language, with the buttons
    that fit its status. False when they cannot be reached (blocked the bot, data purged)."""
    reporter = complaint.reporter_telegram_id
    if reporter is None:
        return False
    services = context.services
    language, blocked = await complaints.citizen_chat_state(services.db, reporter)
    if blocked:
        return False
    tr = texts(language or services.settings.default_language)
    try:
        sent = await send_with_header(
            context, reporter, render(tr), body, markup=citizen_keyboard(complaint, tr)
        )
        sent += await send_attachments(context, reporter, attachments)
    except Forbidden:
        await mark_blocked(services.db, reporter, services.clock.now())
        return False
    await complaints.remember_messages(services.db, complaint.id, reporter, sent, "citizen")  # type: ignore[arg-type]
    return True


def _move_notice(result: complaints.MoveResult, unit_name: str) -> Callable[[Texts], str]:
    complaint, event = result.complaint, result.event
    move = Move(event.action)

    def render(tr: Texts) -> str:
        return tr.t(
            f"complaint.notice_{move.value}",
            number=complaint.tracking_number,
            unit=unit_name,
            note=event.note or "",
            due=Html(due_line(complaint, tr)),
        )

    return render


async def after_move(context: SigapContext, result: complaints.MoveResult) -> None:
    """Everything that follows a committed move: tickets, the citizen, the assignee."""
    complaint, db = result.complaint, context.services.db
    unit = await complaints.get_unit(db, complaint.unit_id)
    unit_name = unit.name if unit else ""
    move = Move(result.event.action)
    if move is Move.FORWARD:
        if result.previous_ticket is not None:
            await refresh_ticket(context, complaint, result.previous_ticket, handling=False)
        await post_ticket(context, complaint)
    else:
        await refresh_ticket(context, complaint)
    if move is Move.ASSIGN and complaint.assignee_id is not None:
        await _tell_assignee(context, complaint, complaint.assignee_id, unit_name)
    await notify_citizen(context, complaint, _move_notice(result, unit_name))


async def _tell_assignee(
    context: SigapContext, complaint: Complaint, employee_id: int, unit_name: str
) -> None:
    chat_id = await complaints.employee_chat(context.services.db, employee_id)
    if chat_id is None:
        return
    try:
        await context.bot.send_message(
            chat_id,
            desk_texts(context).t(
                "desk.assigned_to_you", number=complaint.tracking_number, unit=unit_name
            ),
        )
    except TelegramError as exc:
        log.info("could not tell assignee %s: %s", employee_id, exc)


# --- /pasang_meja -------------------------------------------------------------------------------


async def install_desk_command(update: Update, context: SigapContext) -> None:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    tr = context.texts if chat.type == ChatType.PRIVATE else desk_texts(context)
    if chat.type == ChatType.PRIVATE:
        await reply(update, context, tr.t("desk.install_in_group"))
        return
    if not may_install_desk(context.actor):
        await reply(update, context, tr.t("common.denied"))
        return
    args = context.args or []
    db, now = context.services.db, context.services.clock.now()
    if not args:
        await reply(update, context, tr.t("desk.install_usage", codes=await _unit_codes(context)))
        return
    installed = await complaints.install_desk(
        db, args[0], chat.id, chat.title or "", telegram_id=user.id, now=now
    )
    if installed is None:
        await reply(
            update,
            context,
            tr.t("desk.unknown_unit", code=args[0][:20], codes=await _unit_codes(context)),
        )
        return
    unit = installed.unit
    handlers = await complaints.unit_handlers(db, unit.id)  # type: ignore[arg-type]
    names = ", ".join(e.name for e in handlers) or "—"
    text = tr.t("desk.installed", unit=unit.name, code=unit.code, count=len(handlers), names=names)
    waiting = await complaints.unposted(db, unit.id)  # type: ignore[arg-type]
    if installed.moved_from is not None:
        await _tell_old_desk(context, installed, chat.title or "", len(waiting))
        text += "\n" + tr.t(
            "desk_lifecycle.moved_here", title=installed.old_title or "—", count=len(waiting)
        )
    await reply(update, context, text)
    for complaint in waiting:
        await post_ticket(context, complaint)


async def _tell_old_desk(
    context: SigapContext, installed: complaints.DeskInstall, title: str, count: int
) -> None:
    """The desk moved to another group: say so where it was, and retire the buttons of the
    tickets there (a press or a reply on them points to the new ticket)."""
    old_chat_id, unit = installed.moved_from, installed.unit
    assert old_chat_id is not None
    text = desk_texts(context).t(
        "desk_lifecycle.moved_away", unit=unit.name, code=unit.code, title=title, count=count
    )
    try:
        await context.bot.send_message(old_chat_id, text)
    except TelegramError as exc:
        log.info("could not tell the old desk group %s of %s: %s", old_chat_id, unit.code, exc)
        return
    for message_id in installed.old_tickets:
        try:
            await context.bot.edit_message_reply_markup(old_chat_id, message_id, reply_markup=None)
        except TelegramError:
            pass  # gone or already without buttons; a press there is answered anyway


# --- The desk's group changes: upgraded to a supergroup, desk removed ----------------------------


async def _posted_after_upgrade(
    context: Relay, complaint: Complaint, old_chat_id: int, new_chat_id: int
) -> bool:
    """Posting met "group chat was upgraded": move the desk (which posts what waits, this
    complaint too) or, when another path moved it meanwhile, post at the new id."""
    db = context.services.db
    await desk_migrated(context, old_chat_id, new_chat_id)
    fresh = await complaints.get_complaint(db, complaint.id)  # type: ignore[arg-type]
    if fresh is None:
        return False
    if fresh.ticket_message_id is None and await complaints.desk_chat(db, fresh.unit_id) not in (
        None,
        old_chat_id,
    ):
        return await post_ticket(context, fresh)
    complaint.desk_chat_id, complaint.ticket_message_id = (
        fresh.desk_chat_id,
        fresh.ticket_message_id,
    )
    return fresh.ticket_message_id is not None


async def desk_migrated(context: Relay, old_chat_id: int, new_chat_id: int) -> bool:
    """A desk's group became a supergroup (its service messages, or a send that answered 400
    with ``migrate_to_chat_id``): move the desk, say so in the new group, and post its open
    tickets again there (the old messages stay in the old group, out of the bot's reach
    through the new id). Their buttons in the old group are retired. True if this call moved
    the desk; False when there was no desk at ``old_chat_id`` (or another path moved it)."""
    services = context.services
    moved = await complaints.move_desk(
        services.db, old_chat_id, new_chat_id, actor="telegram", now=services.clock.now()
    )
    if moved is None:
        return False
    unit = moved.unit
    log.info("desk of %s moved from %s to supergroup %s", unit.code, old_chat_id, new_chat_id)
    for message_id in moved.old_tickets:
        try:
            await context.bot.edit_message_reply_markup(old_chat_id, message_id, reply_markup=None)
        except TelegramError:
            pass  # gone or already without buttons; a press there is answered anyway
    waiting = await complaints.unposted(services.db, unit.id)  # type: ignore[arg-type]
    try:
        await context.bot.send_message(
            new_chat_id,
            desk_texts(context).t(
                "desk_lifecycle.moved", unit=unit.name, code=unit.code, count=len(waiting)
            ),
        )
    except TelegramError as exc:
        log.warning("could not greet the desk of %s in %s: %s", unit.code, new_chat_id, exc)
    for complaint in waiting:
        await post_ticket(context, complaint)
    return True


async def chat_migrated(update: Update, context: SigapContext) -> None:
    """The service messages of a group that became a supergroup (one in each chat)."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id:
        await desk_migrated(context, message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await desk_migrated(context, message.migrate_from_chat_id, message.chat.id)


def migrated_hook(bot: Bot, services: Services) -> Callable[[int, int], Awaitable[None]]:
    """For the outbox sender: a queued message met the 400 of an upgraded group."""

    async def hook(old_chat_id: int, new_chat_id: int) -> None:
        await desk_migrated(Outside(bot, services), old_chat_id, new_chat_id)

    return hook


async def uninstall_desk_command(update: Update, context: SigapContext) -> None:
    """``/lepas_meja`` in a desk group, by an admin: asks before removing the desk."""
    chat = update.effective_chat
    assert chat is not None
    if chat.type == ChatType.PRIVATE:
        await reply(update, context, context.texts.t("desk_lifecycle.uninstall_in_group"))
        return
    tr = desk_texts(context)
    if not may_install_desk(context.actor):
        await reply(update, context, tr.t("common.denied"))
        return
    unit = await complaints.desk_unit(context.services.db, chat.id)
    if unit is None:
        await reply(update, context, tr.t("desk_lifecycle.not_a_desk"))
        return
    markup = buttons(
        [
            [
                (tr.plain("desk_lifecycle.button_confirm"), UNINSTALL.pack("yes", unit.id)),
                (tr.plain("desk_lifecycle.button_cancel"), UNINSTALL.pack("no", unit.id)),
            ]
        ]
    )
    await reply(
        update, context, tr.t("desk_lifecycle.confirm", unit=unit.name, code=unit.code), markup
    )


async def uninstall_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = desk_texts(context)
    press = UNINSTALL.unpack(query.data)
    if press is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    unit_id = press.numbers[0]
    if not may_install_desk(context.actor) or query.message is None:
        await answer_button(update, context.texts.plain("common.denied"), alert=True)
        return
    chat_id = query.message.chat.id
    if press.verb == "no":
        await answer_button(update)
        await _replace_question(update, tr.t("desk_lifecycle.cancelled"))
        return
    services = context.services
    removed = await complaints.remove_desk(
        services.db,
        chat_id,
        actor=f"tg:{context.actor.telegram_id}",
        now=services.clock.now(),
        reason="uninstalled",
        unit_id=unit_id,
    )
    if removed is None:
        await answer_button(update, tr.plain("desk_lifecycle.already_removed"), alert=True)
        await _retire_keyboard(update)
        return
    await answer_button(update)
    unit = removed.unit
    await _replace_question(
        update,
        tr.t("desk_lifecycle.removed", unit=unit.name, code=unit.code, count=removed.open_tickets),
    )


async def _replace_question(update: Update, text: str) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=None)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def bot_left_group(update: Update, context: SigapContext) -> None:
    """The bot was removed from a group (``my_chat_member`` left/kicked)."""
    change = update.my_chat_member
    assert change is not None
    await desk_lost(
        context.services,
        change.chat.id,
        actor=f"tg:{change.from_user.id}" if change.from_user else "telegram",
        reason=f"bot_{change.new_chat_member.status}",
        wake_outbox=context.bot_data.wake_outbox,
    )


async def desk_lost(
    services: Services,
    chat_id: int,
    *,
    actor: str,
    reason: str,
    wake_outbox: Callable[[], None],
) -> None:
    """The bot is no longer in this group. If it was a desk, the desk is removed and the
    operators (``SIGAP_ADMIN_IDS``) are told through the outbox, in the same transaction."""
    now = services.clock.now()
    tr = texts(services.settings.default_language)

    def notices(unit: Unit, open_tickets: int, title: str) -> list[tuple[str, int, dict[str, Any]]]:
        text = tr.t(
            "desk_lifecycle.bot_removed",
            title=title or str(chat_id),
            unit=unit.name,
            code=unit.code,
            count=open_tickets,
        )
        stamp = now.strftime("%Y%m%dT%H%M%S")
        return [
            (f"desk_removed:{chat_id}:{stamp}:{admin}", admin, text_payload(text))
            for admin in services.settings.admin_ids
        ]

    removed = await complaints.remove_desk(
        services.db, chat_id, actor=actor, now=now, reason=reason, notices=notices
    )
    if removed is not None:
        log.warning("the bot was removed from the desk group of %s", removed.unit.code)
        wake_outbox()


def blocked_hook(
    services: Services,
    *,
    wake_outbox: Callable[[], None],
    then: Callable[[int], Awaitable[None]],
) -> Callable[[int], Awaitable[None]]:
    """For the outbox sender: a chat answered 403. A desk group that removed the bot (while
    this process was not listening, so no ``my_chat_member``) loses its desk; then ``then``."""

    async def hook(chat_id: int) -> None:
        if chat_id < 0:
            await desk_lost(
                services,
                chat_id,
                actor="telegram",
                reason="bot_unreachable",
                wake_outbox=wake_outbox,
            )
        await then(chat_id)

    return hook


async def _unit_codes(context: SigapContext) -> str:
    return ", ".join(await complaints.unit_codes(context.services.db))


# --- Ticket buttons -----------------------------------------------------------------------------


def _refusal_text(refusal: DeskRefusal, unit_name: str, tr: Texts) -> str:
    return tr.plain(f"desk.refused_{refusal.value}", unit=unit_name)


async def _authorised(update: Update, context: SigapContext, complaint: Complaint) -> bool:
    """Answer the press (or the reply) politely and return False unless this person is a
    complaint handler of the complaint's unit."""
    refusal = complaint_desk_refusal(context.actor, complaint.unit_id)
    if refusal is None:
        return True
    unit = await complaints.get_unit(context.services.db, complaint.unit_id)
    text = _refusal_text(refusal, unit.name if unit else "", context.texts)
    if update.callback_query is not None:
        await answer_button(update, text, alert=True)
    else:
        await _reply_in_group(update, context, escape(text))
    return False


async def desk_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.texts
    press = BUTTONS.unpack(query.data)
    if press is None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    action, complaint_id = press.verb, press.numbers[0]
    extra = press.numbers[1] if len(press.numbers) > 1 else None
    complaint = await complaints.get_complaint(context.services.db, complaint_id)
    if complaint is None or complaint.purged_at is not None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    if not await _authorised(update, context, complaint):
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
        await _retire_keyboard(update)
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
        await _retire_keyboard(update)
        return
    if action == "contact":
        await _show_contact(update, context, complaint)
        return
    if action == "back":
        await answer_button(update)
        await _set_keyboard(update, ticket_keyboard(complaint, desk_texts(context)))
        return
    try:
        move = Move(action)
    except ValueError:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    if move not in possible_moves(status):
        await _not_now(update, context, complaint)
        return
    if move is Move.ASSIGN and extra is None:
        await _offer_assignees(update, context, complaint)
    elif move is Move.FORWARD and extra is None:
        await _offer_units(update, context, complaint)
    elif move in (Move.VERIFY, Move.PROCESS, Move.ASSIGN):
        await _move_now(update, context, complaint, move, assignee_id=extra)
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
    fresh = await complaints.get_complaint(db, complaint.id)  # type: ignore[arg-type]
    return fresh is not None and where != (fresh.desk_chat_id, fresh.ticket_message_id)


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


async def _set_keyboard(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def _retire_keyboard(update: Update) -> None:
    try:
        await _set_keyboard(update, None)
    except (BadRequest, ChatMigrated):
        pass  # the message is gone (or out of reach): nothing to retire


async def _offer_assignees(update: Update, context: SigapContext, complaint: Complaint) -> None:
    people = await complaints.unit_handlers(context.services.db, complaint.unit_id)
    if not people:
        await answer_button(update, context.texts.plain("desk.no_handlers"), alert=True)
        return
    await answer_button(update, context.texts.plain("desk.choose_assignee"))
    await _set_keyboard(update, _choice_keyboard(complaint, Move.ASSIGN, people, context))


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
    await _set_keyboard(update, _choice_keyboard(complaint, Move.FORWARD, units, context))


def _choice_keyboard(
    complaint: Complaint, move: Move, choices: Sequence[Employee | Unit], context: SigapContext
) -> InlineKeyboardMarkup:
    tr = desk_texts(context)
    rows = [
        [(choice.name, BUTTONS.pack(move.value, complaint.id, choice.id))] for choice in choices
    ]
    rows.append([(tr.plain("desk.button_back"), BUTTONS.pack("back", complaint.id))])
    return buttons(rows)


async def _move_now(
    update: Update,
    context: SigapContext,
    complaint: Complaint,
    move: Move,
    *,
    note: str | None = None,
    target_unit_id: int | None = None,
    assignee_id: int | None = None,
) -> complaints.MoveResult | None:
    """Apply a move for the staff member behind this update; None (and an answer) if the
    complaint moved on meanwhile."""
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
            complaint.id,  # type: ignore[arg-type]
            move,
            actor=f"tg:{actor.telegram_id}",
            employee_id=actor.employee_id,
            now=services.clock.now(),
            today=context.services.today(),
            calendar=await activities.work_calendar(services.db),
            deadlines=deadlines(context),
            note=note,
            target_unit_id=target_unit_id,
            assignee_id=assignee_id,
            survey_offer=offer_payload,
        )
    except (InvalidMove, LookupError):
        fresh = await complaints.get_complaint(services.db, complaint.id)  # type: ignore[arg-type]
        if update.callback_query is not None:
            await _not_now(update, context, fresh or complaint)
        else:
            await _reply_in_group(
                update,
                context,
                context.texts.t(
                    "desk.not_now",
                    number=complaint.tracking_number,
                    status=status_name((fresh or complaint).status, context.texts),
                ),
            )
        return None
    await answer_button(
        update,
        context.texts.plain(
            "desk.moved", status=status_name(result.complaint.status, context.texts)
        ),
    )
    await after_move(context, result)
    return result


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
    tr = desk_texts(context)
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
        await _set_keyboard(update, ticket_keyboard(complaint, tr))
    who = Html(f'<a href="tg://user?id={user.id}">{escape(user.first_name)}</a>')
    prompt = await context.bot.send_message(
        query.message.chat.id,
        tr.t(f"desk.ask_{move.value}", who=who, number=complaint.tracking_number, unit=unit_name),
        reply_parameters=_reply_to(complaint.ticket_message_id),
        reply_markup=ForceReply(
            selective=True, input_field_placeholder=tr.plain("desk.placeholder")
        ),
    )
    await complaints.remember_messages(
        context.services.db,
        complaint.id,  # type: ignore[arg-type]
        prompt.chat.id,
        [prompt.message_id],
        "prompt",
        move=move.value,
        employee_id=context.actor.employee_id,
        detail=detail,
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
            name=_short(complaint.reporter_name or "", 80),
            phone=complaint.contact_phone,
        ),
        alert=True,
    )


# --- Replies in the group -----------------------------------------------------------------------


async def _reply_in_group(update: Update, context: SigapContext, text: str) -> None:
    message = update.effective_message
    assert message is not None
    await context.bot.send_message(
        message.chat.id, text, reply_parameters=_reply_to(message.message_id)
    )


async def group_reply(update: Update, context: SigapContext) -> None:
    """A reply in a group: to a ticket (an answer for the citizen) or to a question the bot
    asked (the reason for a move). Replies to other people's messages are their business."""
    message = update.effective_message
    assert message is not None
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    tr = desk_texts(context)
    ref = await complaints.find_message(context.services.db, message.chat.id, replied.message_id)
    if ref is None or ref.kind not in ("ticket", "desk", "prompt"):
        await _reply_in_group(update, context, tr.t("desk.reply_not_a_ticket"))
        return
    complaint = await complaints.get_complaint(context.services.db, ref.complaint_id)
    if complaint is None or not await _authorised(update, context, complaint):
        return
    if is_final(Status(complaint.status)) or complaint.purged_at is not None:
        await _reply_in_group(
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
        await _note_given(update, context, complaint, ref, message)
    elif ref.chat_id != complaint.desk_chat_id:
        await _reply_in_group(update, context, await _elsewhere(context, complaint, ref.chat_id))
    else:
        await _staff_answer(update, context, complaint, message)


async def _elsewhere(context: SigapContext, complaint: Complaint, chat_id: int) -> str:
    """Why an answer to an earlier ticket in this group does not reach the citizen: the
    complaint went to another unit, or its unit's desk moved (to another group, or this group
    became a supergroup) and the ticket was posted again there."""
    tr, db = desk_texts(context), context.services.db
    here = await complaints.desk_unit(db, chat_id)
    if here is None or here.id == complaint.unit_id:
        return tr.t("desk_lifecycle.ticket_moved", number=complaint.tracking_number)
    unit = await complaints.get_unit(db, complaint.unit_id)
    return tr.t(
        "desk.forwarded_elsewhere", number=complaint.tracking_number, unit=unit.name if unit else ""
    )


async def _note_given(
    update: Update,
    context: SigapContext,
    complaint: Complaint,
    ref: ComplaintMessage,
    message: Message,
) -> None:
    tr = desk_texts(context)
    if ref.employee_id != context.actor.employee_id:
        await _reply_in_group(update, context, tr.t("desk.prompt_other_person"))
        return
    if message.text is None:
        await _reply_in_group(update, context, tr.t("desk.note_needed"))
        return
    note = validate_note(message.text)
    if not isinstance(note, str):
        await _reply_in_group(update, context, tr.t(f"complaint.{note.code}", **note.params))
        return
    if not await complaints.take_prompt(context.services.db, ref.id):  # type: ignore[arg-type]
        await _reply_in_group(update, context, tr.t("desk.prompt_used"))
        return
    result = await _move_now(
        update,
        context,
        complaint,
        Move(ref.move or ""),
        note=note,
        target_unit_id=ref.detail.get("unit_id"),
    )
    if result is not None:
        await _reply_in_group(
            update,
            context,
            tr.t(
                "desk.done",
                number=complaint.tracking_number,
                status=status_name(result.complaint.status, tr),
            ),
        )


async def _staff_answer(
    update: Update, context: SigapContext, complaint: Complaint, message: Message
) -> None:
    """Relay a handler's answer to the citizen in the unit's name, and keep it."""
    tr = desk_texts(context)
    text = message.text or message.caption
    attachments: list[EvidenceDraft] = []
    if files.has_attachment(message):
        try:
            attachments.append(await files.download_attachment(context, message, "complaints"))
        except files.AttachmentTooBig:
            await _reply_in_group(update, context, tr.t("complaint.attachment_too_big"))
            return
    elif message.text is None:
        await _reply_in_group(update, context, tr.t("desk.answer_unsupported"))
        return
    services = context.services
    source = (message.chat_id, message.message_id)
    try:
        complaint, _ = await complaints.add_message(
            services.db,
            complaint.id,  # type: ignore[arg-type]
            side="staff",
            text=text,
            attachments=attachments,
            actor=f"tg:{context.actor.telegram_id}",
            employee_id=context.actor.employee_id,
            now=services.clock.now(),
            source=source,
        )
    except complaints.AlreadyRecorded as again:
        await files.discard(context, attachments)  # kept if the first delivery stored it
        if again.relayed:
            return  # delivered again after a crash; it reached the citizen the first time
        complaint = again.complaint  # stored, then the process died before relaying it
    except complaints.ComplaintClosed:
        await files.discard(context, attachments)
        await _reply_in_group(
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
    unit = await complaints.get_unit(services.db, complaint.unit_id)
    unit_name = unit.name if unit else ""
    delivered = await notify_citizen(
        context,
        complaint,
        lambda t: t.t("complaint.staff_answer", number=complaint.tracking_number, unit=unit_name),
        body=text,
        attachments=attachments,
    )
    await complaints.mark_relayed(services.db, source)
    key = "desk.answer_sent" if delivered else "desk.answer_stored"
    await _reply_in_group(update, context, tr.t(key, number=complaint.tracking_number))


ROUTES: list[Route] = [
    Command(
        "pasang_meja",
        install_desk_command,
        "complaint_commands.install_desk",
        (Audience.ADMIN,),
        english="install_desk",
    ),
    Command(
        "lepas_meja",
        uninstall_desk_command,
        "desk_lifecycle.command",
        (Audience.ADMIN,),
        english="uninstall_desk",
    ),
    Button(BUTTONS, desk_button),
    Button(UNINSTALL, uninstall_button),
]
