"""Message text formatting as the Bot API does it: parse_mode parsing and entity clean-up.

The parsers are ports of tdlib's ``parse_html``, ``parse_markdown_v2`` and ``parse_markdown``
(td/telegram/MessageEntity.cpp), because a bot that passes the emulator but fails on Telegram
is the failure this emulator exists to prevent: the same inputs must fail with the same
``can't parse entities`` description, byte offsets included.

After parsing, :func:`finalize` does what tdlib's ``fix_formatted_text`` does to every text a
bot sends: control characters become spaces, ``\\r`` disappears, whitespace-only entities are
dropped, the text is trimmed, adjacent or nested bold/italic/... entities are merged and split
the way Telegram stores them, and ``mention``/``hashtag``/``bot_command``/``url``/``email``
entities are detected automatically.

Internally offsets count code points; they are converted to UTF-16 code units (what the Bot API
reports) only at the end, so the parsers stay simple.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(slots=True)
class _Entity:
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


_PRIORITIES = {
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


def _priority(entity: _Entity) -> int:
    if entity.type == "pre" and entity.extra.get("language"):
        return 10  # tdlib's PreCode sorts before a plain Pre
    return _PRIORITIES.get(entity.type, 50)


_SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
_SPLITTABLE_SET = frozenset(_SPLITTABLE)
_BLOCKQUOTE = frozenset({"blockquote", "expandable_blockquote"})
_PRE = frozenset({"pre", "code"})
_CONTINUOUS = frozenset(
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
_HIDDEN_DATA = frozenset({"text_link", "text_mention", "pre", "code"})

# tdlib's is_space(): note that NUL counts, which is how its parsers notice the end of text.
_SPACE = frozenset(" \t\r\n\0\v")
_END = "\0"


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


# --------------------------------------------------------------------------------------------
# Links


_TG_USER_RE = re.compile(r"^tg:(?://)?user\?id=(\d+)$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_HOST_CHARS_RE = re.compile(r"^[^\s/?#<>\"']+$")


def _link_user_id(url: str) -> int | None:
    match = _TG_USER_RE.match(url.strip())
    return int(match.group(1)) if match else None


def checked_link(url: str) -> str:
    """A link as Telegram stores it in a ``text_link``, or ``""`` when Telegram would drop it.

    Telegram adds ``http://`` to scheme-less links and a ``/`` after a bare host
    (``https://example.com`` comes back as ``https://example.com/``), accepts ``tg:`` and
    ``ton:`` links unchanged and rejects other schemes.
    """
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return ""
    scheme_match = _SCHEME_RE.match(url)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme in ("tg", "ton", "tonsite"):
            return url
        if scheme not in ("http", "https"):
            return ""
        rest = url[scheme_match.end() :]
        if not rest.startswith("//"):
            return ""
        rest = rest[2:]
    else:
        scheme, rest = "http", url
    split_at = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    host, tail = rest[:split_at], rest[split_at:]
    if not host or not _HOST_CHARS_RE.match(host):
        return ""
    if not tail.startswith("/"):
        tail = "/" + tail
    return f"{scheme}://{host}{tail}"


def _link_entity(kind_offset: int, length: int, url: str) -> _Entity | None:
    user_id = _link_user_id(url)
    if user_id is not None:
        return _Entity("text_mention", kind_offset, length, {"user": {"id": user_id}})
    link = checked_link(url)
    if not link:
        return None
    return _Entity("text_link", kind_offset, length, {"url": link})


# --------------------------------------------------------------------------------------------
# HTML


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_html_entity(t: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``pos``; ``None`` leaves the ``&`` as a literal, as tdlib does.

    Only ``&lt; &gt; &amp; &quot;`` and numeric references are known, and the semicolon is
    optional.
    """
    end = pos + 1
    if t[end] == "#":
        end += 1
        code = 0
        if t[end] == "x":
            end += 1
            while t[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(t[end], 16)
                end += 1
                if code >= 0x10FFFF:
                    return None
        else:
            while "0" <= t[end] <= "9":
                code = code * 10 + ord(t[end]) - 48
                end += 1
                if code >= 0x10FFFF:
                    return None
        if code == 0 or code >= 0x10FFFF or end - pos >= 10 or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while t[end].isascii() and t[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(t[pos + 1 : end])
        if named is None:
            return None
        char = named
    if t[end] == ";":
        end += 1
    return char, end


def _is_name_token_char(ch: str) -> bool:
    return (ch.isascii() and ch.isalnum()) or ch in ".-"


def parse_html(text: str) -> tuple[str, list[_Entity]]:
    """Port of tdlib's ``parse_html``; raises :class:`EntityParseError` with tdlib's message."""
    t = text + _END
    size = len(text)
    out: list[str] = []
    entities: list[_Entity] = []
    # Open tags: (tag name, argument, code-point offset where the entity starts)
    stack: list[tuple[str, str, int]] = []
    pos = 0  # code points written to ``out``
    i = 0
    while i < size:
        c = t[i]
        if c == "&":
            decoded = _decode_html_entity(t, i)
            if decoded is not None:
                out.append(decoded[0])
                pos += 1
                i = decoded[1]
                continue
        if c != "<":
            out.append(c)
            pos += 1
            i += 1
            continue

        begin = i
        i += 1
        if t[i] != "/":
            while t[i] not in _SPACE and t[i] != ">":
                i += 1
            if i >= size:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            tag = t[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            argument = ""
            while t[i] != ">":
                while i < size and t[i] in _SPACE:
                    i += 1
                if t[i] == ">":
                    break
                attr_begin = i
                while t[i] not in _SPACE and t[i] not in "=>":
                    i += 1
                attr = t[attr_begin:i]
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset'
                        f" {_byte_offset(text, begin)}"
                    )
                while i < size and t[i] in _SPACE:
                    i += 1
                if t[i] != "=":
                    # Telegram accepts the value-less ``<blockquote expandable>``; any other
                    # attribute without a value is still an error.
                    if tag == "blockquote" and attr == "expandable":
                        argument = "1"
                        if i >= size:
                            raise EntityParseError(
                                f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                            )
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag"
                        f' "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                i += 1
                while i < size and t[i] in _SPACE:
                    i += 1
                if i >= size:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                if t[i] not in "'\"":
                    token_begin = i
                    while _is_name_token_char(t[i]):
                        i += 1
                    value = t[token_begin:i].lower()
                    if t[i] not in _SPACE and t[i] != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset"
                            f" {_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = t[i]
                    i += 1
                    chars: list[str] = []
                    while t[i] != quote and i < size:
                        if t[i] == "&":
                            decoded = _decode_html_entity(t, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(t[i])
                        i += 1
                    if t[i] == quote:
                        i += 1
                    value = "".join(chars)
                if i >= size:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                    )
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    'Tag "span" must have class "tg-spoiler" at byte offset'
                    f" {_byte_offset(text, begin)}"
                )
            stack.append((tag, argument, pos))
            i += 1
            continue

        # A closing tag.
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        while t[i] not in _SPACE and t[i] != ">":
            i += 1
        end_tag = t[begin + 2 : i].lower()
        while i < size and t[i] in _SPACE:
            i += 1
        if t[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        tag, argument, start = stack.pop()
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, expected"
                f' "</{tag}>", found "</{end_tag}>"'
            )
        i += 1
        if pos <= start:
            continue  # empty entities vanish
        length = pos - start
        simple = _HTML_SIMPLE.get(tag)
        if simple is not None or tag == "span":
            entities.append(_Entity(simple or "spoiler", start, length))
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entities.append(_Entity("custom_emoji", start, length, {"custom_emoji_id": argument}))
        elif tag == "a":
            url = argument or "".join(out)[start:]
            link = _link_entity(start, length, url)
            if link is not None:
                entities.append(link)
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last.type == "code"
                and last.offset == start
                and last.length == length
                and last.extra.get("language")
            ):
                last.type = "pre"
            else:
                entities.append(_Entity("pre", start, length))
        elif tag == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last.type == "pre"
                and not last.extra.get("language")
                and last.offset == start
                and last.length == length
                and argument
            ):
                last.extra["language"] = argument
            else:
                extra = {"language": argument} if argument else {}
                entities.append(_Entity("code", start, length, extra))
        else:  # blockquote
            kind = "expandable_blockquote" if argument else "blockquote"
            entities.append(_Entity(kind, start, length))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity.type == "code":
            entity.extra.pop("language", None)  # a language only survives inside <pre>
    return "".join(out), entities


