"""Names of the files people send: the name shown (the sender's, made safe and short enough for
its column) and the name stored on disk (ours: never the sender's name or extension).

A stored file lives at ``<data folder>/<folder>/<YYYY-MM>/<name>``; the database keeps that path
relative to the data folder, so files are found from the settings, wherever the bot or the CLI
was started.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath, PurePosixPath

FILE_NAME_LENGTH = 200  # the file_name columns
MIME_LENGTH = 100  # the mime_type columns
_EXTENSION_LENGTH = 10
_MIME_RE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
# Kinds of content Sigap stores with an extension: pictures, documents, sound and video people
# send as evidence. Anything else (programs, archives, scripts, unknown) is stored without one.
STORED_EXTENSIONS = frozenset(
    {
        *("jpg", "png", "gif", "webp", "heic", "avif", "bmp", "tif"),
        *("pdf", "rtf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp"),
        *("mp3", "m4a", "ogg", "wav", "amr", "mp4", "mov", "3gp", "webm"),
    }
)
SNIFF_BYTES = 8192  # what ``filetype`` reads; office formats need more than the magic number


def _printable(char: str) -> bool:
    # Cc: control characters; Cf: format characters such as the right-to-left override that
    # makes "gpj.exe" look like "exe.jpg"; Cs: lone surrogates (not encodable as UTF-8);
    # Zl/Zp: line breaks.
    return unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _cut(text: str, length: int) -> str:
    """At most ``length`` characters, never cutting a character made of several code points (a
    letter and its accent, an emoji and its skin tone) in two."""
    end = min(length, len(text))
    while 0 < end < len(text) and _continues(text[end]):
        end -= 1
    return text[:end]


def _continues(char: str) -> bool:
    """Whether ``char`` belongs to the character before it."""
    return unicodedata.category(char).startswith("M") or "\U0001f3fb" <= char <= "\U0001f3ff"


def safe_file_name(name: str | None, length: int = FILE_NAME_LENGTH) -> str | None:
    """The sender's file name as Sigap shows and keeps it: no control or format characters,
    no path separators, spaces collapsed, and at most ``length`` characters with the
    extension kept (``KTP_Siti_Anonimah_…_2026.pdf``). None when nothing is left."""
    if not name:
        return None
    cleaned = "".join(c if _printable(c) else " " for c in name)
    cleaned = re.sub(r"[/\\]+", "_", cleaned)
    cleaned = " ".join(cleaned.split()).strip(" .")
    if not cleaned:
        return None
    if len(cleaned) <= length:
        return cleaned
    stem, dot, extension = cleaned.rpartition(".")
    if not dot or not stem or len(extension) > _EXTENSION_LENGTH or " " in extension:
        return _cut(cleaned, length - 1) + "…"
    return _cut(stem, length - len(extension) - 2) + "…." + extension


def safe_mime(mime: str | None) -> str | None:
    """The sender's MIME type if it looks like one (``type/subtype``), else None."""
    if not mime:
        return None
    mime = mime.strip().lower()
    return mime if len(mime) <= MIME_LENGTH and _MIME_RE.fullmatch(mime) else None


def content_extension(head: bytes) -> str:
    """The extension (with its dot) for content starting with ``head``, from what the bytes
    are, never from what the sender called them; "" for content outside the allow-list."""
    # Imported at the first file: ~15 modules of matchers a bot that gets no file never needs.
    import filetype

    kind = filetype.guess(head[:SNIFF_BYTES]) if head else None
    if kind is None or kind.extension not in STORED_EXTENSIONS:
        return ""
    return "." + kind.extension


def stored_name(file_unique_id: str, extension: str) -> str:
    """The name on disk: Telegram's unique id of the file (the same file sent twice is stored
    once), restricted to safe characters."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", file_unique_id)[:64] or "file"
    return safe + extension


def stored_relative(stored_path: str | None) -> PurePosixPath | None:
    """The ``<folder>/<YYYY-MM>/<name>`` of a stored file under the data folder.

    Rows written before paths were kept relative hold the whole path the file had then
    (absolute, or relative to the folder the bot ran in); their last three parts are the same
    place under the data folder. None for a path that is no such file: nothing outside the
    data folder is ever read or deleted because of a row.
    """
    if not stored_path:
        return None
    parts = PurePath(stored_path.replace("\\", "/")).parts[-3:]
    if len(parts) != 3 or any(p in ("", ".", "..") or p.startswith("/") for p in parts):
        return None
    return PurePosixPath(*parts)
