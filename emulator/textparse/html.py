"""``parse_mode=HTML``: a port of tdlib's ``parse_html`` (td/telegram/MessageEntity.cpp).

tdlib's is one long function; here the same steps are methods of a small parser object (a
start tag, one attribute, an end tag, the entity a closed tag makes) so each reads at a
glance. The order of checks, and so which error a broken text gets, is tdlib's.
"""

from __future__ import annotations

from emulator.textparse.entities import END, SPACE, Entity, EntityParseError, byte_offset
from emulator.textparse.links import link_entity

__all__ = ["parse_html"]

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


def _tag_argument(tag: str, attribute: str, value: str, argument: str) -> str:
    """What an attribute contributes to its tag (the link, the language...); others are
    ignored, as by Telegram."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value[9:]
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value[3:]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "1"
    return argument


class _HtmlParser:
    """One parse. ``t`` is the text with a NUL after it, so looking one character past the
    end is always safe (tdlib relies on the same trick); ``i`` is the read position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.t = text + END
        self.size = len(text)
        self.i = 0
        self.out: list[str] = []
        self.entities: list[Entity] = []
        # Open tags: (tag name, argument, code-point offset where the entity starts)
        self.stack: list[tuple[str, str, int]] = []

    def _error(self, message: str, at: int) -> EntityParseError:
        return EntityParseError(f"{message} at byte offset {byte_offset(self.text, at)}")

    def parse(self) -> tuple[str, list[Entity]]:
        t, size, out = self.t, self.size, self.out
        i = 0
        # Plain characters are the hot path: locals only, the object's state only for tags.
        while i < size:
            c = t[i]
            if c == "&":
                decoded = _decode_html_entity(t, i)
                if decoded is not None:
                    out.append(decoded[0])
                    i = decoded[1]
                    continue
            if c != "<":
                out.append(c)
                i += 1
                continue
            self.i = i + 1
            if t[i + 1] != "/":
                self._start_tag(i)
            else:
                self._end_tag(i)
            i = self.i
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        for entity in self.entities:
            if entity.type == "code":
                entity.extra.pop("language", None)  # a language only survives inside <pre>
        return "".join(out), self.entities

    def _start_tag(self, begin: int) -> None:
        t, size = self.t, self.size
        i = self.i
        while t[i] not in SPACE and t[i] != ">":
            i += 1
        if i >= size:
            raise self._error("Unclosed start tag", begin)
        tag = t[begin + 1 : i].lower()
        if tag not in _HTML_TAGS:
            raise self._error(f'Unsupported start tag "{tag}"', begin)
        self.i = i
        argument = ""
        while t[self.i] != ">":
            attribute = self._attribute(tag, begin)
            if attribute is None:
                break
            argument = _tag_argument(tag, *attribute, argument)
        if tag == "span" and argument != "spoiler":
            raise self._error('Tag "span" must have class "tg-spoiler"', begin)
        self.stack.append((tag, argument, len(self.out)))
        self.i += 1

    def _attribute(self, tag: str, begin: int) -> tuple[str, str] | None:
        """Read one ``name=value`` of a start tag; ``None`` at the tag's ``>``."""
        t, size = self.t, self.size
        i = self.i
        while i < size and t[i] in SPACE:
            i += 1
        if t[i] == ">":
            self.i = i
            return None
        attr_begin = i
        while t[i] not in SPACE and t[i] not in "=>":
            i += 1
        attribute = t[attr_begin:i]
        if not attribute:
            raise self._error(f'Empty attribute name in the tag "{tag}"', begin)
        while i < size and t[i] in SPACE:
            i += 1
        if t[i] != "=":
            # Telegram accepts the value-less ``<blockquote expandable>``; any other
            # attribute without a value is still an error.
            if tag == "blockquote" and attribute == "expandable":
                if i >= size:
                    raise self._error("Unclosed start tag", begin)
                self.i = i
                return attribute, ""
            raise self._error(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}"', begin
            )
        i += 1
        while i < size and t[i] in SPACE:
            i += 1
        if i >= size:
            raise self._error(f'Unclosed start tag "{tag}"', begin)
        self.i = i
        value = self._attribute_value()
        if self.i >= size:
            raise self._error("Unclosed start tag", begin)
        return attribute, value

    def _attribute_value(self) -> str:
        t, size = self.t, self.size
        i = self.i
        if t[i] not in "'\"":
            token_begin = i
            while _is_name_token_char(t[i]):
                i += 1
            if t[i] not in SPACE and t[i] != ">":
                raise self._error("Unexpected end of name token", token_begin)
            self.i = i
            return t[token_begin:i].lower()
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
        self.i = i
        return "".join(chars)

    def _end_tag(self, begin: int) -> None:
        t, size = self.t, self.size
        if not self.stack:
            raise self._error("Unexpected end tag", begin)
        i = self.i
        while t[i] not in SPACE and t[i] != ">":
            i += 1
        end_tag = t[begin + 2 : i].lower()
        while i < size and t[i] in SPACE:
            i += 1
        if t[i] != ">":
            raise self._error("Unclosed end tag", begin)
        tag, argument, start = self.stack.pop()
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {byte_offset(self.text, begin)}, expected"
                f' "</{tag}>", found "</{end_tag}>"'
            )
        self.i = i + 1
        position = len(self.out)
        if position > start:  # empty entities vanish
            self._close(tag, argument, start, position - start)

    def _close(self, tag: str, argument: str, start: int, length: int) -> None:
        """Add the entity a closed tag makes (``<pre><code class=...>`` become one)."""
        entities = self.entities
        last = entities[-1] if entities else None
        same_span = last is not None and last.offset == start and last.length == length
        simple = _HTML_SIMPLE.get(tag)
        if simple is not None or tag == "span":
            entities.append(Entity(simple or "spoiler", start, length))
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entities.append(Entity("custom_emoji", start, length, {"custom_emoji_id": argument}))
        elif tag == "a":
            url = argument or "".join(self.out)[start:]
            link = link_entity(start, length, url)
            if link is not None:
                entities.append(link)
        elif tag == "pre":
            if (
                last is not None
                and same_span
                and last.type == "code"
                and last.extra.get("language")
            ):
                last.type = "pre"
            else:
                entities.append(Entity("pre", start, length))
        elif tag == "code":
            if (
                last is not None
                and same_span
                and last.type == "pre"
                and not last.extra.get("language")
                and argument
            ):
                last.extra["language"] = argument
            else:
                extra = {"language": argument} if argument else {}
                entities.append(Entity("code", start, length, extra))
        else:  # blockquote
            kind = "expandable_blockquote" if argument else "blockquote"
            entities.append(Entity(kind, start, length))


def parse_html(text: str) -> tuple[str, list[Entity]]:
    """Port of tdlib's ``parse_html``; raises :class:`EntityParseError` with tdlib's message."""
    return _HtmlParser(text).parse()