# --------------------------------------------------------------------------------------------
# MarkdownV2 and legacy Markdown


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


def parse_markdown_v2(text: str) -> tuple[str, list[_Entity]]:
    """Port of tdlib's ``parse_markdown_v2`` (blockquotes with ``>`` included)."""
    t = text + _END
    size = len(text)
    out: list[str] = []
    entities: list[_Entity] = []
    # Open entities: [kind, argument, code-point offset, byte offset, index in ``out``]
    stack: list[tuple[str, str, int, int]] = []
    have_blockquote = False
    i = 0
    while i < size:
        c = t[i]
        if c == "\\" and "\x01" <= t[i + 1] <= "\x7e":
            out.append(t[i + 1])
            i += 2
            continue
        top = stack[-1][0] if stack else ""
        in_code = top in ("code", "pre", "pre_code")
        if (c != "`") if in_code else (c not in _MDV2_RESERVED):
            out.append(c)
            i += 1
            continue

        is_end = False
        if stack:
            if have_blockquote and c == "\n" and (i + 1 == size or t[i + 1] != ">"):
                is_end = True
            elif top == "bold":
                is_end = c == "*"
            elif top == "italic":
                is_end = c == "_" and t[i + 1] != "_"
            elif top == "code":
                is_end = c == "`"
            elif top in ("pre", "pre_code"):
                is_end = c == "`" and t[i + 1] == "`" and t[i + 2] == "`"
            elif top in ("text_link", "custom_emoji"):
                is_end = c == "]"
            elif top == "underline":
                is_end = c == "_" and t[i + 1] == "_"
            elif top == "strikethrough":
                is_end = c == "~"
            elif top == "spoiler":
                is_end = c == "|" and t[i + 1] == "|"

        if not is_end:
            byte_begin = _byte_offset(text, i)
            argument = ""
            kind: str | None
            if c == "_":
                if t[i + 1] == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if t[i + 1] != "|":
                    raise _reserved(c)
                i += 1
                kind = "spoiler"
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if t[i + 1] == "`" and t[i + 2] == "`":
                    i += 3
                    kind = "pre"
                    language_end = i
                    while t[language_end] not in _SPACE and t[language_end] != "`":
                        language_end += 1
                    if i != language_end and language_end < size and t[language_end] != "`":
                        kind = "pre_code"
                        argument = t[i:language_end]
                        i = language_end
                    i = _skip_pre_newline(t, i) - 1
                else:
                    kind = "code"
            elif c == "!":
                if t[i + 1] != "[":
                    raise _reserved(c)
                i += 1
                kind = "custom_emoji"
            elif c == "\n":
                out.append("\n")
                kind = None
                if i + 1 < size and t[i + 1] == ">":
                    i += 1
                    if not have_blockquote:
                        kind = "blockquote"
                        have_blockquote = True
            elif c == ">" and i == 0:
                kind = "blockquote"
                have_blockquote = True
            else:
                raise _reserved(c)
            if kind is not None:
                stack.append((kind, argument, len(out), byte_begin))
            i += 1
            continue

        kind, argument, start, byte_begin = stack[-1]
        if c == "\n" and kind != "blockquote":
            raise EntityParseError(
                f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {byte_begin}"
            )
        skip = len(out) == start
        entity: _Entity | None = None
        if kind in ("bold", "italic", "code", "strikethrough", "underline", "spoiler"):
            if kind in ("underline", "spoiler"):
                i += 1
            entity = _Entity(kind, start, len(out) - start)
        elif kind in ("pre", "pre_code"):
            i += 2
            extra = {"language": argument} if kind == "pre_code" else {}
            entity = _Entity("pre", start, len(out) - start, extra)
        elif kind == "text_link":
            if t[i + 1] != "(":
                url = "".join(out[start:])
            else:
                i += 2
                url_begin = i
                url_chars: list[str] = []
                while i < size and t[i] != ")":
                    if t[i] == "\\" and "\x01" <= t[i + 1] <= "\x7e":
                        url_chars.append(t[i + 1])
                        i += 2
                        continue
                    url_chars.append(t[i])
                    i += 1
                if t[i] != ")":
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(url_chars)
            entity = _link_entity(start, len(out) - start, url)
        elif kind == "custom_emoji":
            if t[i + 1] != "(":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            i += 2
            url_begin = i
            url_chars = []
            while i < size and t[i] != ")":
                url_chars.append(t[i])
                i += 1
            if t[i] != ")":
                raise EntityParseError(
                    "Can't find end of a custom emoji URL at byte offset"
                    f" {_byte_offset(text, url_begin)}"
                )
            match = _CUSTOM_EMOJI_RE.match("".join(url_chars))
            if match is None:
                raise EntityParseError("Custom emoji URL must have an emoji identifier")
            entity = _Entity(
                "custom_emoji", start, len(out) - start, {"custom_emoji_id": match.group(1)}
            )
        else:  # blockquote, ended by a newline that does not continue the quote
            have_blockquote = False
            out.append(c)
            entity = _Entity("blockquote", start, len(out) - start)
        if entity is not None and not skip:
            entities.append(entity)
        stack.pop()
        i += 1

    if have_blockquote and stack and stack[-1][0] == "blockquote":
        start = stack.pop()[2]
        if len(out) > start:
            entities.append(_Entity("blockquote", start, len(out) - start))
    if stack:
        kind, _argument, _start, byte_begin = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {byte_begin}"
        )
    return "".join(out), entities


