"""``parse_mode=MarkdownV2`` and legacy ``Markdown``: ports of tdlib's ``parse_markdown_v2`` and
``parse_markdown`` (td/telegram/MessageEntity.cpp).

As in :mod:`emulator.textparse.html`, tdlib's long MarkdownV2 function is cut into the steps
of a small parser object (is this character an entity's end, open one, close one), keeping
tdlib's order of checks and its error messages.
"""

from __future__ import annotations

import re

from emulator.textparse.entities import END, SPACE, Entity, EntityParseError, byte_offset
from emulator.textparse.links import link_entity

__all__ = ["parse_markdown", "parse_markdown_v2"]

_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!\n")
_CUSTOM_EMOJI_RE = re.compile(r"^tg://emoji\?id=(\d+)$")
# Entities that end with the character that opened them (two characters for the doubled ones).
_SIMPLE_ENDS = {"bold": "*", "code": "`", "strikethrough": "~"}
_SIMPLE_KINDS = frozenset({"bold", "italic", "code", "strikethrough", "underline", "spoiler"})


def _reserved(char: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _skip_pre_newline(t: str, i: int) -> int:
    if t[i] in "\r\n":
        if t[i + 1] in "\r\n" and t[i] != t[i + 1]:
            return i + 2
        return i + 1
    return i


class _MarkdownV2Parser:
    """One parse; ``t`` is the text with a NUL after it, ``i`` the read position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.t = text + END
        self.size = len(text)
        self.i = 0
        self.out: list[str] = []
        self.entities: list[Entity] = []
        # Open entities: (kind, argument, code-point offset, byte offset of the opening)
        self.stack: list[tuple[str, str, int, int]] = []
        self.have_blockquote = False

    def parse(self) -> tuple[str, list[Entity]]:
        t, size, out, stack = self.t, self.size, self.out, self.stack
        while self.i < size:
            i = self.i
            c = t[i]
            if c == "\\" and "\x01" <= t[i + 1] <= "\x7e":
                out.append(t[i + 1])
                self.i += 2
                continue
            top = stack[-1][0] if stack else ""
            in_code = top in ("code", "pre", "pre_code")
            if (c != "`") if in_code else (c not in _MDV2_RESERVED):
                out.append(c)
                self.i += 1
                continue
            if stack and self._is_end(top, c):
                self._close(c)
            else:
                self._open(c)
            self.i += 1
        if self.have_blockquote and stack and stack[-1][0] == "blockquote":
            start = stack.pop()[2]
            if len(out) > start:
                self.entities.append(Entity("blockquote", start, len(out) - start))
        if stack:
            kind, _argument, _start, begin = stack[-1]
            raise EntityParseError(
                f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {begin}"
            )
        return "".join(out), self.entities

    def _is_end(self, top: str, c: str) -> bool:
        t, i = self.t, self.i
        if self.have_blockquote and c == "\n" and (i + 1 == self.size or t[i + 1] != ">"):
            return True
        if top in _SIMPLE_ENDS:
            return c == _SIMPLE_ENDS[top]
        if top == "italic":
            return c == "_" and t[i + 1] != "_"
        if top in ("pre", "pre_code"):
            return c == "`" and t[i + 1] == "`" and t[i + 2] == "`"
        if top in ("text_link", "custom_emoji"):
            return c == "]"
        if top == "underline":
            return c == "_" and t[i + 1] == "_"
        if top == "spoiler":
            return c == "|" and t[i + 1] == "|"
        return False

    def _open(self, c: str) -> None:
        """A reserved character that opens an entity (or is an error); ``i`` ends on its last
        character."""
        t = self.t
        begin = byte_offset(self.text, self.i)
        argument = ""
        kind: str | None
        if c == "_" and t[self.i + 1] == "_":
            kind = "underline"
            self.i += 1
        elif c in "_*~":
            kind = {"_": "italic", "*": "bold", "~": "strikethrough"}[c]
        elif c == "|":
            if t[self.i + 1] != "|":
                raise _reserved(c)
            self.i += 1
            kind = "spoiler"
        elif c == "[":
            kind = "text_link"
        elif c == "`":
            kind, argument = self._open_code()
        elif c == "!":
            if t[self.i + 1] != "[":
                raise _reserved(c)
            self.i += 1
            kind = "custom_emoji"
        elif c == "\n":
            self.out.append("\n")
            kind = None
            if self.i + 1 < self.size and t[self.i + 1] == ">":
                self.i += 1
                if not self.have_blockquote:
                    kind = "blockquote"
                    self.have_blockquote = True
        elif c == ">" and self.i == 0:
            kind = "blockquote"
            self.have_blockquote = True
        else:
            raise _reserved(c)
        if kind is not None:
            self.stack.append((kind, argument, len(self.out), begin))

    def _open_code(self) -> tuple[str, str]:
        """`` ` `` opens inline code, ```` ``` ```` a pre block with an optional language."""
        t, i = self.t, self.i
        if not (t[i + 1] == "`" and t[i + 2] == "`"):
            return "code", ""
        i += 3
        kind, argument = "pre", ""
        language_end = i
        while t[language_end] not in SPACE and t[language_end] != "`":
            language_end += 1
        if i != language_end and language_end < self.size and t[language_end] != "`":
            kind, argument = "pre_code", t[i:language_end]
            i = language_end
        self.i = _skip_pre_newline(t, i) - 1
        return kind, argument

    def _close(self, c: str) -> None:
        """The end of the innermost open entity; ``i`` ends on its last character."""
        kind, argument, start, begin = self.stack[-1]
        if c == "\n" and kind != "blockquote":
            raise EntityParseError(
                f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {begin}"
            )
        out = self.out
        skip = len(out) == start
        entity: Entity | None = None
        if kind in _SIMPLE_KINDS:
            if kind in ("underline", "spoiler"):
                self.i += 1
            entity = Entity(kind, start, len(out) - start)
        elif kind in ("pre", "pre_code"):
            self.i += 2
            extra = {"language": argument} if kind == "pre_code" else {}
            entity = Entity("pre", start, len(out) - start, extra)
        elif kind == "text_link":
            url = self._link_url() if self.t[self.i + 1] == "(" else "".join(out[start:])
            entity = link_entity(start, len(out) - start, url)
        elif kind == "custom_emoji":
            emoji_id = self._custom_emoji_id()
            entity = Entity("custom_emoji", start, len(out) - start, {"custom_emoji_id": emoji_id})
        else:  # blockquote, ended by a newline that does not continue the quote
            self.have_blockquote = False
            out.append(c)
            entity = Entity("blockquote", start, len(out) - start)
        if entity is not None and not skip:
            self.entities.append(entity)
        self.stack.pop()

    def _link_url(self) -> str:
        """The ``(url)`` after a link's ``]``, escapes removed; ``i`` ends on the ``)``."""
        t, size = self.t, self.size
        i = self.i + 2
        url_begin = i
        chars: list[str] = []
        while i < size and t[i] != ")":
            if t[i] == "\\" and "\x01" <= t[i + 1] <= "\x7e":
                chars.append(t[i + 1])
                i += 2
                continue
            chars.append(t[i])
            i += 1
        if t[i] != ")":
            raise EntityParseError(
                f"Can't find end of a URL at byte offset {byte_offset(self.text, url_begin)}"
            )
        self.i = i
        return "".join(chars)

    def _custom_emoji_id(self) -> str:
        """The id in the ``(tg://emoji?id=...)`` after a custom emoji's ``]``."""
        t, size = self.t, self.size
        if t[self.i + 1] != "(":
            raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
        i = self.i + 2
        url_begin = i
        while i < size and t[i] != ")":
            i += 1
        if t[i] != ")":
            raise EntityParseError(
                "Can't find end of a custom emoji URL at byte offset"
                f" {byte_offset(self.text, url_begin)}"
            )
        self.i = i
        match = _CUSTOM_EMOJI_RE.match(t[url_begin:i])
        if match is None:
            raise EntityParseError("Custom emoji URL must have an emoji identifier")
        return match.group(1)


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Port of tdlib's ``parse_markdown_v2`` (blockquotes with ``>`` included)."""
    return _MarkdownV2Parser(text).parse()


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Port of tdlib's legacy ``parse_markdown`` (parse_mode ``Markdown``)."""
    t = text + END
    size = len(text)
    out: list[str] = []
    entities: list[Entity] = []
    i = 0
    while i < size:
        c = t[i]
        if c == "\\" and t[i + 1] in "_*`[":
            out.append(t[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = ""
        i += 1
        if c == "`" and t[i] == "`" and t[i + 1] == "`":
            i += 2
            is_pre = True
            language_end = i
            while t[language_end] not in SPACE and t[language_end] != "`":
                language_end += 1
            if i != language_end and language_end < size and t[language_end] != "`":
                language = t[i:language_end]
                i = language_end
            i = _skip_pre_newline(t, i)
        start = len(out)
        while i < size and (
            t[i] != end_char or (is_pre and not (t[i + 1] == "`" and t[i + 2] == "`"))
        ):
            out.append(t[i])
            i += 1
        if i >= size:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {byte_offset(text, begin)}"
            )
        length = len(out) - start
        if length:
            if c == "_":
                entities.append(Entity("italic", start, length))
            elif c == "*":
                entities.append(Entity("bold", start, length))
            elif c == "[":
                if t[i + 1] != "(":
                    url = t[begin + 1 : i]
                else:
                    i += 2
                    url_begin = i
                    while i < size and t[i] != ")":
                        i += 1
                    url = t[url_begin:i]
                link = link_entity(start, length, url)
                if link is not None:
                    entities.append(link)
            elif is_pre:
                extra = {"language": language} if language else {}
                entities.append(Entity("pre", start, length, extra))
            else:
                entities.append(Entity("code", start, length))
        if is_pre:
            i += 2
        i += 1
    return "".join(out), entities
