"""Message text with Telegram's entities → safe HTML for the sandbox page.

The page never shows the bot's own markup: it rebuilds the formatting from the text and the
entities the emulator parsed out of it, as a Telegram client does. The result contains only
escaped text and the tags Telegram can show (b, i, u, s, code, pre, a, tg-spoiler, blockquote)
with no attributes other than a checked ``href`` and the page's own ``data-command``.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

__all__ = ["ALLOWED_TAGS", "entities_to_html", "safe_href"]

ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code", "pre", "a", "tg-spoiler", "blockquote"})

_SIMPLE = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "spoiler": "tg-spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
}
_SCHEMES = {"http", "https", "tg", "mailto", "tel"}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def safe_href(url: str) -> str | None:
    """A link target the page may follow: http(s), tg, mailto or tel only; bare host names
    (Telegram links ``example.com``) get ``http://``."""
    url = url.strip()
    if not url or any(ord(ch) < 32 or ch in '\\"<>' for ch in url):
        return None
    scheme = _SCHEME.match(url)
    if scheme and not url[scheme.end() : scheme.end() + 1].isdigit():  # not host:port
        return url if scheme.group(1).lower() in _SCHEMES else None
    return "http://" + url


def _open_tag(entity: dict[str, Any], covered: str) -> tuple[str, str]:
    """Opening and closing tag for one entity ("" for entities shown as plain text)."""
    kind = entity.get("type")
    if kind in _SIMPLE:
        tag = _SIMPLE[kind]
        return f"<{tag}>", f"</{tag}>"
    href: str | None = None
    if kind == "text_link":
        href = safe_href(str(entity.get("url", "")))
    elif kind == "url":
        href = safe_href(covered)
    elif kind == "email":
        href = safe_href("mailto:" + covered)
    elif kind == "phone_number":
        href = safe_href("tel:" + covered)
    elif kind == "bot_command":
        # A tap on a command sends it, as in Telegram; the page reads data-command.
        return f'<a data-command="{escape(covered, quote=True)}">', "</a>"
    if href is not None:
        target = escape(href, quote=True)
        return f'<a href="{target}" target="_blank" rel="noopener noreferrer">', "</a>"
    return "", ""


def entities_to_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """HTML for ``text`` formatted by ``entities`` (offsets and lengths in UTF-16 code units).

    Entities that cross (Telegram sends nested ones, but a client must not break on others) are
    closed and reopened around each other, so the markup is always well formed.
    """
    units = text.encode("utf-16-le")
    size = len(units) // 2

    def piece(start: int, end: int) -> str:
        return units[start * 2 : end * 2].decode("utf-16-le", errors="replace")

    spans: list[tuple[int, int, str, str]] = []
    for entity in entities or []:
        try:
            start = max(0, int(entity["offset"]))
            end = min(size, start + int(entity["length"]))
        except (KeyError, TypeError, ValueError):
            continue
        if end <= start:
            continue
        opening, closing = _open_tag(entity, piece(start, end))
        if opening:
            spans.append((start, end, opening, closing))
    # Outer first: earlier start, then longer.
    spans.sort(key=lambda span: (span[0], -span[1]))
    boundaries = sorted({0, size, *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out: list[str] = []
    stack: list[tuple[int, int, str, str]] = []
    pending = list(spans)
    for index, position in enumerate(boundaries):
        # Close what ends here (innermost first); reopen anything closed only to get out.
        if any(end == position for _, end, _, _ in stack):
            reopen: list[tuple[int, int, str, str]] = []
            while any(end == position for _, end, _, _ in stack):
                top = stack.pop()
                out.append(top[3])
                if top[1] != position:
                    reopen.append(top)
            for span in reversed(reopen):
                out.append(span[2])
                stack.append(span)
        while pending and pending[0][0] == position:
            span = pending.pop(0)
            out.append(span[2])
            stack.append(span)
        if index + 1 < len(boundaries):
            out.append(escape(piece(position, boundaries[index + 1]), quote=False))
    while stack:
        out.append(stack.pop()[3])
    return "".join(out)  # line breaks stay "\n": the page uses white-space: pre-wrap