def parse_markdown(text: str) -> tuple[str, list[_Entity]]:
    """Port of tdlib's legacy ``parse_markdown`` (parse_mode ``Markdown``)."""
    t = text + _END
    size = len(text)
    out: list[str] = []
    entities: list[_Entity] = []
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
            while t[language_end] not in _SPACE and t[language_end] != "`":
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
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        length = len(out) - start
        if length:
            if c == "_":
                entities.append(_Entity("italic", start, length))
            elif c == "*":
                entities.append(_Entity("bold", start, length))
            elif c == "[":
                if t[i + 1] != "(":
                    url = t[begin + 1 : i]
                else:
                    i += 2
                    url_begin = i
                    while i < size and t[i] != ")":
                        i += 1
                    url = t[url_begin:i]
                link = _link_entity(start, length, url)
                if link is not None:
                    entities.append(link)
            elif is_pre:
                extra = {"language": language} if language else {}
                entities.append(_Entity("pre", start, length, extra))
            else:
                entities.append(_Entity("code", start, length))
        if is_pre:
            i += 2
        i += 1
    return "".join(out), entities


# --------------------------------------------------------------------------------------------
# Automatic entities (what Telegram finds in any text: @mentions, #hashtags, /commands, ...)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _is_hashtag_letter(ch: str) -> bool:
    return ch.isalnum() or ch in "_\u200c\u00b7" or "\u0d80" <= ch <= "\u0dff"


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _find_mentions(text: str) -> Iterable[tuple[int, int]]:
    start = text.find("@")
    while start >= 0:
        if start == 0 or not _is_word_char(text[start - 1]):
            end = start + 1
            while end < len(text) and _ascii_word(text[end]):
                end += 1
            size = end - start - 1
            next_char = text[end] if end < len(text) else ""
            # Telegram ignores mentions shorter than 4 characters except a few bot names.
            valid_size = 4 <= size <= 32 or text[start + 1 : end].lower() in ("gif", "vid", "pic")
            if valid_size and not (next_char and _is_word_char(next_char)):
                yield start, end
        start = text.find("@", start + 1)


