"""What the sending and editing methods share: text, caption, keyboard and reply parameters,
checked and worded as the Bot API checks and words them."""

from __future__ import annotations

from typing import Any

from emulator import errors
from emulator.chats import ChatState
from emulator.errors import bad_request
from emulator.params import Params
from emulator.state import EmulatorState, reply_snapshot
from emulator.textparse import (
    EmptyTextError,
    EntityParseError,
    FormattedText,
    checked_link,
    parse_text,
    utf16_len,
)

__all__ = [
    "apply_caption",
    "caption_param",
    "inline_markup_param",
    "markup_param",
    "reply_param",
    "text_param",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _format(
    emu: EmulatorState, text: str, parse_mode: str | None, entities: Any, *, caption: bool
) -> FormattedText | None:
    """Parse a text or caption; ``None`` for a caption that is only whitespace."""
    try:
        formatted = parse_text(
            text,
            parse_mode,
            entities if isinstance(entities, list) else None,
            resolve_user=emu._mention_user,
        )
    except EntityParseError as error:
        raise bad_request(f"can't parse entities: {error}") from None
    except EmptyTextError:
        if caption:
            return None
        raise bad_request(errors.MESSAGE_MUST_BE_NON_EMPTY) from None
    except ValueError:
        raise bad_request(errors.UNSUPPORTED_PARSE_MODE) from None
    limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
    if utf16_len(formatted.text) > limit:
        raise bad_request(errors.CAPTION_TOO_LONG if caption else errors.MESSAGE_TOO_LONG)
    return formatted


def text_param(emu: EmulatorState, params: Params) -> FormattedText:
    text = params.get_str("text")
    if not text:
        raise bad_request(errors.MESSAGE_TEXT_EMPTY)
    entities = params.get_json("entities", errors.BAD_ENTITIES_JSON)
    formatted = _format(emu, text, params.get_str("parse_mode"), entities, caption=False)
    assert formatted is not None  # only captions may come back empty
    return formatted


def caption_param(emu: EmulatorState, params: Params) -> FormattedText | None:
    caption = params.get_str("caption")
    if not caption:
        return None
    entities = params.get_json("caption_entities", errors.BAD_ENTITIES_JSON)
    return _format(emu, caption, params.get_str("parse_mode"), entities, caption=True)


def apply_caption(content: dict[str, Any], caption: FormattedText | None) -> None:
    if caption is None:
        return
    content["caption"] = caption.text
    if caption.entities:
        content["caption_entities"] = caption.entities


def _check_rows(rows: Any) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(errors.BAD_MARKUP_JSON)
    return rows


def markup_param(params: Params) -> dict[str, Any] | None:
    markup = params.get_json("reply_markup", errors.BAD_MARKUP_JSON)
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request(errors.BAD_MARKUP_JSON)
    if "inline_keyboard" in markup:
        for row in _check_rows(markup["inline_keyboard"]):
            for button in row:
                _check_inline_button(button)
        return markup
    if "keyboard" in markup:
        _check_rows(markup["keyboard"])
        return markup
    if "remove_keyboard" in markup or "force_reply" in markup:
        return markup
    raise bad_request(errors.BAD_MARKUP_JSON)


def inline_markup_param(params: Params) -> dict[str, Any] | None:
    markup = markup_param(params)
    # Edits only take inline keyboards; anything else leaves the message without one.
    return markup if markup is not None and "inline_keyboard" in markup else None


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or "text" not in button:
        raise bad_request(errors.BAD_MARKUP_JSON)
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(str(data).encode()) if data is not None else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request(errors.BUTTON_DATA_INVALID)
    elif "url" in button:
        url = str(button["url"])
        if not url or not checked_link(url):
            raise bad_request(errors.BUTTON_URL_INVALID)
    elif not any(action in button for action in _INLINE_BUTTON_ACTIONS):
        raise bad_request(errors.TEXT_BUTTONS_UNALLOWED)


def reply_param(emu: EmulatorState, state: ChatState, params: Params) -> dict[str, Any] | None:
    reply = params.get_json("reply_parameters", "can't parse reply parameters JSON object")
    target_state = state
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply"))
        other = reply.get("chat_id")
        if other is not None and other != state.id:
            target_state = emu._lookup_chat(Params({"chat_id": other}))
    else:
        message_id = params.get_int("reply_to_message_id")
        allow_missing = params.get_bool("allow_sending_without_reply")
    if message_id is None:
        return None
    target = target_state.messages.get(int(message_id))
    if target is None:
        if allow_missing:
            return None
        raise bad_request(errors.REPLY_NOT_FOUND)
    return reply_snapshot(target)
