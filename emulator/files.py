"""In-memory file storage: file_ids, PhotoSize sets, file paths for download."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FileStore", "StoredFile", "image_size"]

# Real file_ids start with a few bytes that encode the file type; keeping the same prefixes
# makes logs and fixtures look like the real thing and lets a reader tell kinds apart.
_ID_PREFIX = {
    "photo": "AgACAgUAAxkBAAI",
    "document": "BQACAgUAAxkBAAI",
    "sticker": "CAACAgUAAxkBAAI",
    "voice": "AwACAgUAAxkBAAI",
}
_UNIQUE_PREFIX = {"photo": "AQAD", "document": "AgAD", "sticker": "AgAD", "voice": "AgAD"}
_DIRECTORY = {"photo": "photos", "document": "documents", "sticker": "stickers", "voice": "voice"}
_DEFAULT_EXT = {"photo": "jpg", "document": "bin", "sticker": "webp", "voice": "oga"}


@dataclass(slots=True, eq=False)
class StoredFile:
    """One stored file. ``data`` is ``None`` for files that only pretend to have a size."""

    kind: str
    file_id: str
    file_unique_id: str
    file_path: str
    size: int
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    # For photos: the whole PhotoSize list this size belongs to, so a photo re-sent by the
    # file_id of any one size comes back with all its sizes, as on Telegram.
    photo: list[dict[str, Any]] = field(default_factory=list)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    if data[:2] != b"\xff\xd8":
        return None
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            index += 1 if marker == 0xFF else 2
            continue
        (segment_length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # SOF0..SOF15 carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + segment_length
    return None


def image_size(data: bytes | None) -> tuple[int, int]:
    """Width and height of a PNG or JPEG; a plausible 1280x960 for anything else."""
    if data:
        size = _png_size(data) or _jpeg_size(data)
        if size is not None and size[0] > 0 and size[1] > 0:
            return size
    return 1280, 960


def _scaled(width: int, height: int, longest: int) -> tuple[int, int]:
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class FileStore:
    """All files the emulator knows, by file_id and by file_path."""

    def __init__(self, bot_id: int) -> None:
        self._bot_id = bot_id
        self._counter = 0
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}

    def _ids(self, kind: str) -> tuple[int, str, str]:
        self._counter += 1
        number = self._counter
        packed = struct.pack(">IQ", self._bot_id & 0xFFFFFFFF, number * 2654435761 & (2**64 - 1))
        opaque = base64.urlsafe_b64encode(packed + struct.pack(">I", number)).decode().rstrip("=")
        unique = base64.urlsafe_b64encode(struct.pack(">Q", number)).decode().rstrip("=")
        return number, _ID_PREFIX[kind] + opaque, _UNIQUE_PREFIX[kind] + unique

    def add(
        self,
        kind: str,
        data: bytes | None,
        *,
        size: int | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number, file_id, unique_id = self._ids(kind)
        ext = _DEFAULT_EXT[kind]
        if file_name and "." in file_name:
            ext = file_name.rsplit(".", 1)[1].lower() or ext
        stored = StoredFile(
            kind=kind,
            file_id=file_id,
            file_unique_id=unique_id,
            file_path=f"{_DIRECTORY[kind]}/file_{number}.{ext}",
            size=len(data or b"") if size is None else size,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.by_id[file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def add_photo(self, data: bytes | None, *, size: int | None = None) -> list[dict[str, Any]]:
        """Store a photo and return its PhotoSize list, smallest first like Telegram.

        The thumbnails share the original's bytes (nothing is resized) so every size
        downloads something real; their reported file_size is that of the bytes they serve.
        """
        width, height = image_size(data)
        sizes: list[dict[str, Any]] = []
        for longest in (90, 320):
            if max(width, height) > longest:
                thumb = self.add("photo", data)
                thumb_width, thumb_height = _scaled(width, height, longest)
                sizes.append(self._photo_size(thumb, thumb_width, thumb_height))
        original = self.add("photo", data, size=size)
        sizes.append(self._photo_size(original, width, height))
        for entry in sizes:
            self.by_id[entry["file_id"]].photo = sizes
        return sizes

    @staticmethod
    def _photo_size(stored: StoredFile, width: int, height: int) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "width": width,
            "height": height,
        }

    def document(self, stored: StoredFile) -> dict[str, Any]:
        result: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.file_name:
            result["file_name"] = stored.file_name
        if stored.mime_type:
            result["mime_type"] = stored.mime_type
        return result