def _find_bot_commands(text: str) -> Iterable[tuple[int, int]]:
    start = text.find("/")
    while start >= 0:
        prev = text[start - 1] if start else ""
        if not prev or not (_is_word_char(prev) or prev in "/<>"):
            end = start + 1
            while end < len(text) and _ascii_word(text[end]):
                end += 1
            ok = 1 <= end - start - 1 <= 64
            if ok and end < len(text) and text[end] == "@":
                mention_end = end + 1
                while mention_end < len(text) and _ascii_word(text[mention_end]):
                    mention_end += 1
                ok = 3 <= mention_end - end - 1 <= 32
                end = mention_end
            next_char = text[end] if end < len(text) else ""
            if ok and not (next_char and (_is_word_char(next_char) or next_char in "/<>")):
                yield start, end
        start = text.find("/", start + 1)


def _find_hashtags(text: str) -> Iterable[tuple[int, int]]:
    start = text.find("#")
    while start >= 0:
        if start == 0 or not _is_hashtag_letter(text[start - 1]):
            end = start + 1
            while end < len(text) and _is_hashtag_letter(text[end]):
                end += 1
            body = text[start + 1 : end]
            followed_by_hash = end < len(text) and text[end] == "#"
            if body and not followed_by_hash and any(ch.isalpha() for ch in body):
                yield start, start + 1 + min(len(body), 256)
        start = text.find("#", start + 1)


