"""Links in entities: what Telegram keeps of a ``text_link`` URL, and ``tg://user?id=`` links
that become ``text_mention``."""

from __future__ import annotations

import re

from emulator.textparse.entities import Entity

__all__ = ["checked_link", "link_entity"]

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


def link_entity(offset: int, length: int, url: str) -> Entity | None:
    """The entity a link with text makes: a mention for ``tg://user?id=``, a checked
    ``text_link`` otherwise, nothing for a link Telegram drops."""
    user_id = _link_user_id(url)
    if user_id is not None:
        return Entity("text_mention", offset, length, {"user": {"id": user_id}})
    link = checked_link(url)
    if not link:
        return None
    return Entity("text_link", offset, length, {"url": link})
