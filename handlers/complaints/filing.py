"""/aduan: a citizen files a complaint.

type → category → what happened (when, where) → location (shared, typed, or skipped;
``sharing``) → photos or documents (0..5, "Selesai") → privacy (biasa / rahasia / anonim) →
phone number (optional, with explicit consent; never for anonymous reports; ``sharing``) →
summary → Submit. A story close to one filed lately is offered as information for that
complaint instead. Submit commits the complaint and ends the flow in one transaction, then
answers with the tracking number and the verification date and, at the same time, posts the
ticket to the unit's desk (``handlers.desk``).
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update

from domain.access import Action
from domain.complaints import (
    MAX_ATTACHMENTS,
    STORY_MIN,
    Kind,
    Privacy,
    Problem,
    contact_allowed,
    find_duplicate,
    validate_story,
)
from domain.ids import parse_id
from handlers import files
from handlers.common import reply, requires
from handlers.complaints.follow_up import add_citizen_message
from handlers.complaints.shared import advance, problem_text
from handlers.complaints.sharing import (
    ask_contact,
    ask_location,
    got_contact,
    got_contact_text,
    got_location,
    got_location_text,
)
from handlers.context import SigapContext
from handlers.desk.relay import notify_citizen, post_ticket, together
from handlers.desk.render import category_name, deadlines, due_line
from handlers.flow import Flow, FlowCall, Step, register
from models import activities, complaints
from models.activities import EvidenceDraft
from models.complaints import DAY
from models.tables import Complaint
from texts import Html
from texts.format import format_datetime


async def _filing_state(context: SigapContext) -> complaints.FilingState:
    services = context.services
    since = services.clock.now() - DAY
    return await complaints.filing_state(services.db, context.actor.telegram_id, since)


def _filing_refusal(context: SigapContext, state: complaints.FilingState) -> str | None:
    """Why this person may not file a complaint now (banned, daily limit), or None."""
    services, tr = context.services, context.texts
    if state.banned:
        return tr.t("complaint.banned")
    filed = state.filed
    limit = services.settings.complaints_per_day
    if len(filed) >= limit:
        again = format_datetime(filed[len(filed) - limit] + DAY, services.timezone, tr.language)
        return tr.t("complaint.limit", limit=limit, again=again)
    return None


# --- The questions -------------------------------------------------------------------------------


async def _ask_kind(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("complaint.ask_kind"),
        [[(tr.plain(f"complaint_kind.{kind.value}"), kind.value)] for kind in Kind],
    )


async def _kind_chosen(call: FlowCall, value: str) -> None:
    if value in {k.value for k in Kind}:
        await advance(call, "category", call.data | {"kind": value})


async def _ask_category(call: FlowCall) -> None:
    tr = call.texts
    categories = await complaints.category_choices(call.context.services.db)
    labels = [(category_name(c.name, c.name_en, tr), f"c:{c.id}") for c in categories]
    await call.say(
        tr.t("complaint.ask_category"), [labels[i : i + 2] for i in range(0, len(labels), 2)]
    )


async def _category_chosen(call: FlowCall, value: str) -> None:
    category_id = parse_id(value.removeprefix("c:")) if value.startswith("c:") else None
    if category_id is None:
        return
    category = await complaints.category_choice(call.context.services.db, category_id)
    if category is None or not category.active:
        await call.say(call.texts.t("common.stale_button"))
        return
    await advance(call, "story", call.data | {"category_id": category.id})


async def _ask_story(call: FlowCall) -> None:
    draft = call.data.get("draft")
    if draft and not isinstance(validate_story(draft), Problem):
        # The citizen's own first message, kept from before they chose what it is.
        await _got_story(call, draft)
        return
    tr = call.texts
    ask = tr.t("complaint.ask_story", minimum=STORY_MIN)
    if draft:
        ask = tr.t("complaint.draft_too_short", draft=draft) + "\n\n" + ask
    await call.say(ask)


async def _got_story(call: FlowCall, text: str) -> None:
    story = validate_story(text)
    if isinstance(story, Problem):
        await call.say(problem_text(story, call.texts))
        return
    data = call.data | {"story": story}
    data.pop("draft", None)
    if data.get("editing"):  # the near-duplicate offer was made (or not) the first time
        await advance(call, "location", data)
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
        await advance(call, "privacy", call.data)


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


# --- The summary: submit, change an answer, or cancel --------------------------------------------


async def _show_summary(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    category = await complaints.category_choice(call.context.services.db, data["category_id"])
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
    try:
        complaint = await complaints.submit_complaint(
            services.db,
            draft,
            now=services.clock.now(),
            today=context.services.today(),
            calendar=await activities.work_calendar(services.db),
            deadlines=deadlines(context.services),
            daily_limit=services.settings.complaints_per_day,
            conversation=call.ending(),
        )
    except complaints.AlreadySaved:
        return  # a second tap on Submit: the first one answered
    except (complaints.Banned, complaints.LimitReached):
        await call.finish()
        refusal = _filing_refusal(context, await _filing_state(context))
        await call.say(refusal or tr.t("complaint.banned"))
        return
    except LookupError:
        await call.goto("category", data)
        return
    context.forget_conversation(None)
    await _confirm_and_post(context, complaint)


async def _confirm_and_post(context: SigapContext, complaint: Complaint) -> None:
    confirm = notify_citizen(
        context,
        complaint,
        lambda t, _unit: t.t(
            "complaint.submitted",
            number=complaint.tracking_number,
            due=Html(due_line(complaint, t)),
        ),
    )
    if complaint.ticket_message_id is not None:
        await confirm
        return
    # The receipt and the desk's ticket at once: neither waits on the other's reads and sends.
    await together(confirm, post_ticket(context, complaint))


async def _confirm_submitted(
    update: Update, context: SigapContext, receipt: dict[str, Any]
) -> None:
    """Submit delivered again (killed between the commit and the confirmation) or pressed
    again: the same tracking number once more, and the desk's ticket if it was not posted."""
    complaint = await complaints.get_complaint(context.services.db, int(receipt["complaint_id"]))
    if complaint is None:  # purged since
        await reply(update, context, context.texts.t("common.already_saved"))
        return
    await _confirm_and_post(context, complaint)