def _find_cashtags(text: str) -> Iterable[tuple[int, int]]:
    for match in re.finditer(r"\$(1INCH|[A-Z]{1,8})", text):
        start, end = match.span()
        prev = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if prev and (_is_hashtag_letter(prev) or prev == "$"):
            continue
        if after and (_is_hashtag_letter(after) or after == "$"):
            continue
        yield start, end


_EMAIL_RE = re.compile(
    r"(?<![\w.+@-])[A-Za-z0-9_-]+(?:[.+][A-Za-z0-9_-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,8}(?![\w@-])"
)
_URL_RE = re.compile(
    r"(?<![\w/#@.$-])"
    r"(?:(?P<scheme>https?|ftp)://)?"
    r"(?P<host>(?:[\w~-]+\.)+[\w~-]+)"
    r"(?P<port>:\d{1,5})?"
    r"(?P<path>[/?#][^\s<>\"«»]*)?",
    re.IGNORECASE,
)
_TG_URL_RE = re.compile(r"(?<![\w])(?:tg|ton)://[\w-]{1,253}(?:[/?#][^\s<>\"«»]*)?", re.I)
# A scheme-less link is only recognised with a well-known top-level domain; tdlib has the full
# IANA list, this is the part Indonesian and international users actually type.
_COMMON_TLDS = frozenset(
    "com net org id io me info app dev co ru uk de gov edu biz xyz ly tv ai sh to link site "
    "online store tech mil int eu asia us ca au in sg my jp cn fr it es nl be ch se no fi pl ua "
    "kz tr br mx ar nz za blog news shop cloud web page live pro club top ac cc ws su by gl"
    " gg".split()
)
_BAD_PATH_END = ".:;,('?!`"


def _trim_path(path: str) -> str:
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    cut = len(path)
    for index, ch in enumerate(path):
        if ch in depth:
            depth[ch] += 1
        elif ch in closing:
            depth[closing[ch]] -= 1
            if depth[closing[ch]] < 0:
                cut = index
                break
    path = path[:cut]
    while len(path) > 1 and path[-1] in _BAD_PATH_END:
        path = path[:-1]
    if path in ("?", "#"):
        return ""
    return path


def _valid_host(host: str, has_scheme: bool) -> bool:
    parts = host.split(".")
    if len(parts) < 2 or any(not part or len(part) >= 64 or part.endswith("-") for part in parts):
        return False
    if all(part.isdigit() for part in parts):
        return len(parts) == 4 and all(int(part) <= 255 for part in parts)
    tld = parts[-1]
    if len(tld) <= 1 or "_" in tld or "-" in tld:
        return False
    return has_scheme or tld.lower() in _COMMON_TLDS


def _find_urls(text: str) -> Iterable[tuple[int, int, str]]:
    for match in _EMAIL_RE.finditer(text):
        yield match.start(), match.end(), "email"
    for match in _TG_URL_RE.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _BAD_PATH_END:
            end -= 1
        yield match.start(), end, "url"
    for match in _URL_RE.finditer(text):
        host = match.group("host").rstrip(".")
        if not _valid_host(host, match.group("scheme") is not None):
            continue
        end = match.start("host") + len(host)
        if match.group("port") and host == match.group("host"):
            end = match.end("port")
        path = match.group("path")
        if path and host == match.group("host"):
            end += len(_trim_path(path))
        yield match.start(), end, "url"


def detect_entities(text: str) -> list[_Entity]:
    """Entities Telegram finds by itself in any message text, non-overlapping and sorted."""
    found: list[_Entity] = []
    if "@" in text:
        found.extend(_Entity("mention", s, e - s) for s, e in _find_mentions(text))
    if "/" in text:
        found.extend(_Entity("bot_command", s, e - s) for s, e in _find_bot_commands(text))
    if "#" in text:
        found.extend(_Entity("hashtag", s, e - s) for s, e in _find_hashtags(text))
    if "$" in text:
        found.extend(_Entity("cashtag", s, e - s) for s, e in _find_cashtags(text))
    if "." in text or "://" in text:
        found.extend(_Entity(kind, s, e - s) for s, e, kind in _find_urls(text) if e > s)
    if not found:
        return found
    found.sort(key=_Entity.sort_key)
    return _remove_intersecting(found)


