"""Message text formatting as the Bot API does it: parse_mode parsing and entity clean-up.

The parsers are ports of tdlib's ``parse_html``, ``parse_markdown_v2`` and ``parse_markdown``
(td/telegram/MessageEntity.cpp), because a bot that passes the emulator but fails on Telegram
is the failure this emulator exists to prevent: the same inputs must fail with the same
``can't parse entities`` description, byte offsets included.

After parsing, :func:`finalize` does what tdlib's ``fix_formatted_text`` does to every text a
bot sends (:mod:`.fix`), including the automatic ``mention``/``hashtag``/``bot_command``/
``url``/``email`` entities (:mod:`.detect`).

Internally offsets count code points; they are converted to UTF-16 code units (what the Bot API
reports) only at the end, so the parsers stay simple. The modules: :mod:`.entities` (types,
units, errors), :mod:`.links`, :mod:`.html`, :mod:`.markdown`, :mod:`.detect`, :mod:`.fix`;
this one is the entry point, :func:`parse_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.textparse.detect import detect_entities
from emulator.textparse.entities import (
    PRIORITIES,
    EmptyTextError,
    Entity,
    EntityParseError,
    FormattedText,
    utf16_len,
    utf16_slice,
)
from emulator.textparse.fix import finalize
from emulator.textparse.html import parse_html
from emulator.textparse.links import checked_link
from emulator.textparse.markdown import parse_markdown, parse_markdown_v2

__all__ = [
    "EmptyTextError",
    "EntityParseError",
    "FormattedText",
    "checked_link",
    "detect_entities",
    "finalize",
    "parse_text",
    "utf16_len",
    "utf16_slice",
]


def _entities_from_api(text: str, raw: list[dict[str, Any]]) -> list[Entity]:
    """Bot-supplied ``entities`` (UTF-16 offsets) to internal code-point entities."""
    if text.isascii() or all(ch <= "\uffff" for ch in text):
        to_index: dict[int, int] | None = None
    else:
        to_index = {}
        position = 0
        for index, ch in enumerate(text):
            to_index[position] = index
            position += 2 if ch > "\uffff" else 1
        to_index[position] = len(text)
    result: list[Entity] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type", ""))
        if kind not in PRIORITIES:
            continue  # an entity type Telegram does not know
        try:
            offset = int(item.get("offset", 0))
            length = int(item.get("length", 0))
        except (TypeError, ValueError):
            continue
        if to_index is not None:
            start = to_index.get(offset)
            stop = to_index.get(offset + length)
            if start is None or stop is None:
                continue  # splits a surrogate pair: Telegram rejects, we drop
            offset, length = start, stop - start
        extra: dict[str, Any] = {}
        if kind == "text_link":
            link = checked_link(str(item.get("url", "")))
            if not link:
                continue
            extra["url"] = link
        elif kind == "text_mention":
            user = item.get("user")
            if not isinstance(user, dict) or "id" not in user:
                continue
            extra["user"] = {"id": int(user["id"])}
        elif kind == "pre" and item.get("language"):
            extra["language"] = str(item["language"])
        elif kind == "custom_emoji":
            extra["custom_emoji_id"] = str(item.get("custom_emoji_id", ""))
        if kind in ("mention", "hashtag", "bot_command", "url", "email", "cashtag"):
            continue  # Telegram re-detects these itself and ignores the bot's versions
        result.append(Entity(kind, offset, length, extra))
    return result


def parse_text(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None = None,
    *,
    resolve_user: Callable[[int], dict[str, Any]] | None = None,
) -> FormattedText:
    """Turn what a bot sent into what the chat shows.

    ``parse_mode`` is case-insensitive (``HTML``, ``MarkdownV2``, ``Markdown``); explicit
    ``entities`` win over ``parse_mode`` as in the Bot API. Raises :class:`EntityParseError`,
    :class:`EmptyTextError` or :class:`ValueError` (unknown parse mode).
    """
    if "\0" in text:
        text = text.replace("\0", "")
    if entities is not None:
        parsed = _entities_from_api(text, entities)
    elif not parse_mode:
        parsed = []
    else:
        mode = parse_mode.lower()
        if mode == "html":
            if "<" in text or "&" in text:
                text, parsed = parse_html(text)
            else:
                parsed = []  # nothing to parse: skip the character loop on the hot path
        elif mode == "markdownv2":
            text, parsed = parse_markdown_v2(text)
        elif mode == "markdown":
            text, parsed = parse_markdown(text)
        else:
            raise ValueError(parse_mode)
    return finalize(text, parsed, resolve_user=resolve_user)
