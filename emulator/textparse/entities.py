"""What the parsers and the clean-up share: the internal entity, the result, the errors, and
Telegram's units (UTF-16 code units outside, code points inside, UTF-8 bytes in messages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BLOCKQUOTE",
    "CONTINUOUS",
    "END",
    "HIDDEN_DATA",
    "PRE",
    "PRIORITIES",
    "SPACE",
    "SPLITTABLE",
    "SPLITTABLE_SET",
    "EmptyTextError",
    "Entity",
    "EntityParseError",
    "FormattedText",
    "byte_offset",
    "utf16_len",
    "utf16_slice",
]


class EntityParseError(Exception):
    """The text does not parse; ``str(self)`` is tdlib's reason, e.g. ``Unexpected end tag ...``."""


class EmptyTextError(Exception):
    """Nothing but whitespace is left after parsing and clean-up."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` an entity covers (entity offsets count UTF-16 code units)."""
    if text.isascii():
        return text[offset : offset + length]
    encoded = text.encode("utf-16-le", "surrogatepass")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", "replace")


def byte_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of code point ``index``: what tdlib's parse errors report."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


@dataclass(slots=True)
class Entity:
    """An entity with code-point offsets; ``extra`` holds url/language/user/custom_emoji_id."""

    type: str
    offset: int
    length: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.offset + self.length

    def sort_key(self) -> tuple[int, int, int]:
        # tdlib orders entities by offset, then longer first, then by a fixed type priority.
        return (self.offset, -self.length, _priority(self))


@dataclass(slots=True)
class FormattedText:
    """Plain text plus Bot API entity dicts (offsets and lengths in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]]


PRIORITIES = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "expandable_blockquote": 0,
    "spoiler": 94,
    "custom_emoji": 99,
}


def _priority(entity: Entity) -> int:
    if entity.type == "pre" and entity.extra.get("language"):
        return 10  # tdlib's PreCode sorts before a plain Pre
    return PRIORITIES.get(entity.type, 50)


SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
SPLITTABLE_SET = frozenset(SPLITTABLE)
BLOCKQUOTE = frozenset({"blockquote", "expandable_blockquote"})
PRE = frozenset({"pre", "code"})
CONTINUOUS = frozenset(
    {
        "mention",
        "hashtag",
        "bot_command",
        "url",
        "email",
        "text_link",
        "text_mention",
        "cashtag",
        "phone_number",
        "custom_emoji",
    }
)
# Entities that carry data beyond their text survive even when they cover only whitespace.
HIDDEN_DATA = frozenset({"text_link", "text_mention", "pre", "code"})

# tdlib's is_space(): note that NUL counts, which is how its parsers notice the end of text.
SPACE = frozenset(" \t\r\n\0\v")
END = "\0"