# --------------------------------------------------------------------------------------------
# Clean-up (tdlib's fix_formatted_text)


def _remove_intersecting(entities: list[_Entity]) -> list[_Entity]:
    kept: list[_Entity] = []
    last_end = 0
    for entity in entities:
        if entity.offset >= last_end:
            kept.append(entity)
            last_end = entity.end
    return kept


def _entities_valid(entities: list[_Entity]) -> bool:
    """Port of tdlib's ``are_entities_valid``: already in the canonical nested form?"""
    end_pos = dict.fromkeys(_SPLITTABLE, -1)
    stack: list[_Entity] = []
    for entity in entities:
        while stack and entity.offset >= stack[-1].end:
            stack.pop()
        if stack:
            nested = {e.type for e in stack}
            if entity.end > stack[-1].end or entity.type in nested:
                return False
            if stack[-1].type in _PRE:
                return False
            if entity.type in _PRE and nested - _BLOCKQUOTE:
                return False
            if (entity.type in _CONTINUOUS or entity.type in _BLOCKQUOTE) and nested & _CONTINUOUS:
                return False
            if nested & _SPLITTABLE_SET:
                return False
        if entity.type in _SPLITTABLE_SET:
            if end_pos[entity.type] >= entity.offset:
                return False
            end_pos[entity.type] = entity.end
        stack.append(entity)
    return True


def _split_entities(splittable: list[_Entity], others: list[_Entity]) -> list[_Entity]:
    """Port of tdlib's ``split_entities``: merge touching bold/italic/... runs and cut them at
    the borders of other entities, dropping the parts inside code and pre."""
    begin = dict.fromkeys(_SPLITTABLE, 0)
    end = dict.fromkeys(_SPLITTABLE, 0)
    result: list[_Entity] = []
    index = 0

    def flush(offset: int) -> None:
        for kind in _SPLITTABLE:
            if end[kind] != 0 and begin[kind] < offset:
                if end[kind] <= offset:
                    result.append(_Entity(kind, begin[kind], end[kind] - begin[kind]))
                    begin[kind] = end[kind] = 0
                else:
                    result.append(_Entity(kind, begin[kind], offset - begin[kind]))
                    begin[kind] = offset

    def add_entities(end_offset: int) -> None:
        nonlocal index
        while index < len(splittable):
            entity = splittable[index]
            if entity.offset >= end_offset:
                break
            kind = entity.type
            if entity.offset <= end[kind] and end[kind] != 0:
                end[kind] = max(end[kind], entity.end)
            else:
                flush(entity.offset)
                begin[kind] = entity.offset
                end[kind] = entity.end
            index += 1
        flush(end_offset)

    stack: list[_Entity] = []

    def add_offset(offset: int) -> None:
        while stack and offset >= stack[-1].end:
            kept = len(result)
            add_entities(stack[-1].end)
            if stack[-1].type in _PRE:
                del result[kept:]
            stack.pop()
        add_entities(offset)

    for other in others:
        add_offset(other.offset)
        stack.append(other)
    add_offset(1 << 62)
    result.sort(key=_Entity.sort_key)
    return result


def _straddles(entity: _Entity, quote: _Entity) -> bool:
    overlaps = quote.offset < entity.end and entity.offset < quote.end
    inside = quote.offset <= entity.offset and entity.end <= quote.end
    return overlaps and not inside


def _fix_entities(entities: list[_Entity]) -> list[_Entity]:
    if len(entities) <= 1:
        return entities
    entities.sort(key=_Entity.sort_key)
    if _entities_valid(entities):
        return entities
    splittable = [e for e in entities if e.type in _SPLITTABLE_SET]
    quotes = _remove_intersecting([e for e in entities if e.type in _BLOCKQUOTE])
    continuous = _remove_intersecting(
        [e for e in entities if e.type not in _SPLITTABLE_SET and e.type not in _BLOCKQUOTE]
    )
    if quotes:
        # Continuous entities may sit inside a blockquote but not straddle its border.
        continuous = [e for e in continuous if not any(_straddles(e, q) for q in quotes)]
    others = sorted(continuous + quotes, key=_Entity.sort_key)
    if not splittable:
        return others
    return sorted(_split_entities(splittable, others) + others, key=_Entity.sort_key)


