"""Sending: sendMessage, sendPhoto, sendDocument, sendLocation and sendChatAction."""

from __future__ import annotations

from typing import Any

from emulator import errors
from emulator.errors import bad_request
from emulator.files import StoredFile
from emulator.methods.content import (
    apply_caption,
    caption_param,
    markup_param,
    reply_param,
    text_param,
)
from emulator.methods.files import input_file
from emulator.params import Params
from emulator.state import EmulatorState, MethodHandler

__all__ = ["METHODS"]

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


async def send_message(emu: EmulatorState, params: Params) -> dict[str, Any]:
    formatted = text_param(emu, params)
    markup = markup_param(params)
    state = emu._writable_chat(params)
    reply = reply_param(emu, state, params)
    emu._check_flood(state)
    content: dict[str, Any] = {"text": formatted.text}
    if formatted.entities:
        content["entities"] = formatted.entities
    message = emu._store_bot_message(
        state, content, markup, reply, params.get_str("text"), params.get_str("parse_mode")
    )
    return message.raw


async def _send_media(emu: EmulatorState, params: Params, kind: str) -> dict[str, Any]:
    caption = caption_param(emu, params)
    markup = markup_param(params)
    state = emu._writable_chat(params)
    reply = reply_param(emu, state, params)
    media = input_file(emu, params, kind, kind)
    emu._check_flood(state)
    content: dict[str, Any]
    if isinstance(media, StoredFile):
        content = {kind: emu.files.document(media)}
    else:
        content = {kind: media}
    apply_caption(content, caption)
    message = emu._store_bot_message(
        state, content, markup, reply, params.get_str("caption"), params.get_str("parse_mode")
    )
    return message.raw


async def send_photo(emu: EmulatorState, params: Params) -> dict[str, Any]:
    return await _send_media(emu, params, "photo")


async def send_document(emu: EmulatorState, params: Params) -> dict[str, Any]:
    return await _send_media(emu, params, "document")


async def send_location(emu: EmulatorState, params: Params) -> dict[str, Any]:
    latitude = params.get_float("latitude")
    longitude = params.get_float("longitude")
    if latitude is None or not -90 <= latitude <= 90:
        raise bad_request("wrong latitude specified")
    if longitude is None or not -180 <= longitude <= 180:
        raise bad_request("wrong longitude specified")
    markup = markup_param(params)
    state = emu._writable_chat(params)
    reply = reply_param(emu, state, params)
    emu._check_flood(state)
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    accuracy = params.get_float("horizontal_accuracy")
    if accuracy is not None:
        location["horizontal_accuracy"] = accuracy
    live_period = params.get_int("live_period")
    if live_period:
        location["live_period"] = live_period
    message = emu._store_bot_message(state, {"location": location}, markup, reply, None, None)
    return message.raw


async def send_chat_action(emu: EmulatorState, params: Params) -> bool:
    action = params.get_str("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request(errors.WRONG_CHAT_ACTION)
    emu._writable_chat(params)
    return True


METHODS: dict[str, MethodHandler] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendLocation": send_location,
    "sendChatAction": send_chat_action,
}
