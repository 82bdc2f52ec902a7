"""The /aduan questions a phone answers by sharing: the location (shared, typed as an address
or coordinates, or skipped) and the phone number (shared with explicit consent, or declined).
Only a reply keyboard can ask Telegram for those; it is replaced once answered.
"""

from __future__ import annotations

from typing import Any

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from domain.access import Action, allowed
from domain.complaints import Problem, parse_coordinates, validate_address
from handlers.common import reply
from handlers.complaints.shared import advance, problem_text
from handlers.context import SigapContext
from handlers.flow import FlowCall
from handlers.routes import employee_keyboard
from texts import LANGUAGES, texts


def _after_keyboard(context: SigapContext) -> Any:
    """What replaces a one-off reply keyboard (location, contact): the employee menu for
    employees, nothing for citizens."""
    if allowed(context.actor, Action.USE_EMPLOYEE_SERVICES):
        return employee_keyboard(context.texts)
    return ReplyKeyboardRemove()


def _sharing_keyboard(request: KeyboardButton, decline: str) -> ReplyKeyboardMarkup:
    """One button that shares something from the phone (location, contact), one that doesn't:
    only a reply keyboard can ask Telegram for those."""
    return ReplyKeyboardMarkup(
        [[request], [KeyboardButton(decline)]], resize_keyboard=True, one_time_keyboard=True
    )


# --- Location ------------------------------------------------------------------------------------


async def ask_location(call: FlowCall) -> None:
    tr = call.texts
    keyboard = _sharing_keyboard(
        KeyboardButton(tr.plain("complaint.button_send_location"), request_location=True),
        tr.plain("complaint.button_skip"),
    )
    await reply(call.update, call.context, tr.t("complaint.ask_location"), keyboard)


async def got_location_text(call: FlowCall, text: str) -> None:
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
        await call.say(problem_text(address, tr))
        return
    await _location_done(call, {"location_text": address}, "complaint.location_saved")


async def got_location(call: FlowCall, message: Message) -> bool:
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
    note = (call.texts.t(key), _after_keyboard(call.context))
    await advance(call, "attachments", call.data | place, note)


def _labels(key: str) -> set[str]:
    """A reply-keyboard label in every language (the keyboard may predate a /bahasa)."""
    return {texts(language).plain(key) for language in LANGUAGES}


# --- Phone number --------------------------------------------------------------------------------


async def ask_contact(call: FlowCall) -> None:
    tr = call.texts
    keyboard = _sharing_keyboard(
        KeyboardButton(tr.plain("complaint.button_share_contact"), request_contact=True),
        tr.plain("complaint.button_no_contact"),
    )
    await reply(call.update, call.context, tr.t("complaint.ask_contact"), keyboard)


async def got_contact_text(call: FlowCall, text: str) -> None:
    if text.strip() in _labels("complaint.button_no_contact"):
        note = (call.texts.t("complaint.contact_skipped"), _after_keyboard(call.context))
        await call.goto("summary", call.data | {"contact_phone": None}, note)
        return
    # A typed number is not the explicit, button-given consent we ask for.
    await call.say(call.texts.t("complaint.contact_expected"))


async def got_contact(call: FlowCall, message: Message) -> bool:
    contact, user = message.contact, call.update.effective_user
    if contact is None:
        await call.say(call.texts.t("complaint.contact_expected"))
        return True
    if user is None or contact.user_id != user.id:
        await call.say(call.texts.t("complaint.contact_not_own"))
        return True
    note = (call.texts.t("complaint.contact_saved"), _after_keyboard(call.context))
    await call.goto("summary", call.data | {"contact_phone": contact.phone_number[:32]}, note)
    return True