# Characters Telegram deletes from every text: \r, line/paragraph separators, bidi embeddings
# and three combining marks used to draw lines through text.
_DELETED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")
_CLEAN_NEEDED_RE = re.compile("[\x00-\x09\x0b-\x1f\u2028-\u202e\u0333\u033f\u030a]")


def _clean(text: str, entities: list[_Entity]) -> str:
    """Control characters become spaces, characters in ``_DELETED`` vanish."""
    if not _CLEAN_NEEDED_RE.search(text):
        return text
    out: list[str] = []
    # new_index[i] is the position in the cleaned text of original code point i.
    new_index: list[int] = []
    for ch in text:
        new_index.append(len(out))
        if ch in _DELETED:
            continue
        out.append(" " if ch < " " and ch != "\n" else ch)
    new_index.append(len(out))
    for entity in entities:
        start = new_index[min(entity.offset, len(text))]
        stop = new_index[min(entity.end, len(text))]
        entity.offset, entity.length = start, stop - start
    return "".join(out)


def _to_utf16(text: str, entities: list[_Entity]) -> list[dict[str, Any]]:
    if text.isascii() or all(ch <= "\uffff" for ch in text):
        positions: list[int] | None = None
    else:
        positions = [0]
        for ch in text:
            positions.append(positions[-1] + (2 if ch > "\uffff" else 1))
    result: list[dict[str, Any]] = []
    for entity in entities:
        if positions is None:
            offset, length = entity.offset, entity.length
        else:
            offset = positions[entity.offset]
            length = positions[entity.end] - offset
        item: dict[str, Any] = {"offset": offset, "length": length, "type": entity.type}
        item.update(entity.extra)
        result.append(item)
    return result


def finalize(
    text: str,
    entities: list[_Entity],
    *,
    detect: bool = True,
    resolve_user: Callable[[int], dict[str, Any]] | None = None,
) -> FormattedText:
    """Apply Telegram's clean-up to parsed text (offsets in code points) and return Bot API
    entities (UTF-16). Raises :class:`EmptyTextError` when only whitespace is left."""
    entities = [e for e in entities if e.length > 0 and e.offset >= 0]
    text = _clean(text, entities)
    size = len(text)
    for entity in entities:
        if entity.end > size:
            entity.length = max(0, size - entity.offset)
    entities = _fix_entities([e for e in entities if e.length > 0])

    # Whitespace-only entities go (unless they carry hidden data such as a URL); others lose
    # their leading whitespace.
    kept: list[_Entity] = []
    for entity in entities:
        if entity.type not in _HIDDEN_DATA:
            start = entity.offset
            while start < entity.end and text[start] in " \n":
                start += 1
            if start == entity.end:
                continue
            entity.length = entity.end - start
            entity.offset = start
        kept.append(entity)
    entities = kept

    last = size - 1
    while last >= 0 and text[last] in " \n":
        last -= 1
    if last < 0:
        raise EmptyTextError
    text = text[: last + 1]
    entities = [e for e in entities if e.offset <= last]
    for entity in entities:
        if entity.end > last + 1:
            entity.length = last + 1 - entity.offset
    entities.sort(key=_Entity.sort_key)
    first_entity = entities[0].offset if entities else len(text)
    lead = 0
    while lead < first_entity and text[lead] in " \n":
        lead += 1
    if lead:
        text = text[lead:]
        for entity in entities:
            entity.offset -= lead

    if detect:
        found = detect_entities(text)
        if found:
            blockers = [e for e in entities if e.type not in _SPLITTABLE_SET | _BLOCKQUOTE]
            found = [
                f for f in found if not any(b.offset < f.end and f.offset < b.end for b in blockers)
            ]
            if found:
                entities = _fix_entities(entities + found)

    if resolve_user is not None:
        for entity in entities:
            if entity.type == "text_mention":
                entity.extra["user"] = resolve_user(int(entity.extra["user"]["id"]))
    return FormattedText(text, _to_utf16(text, entities))


# --------------------------------------------------------------------------------------------
# Entry point


def _entities_from_api(text: str, raw: list[dict[str, Any]]) -> list[_Entity]:
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
    result: list[_Entity] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type", ""))
        if kind not in _PRIORITIES:
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
        result.append(_Entity(kind, offset, length, extra))
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
