"""Citizens file complaints and follow them (/aduan, /status).

/aduan: type → category → what happened (when, where) → location (shared, typed, or skipped)
→ photos or documents (0..5, "Selesai") → privacy (biasa / rahasia / anonim) → phone number
(optional, with explicit consent; never for anonymous reports) → summary → Submit. Submit
commits the complaint and ends the flow in one transaction, then answers with the tracking
number and the verification date, then posts the ticket to the unit's desk (``handlers.desk``).

Afterwards the citizen adds information by replying to any notice about the complaint (or its
"Tambah keterangan" button), and confirms or reopens it after the unit says it is solved.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from telegram import (
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from domain.access import Action, Audience, allowed, complaint_owner_refusal
from domain.complaints import (
    MAX_ATTACHMENTS,
    STORY_MIN,
    InvalidMove,
    Kind,
    Move,
    Privacy,
    Problem,
    Status,
    can_reopen,
    contact_allowed,
    find_duplicate,
    is_final,
    parse_coordinates,
    parse_tracking_number,
    validate_address,
    validate_note,
    validate_story,
)
from domain.dates import format_datetime
from domain.ids import parse_id
from handlers import files
from handlers.common import answer_button, buttons, reply, requires
from handlers.context import SigapContext
from handlers.desk.relay import notify_citizen, post_ticket, refresh_ticket, tell_desk
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
from handlers.routes import Button, Command, Route, employee_keyboard
from models import activities, complaints
from models.activities import EvidenceDraft
from models.complaints import DAY
from models.tables import Complaint, ComplaintEvent
from services.survey import offer_payload
from texts import LANGUAGES, Html, Texts, texts

HISTORY_LINES = 12  # with notes cut to 150 characters, a history fits one message


def _problem(problem: Problem, tr: Texts) -> str:
    return tr.t(f"complaint.{problem.code}", **problem.params)


def _after_keyboard(context: SigapContext) -> Any:
    """What replaces a one-off reply keyboard (location, contact): the employee menu for
    employees, nothing for citizens."""
    if allowed(context.actor, Action.USE_EMPLOYEE_SERVICES):
        return employee_keyboard(context.texts)
    return ReplyKeyboardRemove()


async def _filing_refusal(context: SigapContext) -> str | None:
    """Why this person may not file a complaint now (banned, daily limit), or None."""
    services, tr = context.services, context.texts
    telegram_id = context.actor.telegram_id
    if await complaints.is_banned(services.db, telegram_id):
        return tr.t("complaint.banned")
    now = services.clock.now()
    filed = await complaints.filed_since(services.db, telegram_id, now - DAY)
    limit = services.settings.complaints_per_day
    if len(filed) >= limit:
        again = format_datetime(filed[len(filed) - limit] + DAY, services.timezone, tr.language)
        return tr.t("complaint.limit", limit=limit, again=again)
    return None


# --- steps ------------------------------------------------------------------------------------


async def _ask_kind(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("complaint.ask_kind"),
        [[(tr.plain(f"complaint_kind.{kind.value}"), kind.value)] for kind in Kind],
    )


async def _advance(call: FlowCall, step: str, data: dict[str, Any]) -> None:
    """Go on to ``step``, or back to the summary when the person is changing one answer
    from there (``editing``)."""
    if data.pop("editing", False):
        await call.goto("summary", data)
    else:
        await call.goto(step, data)


async def _kind_chosen(call: FlowCall, value: str) -> None:
    if value in {k.value for k in Kind}:
        await _advance(call, "category", call.data | {"kind": value})


async def _ask_category(call: FlowCall) -> None:
    tr = call.texts
    categories = await complaints.active_categories(call.context.services.db)
    labels = [(category_name(c.name, c.name_en, tr), f"c:{c.id}") for c in categories]
    await call.say(
        tr.t("complaint.ask_category"), [labels[i : i + 2] for i in range(0, len(labels), 2)]
    )


async def _category_chosen(call: FlowCall, value: str) -> None:
    category_id = parse_id(value.removeprefix("c:")) if value.startswith("c:") else None
    if category_id is None:
        return
    category = await complaints.category_of(call.context.services.db, category_id)
    if category is None or not category.active:
        await call.say(call.texts.t("common.stale_button"))
        return
    await _advance(call, "story", call.data | {"category_id": category.id})


async def _ask_story(call: FlowCall) -> None:
    await call.say(call.texts.t("complaint.ask_story", minimum=STORY_MIN))


async def _got_story(call: FlowCall, text: str) -> None:
    story = validate_story(text)
    if isinstance(story, Problem):
        await call.say(_problem(story, call.texts))
        return
    data = call.data | {"story": story}
    if data.get("editing"):  # the near-duplicate offer was made (or not) the first time
        await _advance(call, "location", data)
        return
    services = call.context.services
    now = services.clock.now()
    earlier = await complaints.recent_stories(
        services.db, call.context.actor.telegram_id, now - DAY
    )
    duplicate = find_duplicate(story, earlier, now)
    if duplicate is not None:
        data["duplicate"] = {"id": duplicate.complaint_id, "number": duplicate.tracking_number}
        await call.goto("duplicate", data)
        return
    await call.goto("location", data)


async def _ask_duplicate(call: FlowCall) -> None:
    tr, number = call.texts, call.data["duplicate"]["number"]
    await call.say(
        tr.t("complaint.ask_duplicate", number=number),
        [
            [(tr.plain("complaint.button_add_to", number=number), "add")],
            [(tr.plain("complaint.button_new"), "new")],
        ],
    )


async def _duplicate_chosen(call: FlowCall, value: str) -> None:
    data = call.data
    if value == "new":
        await call.goto("location", data)
    elif value == "add":
        await call.finish()
        await add_citizen_message(
            call.update, call.context, data["duplicate"]["id"], text=data["story"]
        )


def _sharing_keyboard(request: KeyboardButton, decline: str) -> ReplyKeyboardMarkup:
    """One button that shares something from the phone (location, contact), one that doesn't:
    only a reply keyboard can ask Telegram for those."""
    return ReplyKeyboardMarkup(
        [[request], [KeyboardButton(decline)]], resize_keyboard=True, one_time_keyboard=True
    )


async def _ask_location(call: FlowCall) -> None:
    tr = call.texts
    keyboard = _sharing_keyboard(
        KeyboardButton(tr.plain("complaint.button_send_location"), request_location=True),
        tr.plain("complaint.button_skip"),
    )
    await reply(call.update, call.context, tr.t("complaint.ask_location"), keyboard)


async def _got_location_text(call: FlowCall, text: str) -> None:
    tr = call.texts
    if text.strip() in _labels("complaint.button_skip"):
        await _location_done(call, {}, "complaint.location_skipped")
        return
    coordinates = parse_coordinates(text)
    if coordinates is not None:
        await _location_done(
            call,
            {"latitude": coordinates[0], "longitude": coordinates[1]},
            "complaint.location_saved",
        )
        return
    address = validate_address(text)
    if isinstance(address, Problem):
        await call.say(_problem(address, tr))
        return
    await _location_done(call, {"location_text": address}, "complaint.location_saved")


async def _got_location(call: FlowCall, message: Message) -> bool:
    if message.location is None:
        await call.say(call.texts.t("complaint.location_expected"))
        return True
    place: dict[str, Any] = {
        "latitude": message.location.latitude,
        "longitude": message.location.longitude,
    }
    if message.venue is not None:
        place["location_text"] = f"{message.venue.title}, {message.venue.address}"[:300]
    await _location_done(call, place, "complaint.location_saved")
    return True


async def _location_done(call: FlowCall, place: dict[str, Any], key: str) -> None:
    await reply(call.update, call.context, call.texts.t(key), _after_keyboard(call.context))
    await _advance(call, "attachments", call.data | place)


def _labels(key: str) -> set[str]:
    """A reply-keyboard label in every language (the keyboard may predate a /bahasa)."""
    return {texts(language).plain(key) for language in LANGUAGES}


async def _ask_attachments(call: FlowCall) -> None:
    tr = call.texts
    count = len(call.data.get("attachments", []))
    await call.say(
        tr.t("complaint.ask_attachments", limit=MAX_ATTACHMENTS),
        [[(tr.plain("complaint.button_done" if count else "complaint.button_skip"), "done")]],
    )


async def _got_attachment(call: FlowCall, message: Message) -> bool:
    tr = call.texts
    if not files.has_attachment(message):
        await call.say(tr.t("complaint.attachments_expected"))
        return True
    data = call.data
    items = list(data.get("attachments", []))
    album = message.media_group_id
    first_of_album = album is None or data.get("album") != album
    data["album"] = album
    if len(items) >= MAX_ATTACHMENTS:
        if first_of_album or not data.get("told_full"):
            data["told_full"] = True
            await call.save(data)
            await call.say(
                tr.t("complaint.attachments_full", limit=MAX_ATTACHMENTS),
                [[(tr.plain("complaint.button_done"), "done")]],
            )
        return True
    try:
        item = await files.download_attachment(call.context, message, "complaints")
    except files.AttachmentTooBig:
        await call.say(tr.t("complaint.attachment_too_big"))
        return True
    items.append(item.as_dict())
    data["attachments"] = items
    await call.save(data)
    if first_of_album:
        # One answer per album, not one per photo (Telegram allows ~1 message/s per chat).
        await call.say(
            tr.t("complaint.attachment_received", count=len(items), limit=MAX_ATTACHMENTS),
            [[(tr.plain("complaint.button_done"), "done")]],
        )
    return True


async def _attachment_text(call: FlowCall, text: str) -> None:
    await call.say(
        call.texts.t("complaint.attachments_expected"),
        [[(call.texts.plain("complaint.button_done"), "done")]],
    )


async def _attachments_done(call: FlowCall, value: str) -> None:
    if value == "done":
        await _advance(call, "privacy", call.data)


async def _ask_privacy(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("complaint.ask_privacy"),
        [[(tr.plain(f"complaint_privacy.{p.value}"), p.value)] for p in Privacy],
    )


async def _privacy_chosen(call: FlowCall, value: str) -> None:
    if value not in {p.value for p in Privacy}:
        return
    data = call.data | {"privacy": value}
    data.pop("editing", None)  # the contact question (when allowed) leads to the summary anyway
    if contact_allowed(Privacy(value)):
        await call.goto("contact", data)
    else:
        data.pop("contact_phone", None)
        await call.goto("summary", data)


async def _ask_contact(call: FlowCall) -> None:
    tr = call.texts
    keyboard = _sharing_keyboard(
        KeyboardButton(tr.plain("complaint.button_share_contact"), request_contact=True),
        tr.plain("complaint.button_no_contact"),
    )
    await reply(call.update, call.context, tr.t("complaint.ask_contact"), keyboard)


async def _got_contact_text(call: FlowCall, text: str) -> None:
    if text.strip() in _labels("complaint.button_no_contact"):
        await reply(
            call.update,
            call.context,
            call.texts.t("complaint.contact_skipped"),
            _after_keyboard(call.context),
        )
        await call.goto("summary", call.data | {"contact_phone": None})
        return
    # A typed number is not the explicit, button-given consent we ask for.
    await call.say(call.texts.t("complaint.contact_expected"))


async def _got_contact(call: FlowCall, message: Message) -> bool:
    contact, user = message.contact, call.update.effective_user
    if contact is None:
        await call.say(call.texts.t("complaint.contact_expected"))
        return True
    if user is None or contact.user_id != user.id:
        await call.say(call.texts.t("complaint.contact_not_own"))
        return True
    await reply(
        call.update,
        call.context,
        call.texts.t("complaint.contact_saved"),
        _after_keyboard(call.context),
    )
    await call.goto("summary", call.data | {"contact_phone": contact.phone_number[:32]})
    return True


async def _show_summary(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    category = await complaints.category_of(call.context.services.db, data["category_id"])
    if data.get("location_text"):
        location = data["location_text"]
    elif data.get("latitude") is not None:
        location = f"{data['latitude']:.5f}, {data['longitude']:.5f}"
    else:
        location = "—"
    privacy = Privacy(data["privacy"])
    text = tr.t(
        "complaint.summary",
        kind=tr.plain(f"complaint_kind.{data['kind']}"),
        category=category_name(category.name, category.name_en, tr) if category else "—",
        story=data["story"],
        location=location,
        attachments=len(data.get("attachments", [])),
        privacy=tr.plain(f"complaint_privacy.{privacy.value}"),
        contact=data.get("contact_phone") or "—",
    )
    await call.say(
        text,
        [
            [(tr.plain("complaint.button_submit"), "submit")],
            [(tr.plain("complaint.button_edit"), "edit")],
            [(tr.plain("complaint.button_cancel"), "cancel")],
        ],
    )


async def _summary_button(call: FlowCall, value: str) -> None:
    if value == "cancel":
        await call.finish()
        await call.say(call.texts.t("common.cancelled"))
    elif value == "submit":
        await _submit(call)
    elif value == "edit":
        await call.goto("edit", call.data)


# Answers that can be changed from the summary, each asked again by its own step. Changing the
# privacy asks for the contact again where it is allowed.
EDITABLE = ("kind", "category", "story", "location", "attachments", "privacy")
# What a step's answer consists of, cleared before it is asked again.
_ANSWER_KEYS = {
    "location": ("latitude", "longitude", "location_text"),
    "attachments": ("attachments", "album", "told_full"),
    "privacy": ("contact_phone",),
}


async def _ask_edit(call: FlowCall) -> None:
    tr = call.texts
    rows = [[(tr.plain(f"complaint.edit_{field}"), field)] for field in EDITABLE]
    await call.say(
        tr.t("complaint.ask_edit"), [*rows, [(tr.plain("complaint.button_back"), "back")]]
    )


async def _edit_chosen(call: FlowCall, value: str) -> None:
    if value == "back":
        await call.goto("summary", call.data)
    elif value in EDITABLE:
        data = {k: v for k, v in call.data.items() if k not in _ANSWER_KEYS.get(value, ())}
        await call.goto(value, data | {"editing": True})


async def _submit(call: FlowCall) -> None:
    tr, data, context = call.texts, call.data, call.context
    services, user = context.services, call.update.effective_user
    assert user is not None
    draft = complaints.ComplaintDraft(
        reporter_telegram_id=user.id,
        reporter_name=user.full_name,
        kind=data["kind"],
        category_id=data["category_id"],
        story=data["story"],
        privacy=data["privacy"],
        location_text=data.get("location_text"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        contact_phone=data.get("contact_phone"),
        attachments=[EvidenceDraft(**item) for item in data.get("attachments", [])],
    )
    conv = call.conversation
    try:
        complaint = await complaints.submit_complaint(
            services.db,
            draft,
            now=services.clock.now(),
            today=context.services.today(),
            calendar=await activities.work_calendar(services.db),
            deadlines=deadlines(context.services),
            daily_limit=services.settings.complaints_per_day,
            conversation=(conv.chat_id, conv.user_id, conv.version),
        )
    except complaints.AlreadySaved:
        return  # a second tap on Submit: the first one answered
    except (complaints.Banned, complaints.LimitReached):
        await call.finish()
        await call.say(await _filing_refusal(context) or tr.t("complaint.banned"))
        return
    except LookupError:
        await call.goto("category", data)
        return
    context.forget_conversation(None)
    await notify_citizen(
        context,
        complaint,
        lambda t: t.t(
            "complaint.submitted",
            number=complaint.tracking_number,
            due=Html(due_line(complaint, t)),
        ),
    )
    await post_ticket(context, complaint)


COMPLAINT_FLOW = register(
    Flow(
        "complaint",
        "kind",
        {
            "kind": Step(prompt=_ask_kind, on_button=_kind_chosen),
            "category": Step(prompt=_ask_category, on_button=_category_chosen),
            "story": Step(prompt=_ask_story, on_text=_got_story),
            "duplicate": Step(prompt=_ask_duplicate, on_button=_duplicate_chosen),
            "location": Step(
                prompt=_ask_location, on_text=_got_location_text, on_message=_got_location
            ),
            "attachments": Step(
                prompt=_ask_attachments,
                on_text=_attachment_text,
                on_button=_attachments_done,
                on_message=_got_attachment,
            ),
            "privacy": Step(prompt=_ask_privacy, on_button=_privacy_chosen),
            "contact": Step(
                prompt=_ask_contact, on_text=_got_contact_text, on_message=_got_contact
            ),
            "summary": Step(prompt=_show_summary, on_button=_summary_button),
            "edit": Step(prompt=_ask_edit, on_button=_edit_chosen),
        },
    )
)


@requires(Action.USE_CITIZEN_SERVICES, private=True)
async def complaint_command(update: Update, context: SigapContext) -> None:
    refusal = await _filing_refusal(context)
    if refusal is not None:
        await reply(update, context, refusal)
        return
    if not await complaints.active_categories(context.services.db):
        await reply(update, context, context.texts.t("complaint.no_categories"))
        return
    await COMPLAINT_FLOW.start(update, context, {"attachments": []})


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
        await call.say(_problem(note, call.texts))
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
        await reply(update, context, tr.t("complaint.not_now", status=status_name(exc.status, tr)))
        return
    except complaints.ReopenExpired:
        await reply(update, context, tr.t("complaint.reopen_expired"))
        return
    complaint = result.complaint
    await refresh_ticket(context, complaint)
    dtr = desk_texts(context.services)
    header = dtr.t(f"desk.citizen_{move.value}", number=complaint.tracking_number)
    await tell_desk(context, complaint, header, note)
    unit = await complaints.get_unit(services.db, complaint.unit_id)
    await notify_citizen(
        context,
        complaint,
        lambda t: t.t(
            f"complaint.citizen_{move.value}",
            number=complaint.tracking_number,
            unit=unit.name if unit else "",
            due=Html(due_line(complaint, t)),
        ),
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
    if what == "show":
        await _show(update, context, complaint)
    elif what == "note":
        if is_final(Status(complaint.status)):
            await reply(update, context, tr.t("complaint.closed_for_messages"))
            return
        await NOTE_FLOW.start(update, context, data)
    elif Status(complaint.status) is not Status.SELESAI:
        await reply(
            update,
            context,
            tr.t("complaint.not_now", status=status_name(complaint.status, tr)),
        )
    elif what == "ok":
        await _citizen_move(update, context, complaint.id, Move.CONFIRM)  # type: ignore[arg-type]
    elif not can_reopen(context.services.today(), complaint.reopen_until):
        await reply(update, context, tr.t("complaint.reopen_expired"))
    else:
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
    details = await complaints.ticket_details(services.db, complaint)
    events = await complaints.history(services.db, complaint.id)  # type: ignore[arg-type]
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
        "citizen",  # type: ignore[arg-type]
    )


def _history_line(event: ComplaintEvent, tr: Texts, context: SigapContext) -> str:
    when = format_datetime(event.at, context.services.timezone, tr.language)
    note = event.note or ""
    if len(note) > 150:
        note = note[:149] + "…"
    what = tr.t(f"complaint_event.{event.action}", note=note or "—")
    return tr.t("complaint.history_line", when=when, what=Html(what))


ROUTES: list[Route] = [
    Command(
        "aduan",
        complaint_command,
        "complaint_commands.complaint",
        (Audience.CITIZEN,),
        english="complaint",
    ),
    Command("status", status_command, "complaint_commands.status", (Audience.CITIZEN,)),
    Button(CITIZEN_BUTTONS, complaint_button),
]
