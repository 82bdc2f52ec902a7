"""Changing what was sent, and answering presses: editMessageText, editMessageCaption,
editMessageReplyMarkup, deleteMessage(s) and answerCallbackQuery."""

from __future__ import annotations

from typing import Any

from emulator import errors
from emulator.chats import ChatState
from emulator.errors import ApiError, bad_request
from emulator.methods.content import (
    apply_caption,
    caption_param,
    inline_markup_param,
    text_param,
)
from emulator.params import Params
from emulator.state import EmulatorState, MethodHandler

__all__ = ["METHODS"]

_MEDIA_KINDS = ("photo", "document", "video", "audio", "animation")


def _bot_message_to_edit(emu: EmulatorState, params: Params) -> tuple[ChatState, dict[str, Any]]:
    if params.raw.get("inline_message_id") and params.raw.get("chat_id") is None:
        raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not emulated
    state = emu._writable_chat(params, edit=True)
    message_id = params.get_int("message_id")
    if message_id is None:
        raise bad_request(errors.MESSAGE_ID_MISSING)
    raw = state.messages.get(message_id)
    if raw is None:
        raise bad_request(errors.MESSAGE_TO_EDIT_NOT_FOUND)
    if raw["from"]["id"] != emu.bot_id:
        raise bad_request(errors.MESSAGE_CANT_BE_EDITED)
    return state, raw


async def edit_message_text(emu: EmulatorState, params: Params) -> dict[str, Any]:
    state, raw = _bot_message_to_edit(emu, params)
    if "text" not in raw:
        raise bad_request(errors.NO_TEXT_TO_EDIT)
    formatted = text_param(emu, params)
    markup = inline_markup_param(params)
    entities = formatted.entities
    if (
        formatted.text == raw["text"]
        and entities == raw.get("entities", [])
        and markup == raw.get("reply_markup")
    ):
        raise bad_request(errors.MESSAGE_NOT_MODIFIED)
    emu._check_flood(state, overall=False)
    changes: dict[str, Any] = {"text": formatted.text}
    if entities:
        changes["entities"] = entities
    return emu._store_edit(
        state,
        raw,
        changes,
        ("text", "entities", "reply_markup", "edit_date"),
        markup,
        params.get_str("text"),
        params.get_str("parse_mode"),
    )


async def edit_message_caption(emu: EmulatorState, params: Params) -> dict[str, Any]:
    state, raw = _bot_message_to_edit(emu, params)
    if not any(kind in raw for kind in _MEDIA_KINDS):
        raise bad_request(errors.NO_CAPTION_TO_EDIT)
    caption = caption_param(emu, params)
    markup = inline_markup_param(params)
    new_text = caption.text if caption is not None else None
    new_entities = caption.entities if caption is not None else []
    if (
        new_text == raw.get("caption")
        and new_entities == raw.get("caption_entities", [])
        and markup == raw.get("reply_markup")
    ):
        raise bad_request(errors.MESSAGE_NOT_MODIFIED)
    emu._check_flood(state, overall=False)
    changes: dict[str, Any] = {}
    apply_caption(changes, caption)
    return emu._store_edit(
        state,
        raw,
        changes,
        ("caption", "caption_entities", "reply_markup", "edit_date"),
        markup,
        params.get_str("caption") or "",
        params.get_str("parse_mode"),
    )


async def edit_message_reply_markup(emu: EmulatorState, params: Params) -> dict[str, Any]:
    state, raw = _bot_message_to_edit(emu, params)
    markup = inline_markup_param(params)
    if markup == raw.get("reply_markup"):
        raise bad_request(errors.MESSAGE_NOT_MODIFIED)
    emu._check_flood(state, overall=False)
    return emu._store_edit(state, raw, {}, ("reply_markup", "edit_date"), markup, None, None)


def _delete_one(emu: EmulatorState, state: ChatState, message_id: int) -> None:
    raw = state.messages.get(message_id)
    if raw is None:
        raise bad_request(errors.MESSAGE_TO_DELETE_NOT_FOUND)
    if state.is_group and raw["from"]["id"] != emu.bot_id and not state.bot_is_admin:
        raise bad_request(errors.MESSAGE_CANT_BE_DELETED)
    del state.messages[message_id]
    message = state.bot_messages.pop(message_id, None)
    if message is not None:
        message.deleted = True
    emu._changed(state.id)


async def delete_message(emu: EmulatorState, params: Params) -> bool:
    state = emu._writable_chat(params, blocked_ok=True, edit=True)
    message_id = params.get_int("message_id")
    if message_id is None:
        raise bad_request(errors.MESSAGE_ID_MISSING)
    _delete_one(emu, state, message_id)
    return True


async def delete_messages(emu: EmulatorState, params: Params) -> bool:
    state = emu._writable_chat(params, blocked_ok=True, edit=True)
    message_ids = params.get_json("message_ids", "can't parse message identifiers")
    if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
        raise bad_request("message identifiers are not specified")
    for message_id in message_ids:
        try:
            _delete_one(emu, state, int(message_id))
        except ApiError:
            pass  # deleteMessages skips messages that cannot be deleted
    return True


async def answer_callback_query(emu: EmulatorState, params: Params) -> bool:
    query_id = params.get_str("callback_query_id") or ""
    pending = emu._queries.get(query_id)
    if (
        pending is None
        or pending.answered
        or emu.clock() - pending.created > emu.callback_query_timeout
    ):
        raise bad_request(errors.QUERY_TOO_OLD)
    pending.answered = True
    answer: dict[str, Any] = {
        "callback_query_id": query_id,
        "text": params.get_str("text"),
        "show_alert": params.get_bool("show_alert"),
    }
    url = params.get_str("url")
    if url:
        answer["url"] = url
    pending.answers.append(answer)
    emu._changed(pending.user_id)
    return True


METHODS: dict[str, MethodHandler] = {
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
    "answerCallbackQuery": answer_callback_query,
}