# --- The flow and /aduan -------------------------------------------------------------------------


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
                prompt=ask_location, on_text=got_location_text, on_message=got_location
            ),
            "attachments": Step(
                prompt=_ask_attachments,
                on_text=_attachment_text,
                on_button=_attachments_done,
                on_message=_got_attachment,
            ),
            "privacy": Step(prompt=_ask_privacy, on_button=_privacy_chosen),
            "contact": Step(prompt=ask_contact, on_text=got_contact_text, on_message=got_contact),
            "summary": Step(prompt=_show_summary, on_button=_summary_button),
            "edit": Step(prompt=_ask_edit, on_button=_edit_chosen),
        },
        confirm_again=_confirm_submitted,
    )
)


@requires(Action.USE_CITIZEN_SERVICES, private=True)
async def complaint_command(update: Update, context: SigapContext) -> None:
    await start_filing(update, context)


async def start_filing(
    update: Update, context: SigapContext, kind: str | None = None, draft: str | None = None
) -> None:
    """/aduan, or a citizen's free text sent on as a complaint of ``kind``: then the filing
    starts at the category and ``draft`` (what they wrote) becomes the story."""
    state = await _filing_state(context)
    refusal = _filing_refusal(context, state)
    if refusal is not None:
        await reply(update, context, refusal)
        return
    if not state.has_categories:
        await reply(update, context, context.texts.t("complaint.no_categories"))
        return
    if kind is None:
        await COMPLAINT_FLOW.start(update, context, {"attachments": []})
        return
    data: dict[str, Any] = {"attachments": [], "kind": kind, "draft": draft}
    await COMPLAINT_FLOW.start(update, context, data, step="category")
