"""Entities Telegram finds by itself in any text, the bot's and the users': @mentions,
/commands, #hashtags, $cashtags, URLs and e-mail addresses."""

from __future__ import annotations

import re
from collections.abc import Iterable

from emulator.textparse.entities import Entity

__all__ = ["detect_entities", "remove_intersecting"]


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


def detect_entities(text: str) -> list[Entity]:
    """Entities Telegram finds by itself in any message text, non-overlapping and sorted."""
    found: list[Entity] = []
    if "@" in text:
        found.extend(Entity("mention", s, e - s) for s, e in _find_mentions(text))
    if "/" in text:
        found.extend(Entity("bot_command", s, e - s) for s, e in _find_bot_commands(text))
    if "#" in text:
        found.extend(Entity("hashtag", s, e - s) for s, e in _find_hashtags(text))
    if "$" in text:
        found.extend(Entity("cashtag", s, e - s) for s, e in _find_cashtags(text))
    if "." in text or "://" in text:
        found.extend(Entity(kind, s, e - s) for s, e, kind in _find_urls(text) if e > s)
    if not found:
        return found
    found.sort(key=Entity.sort_key)
    return remove_intersecting(found)


def remove_intersecting(entities: list[Entity]) -> list[Entity]:
    """Keep, in order, each entity that starts after the previous kept one ended."""
    kept: list[Entity] = []
    last_end = 0
    for entity in entities:
        if entity.offset >= last_end:
            kept.append(entity)
            last_end = entity.end
    return kept
