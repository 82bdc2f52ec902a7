"""Files: what a send method was given (an upload, a known file_id, an HTTP URL) and getFile."""

from __future__ import annotations

from typing import Any

from emulator import errors
from emulator.errors import bad_request
from emulator.files import StoredFile
from emulator.params import Params, UploadedFile
from emulator.state import EmulatorState, MethodHandler

__all__ = ["METHODS", "input_file"]

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files on the cloud Bot API


def input_file(
    emu: EmulatorState, params: Params, name: str, kind: str
) -> StoredFile | list[dict[str, Any]]:
    """The file a send method got: an upload, a known file_id, or an HTTP URL. A photo comes
    back as its PhotoSize list, anything else as the stored file."""
    value = params.raw.get(name)
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.raw.get(value[len("attach://") :])
    if isinstance(value, UploadedFile):
        if kind == "photo":
            return emu.files.add_photo(value.data)
        return emu.files.add(
            kind,
            value.data,
            file_name=value.filename,
            mime_type=value.content_type or "application/octet-stream",
        )
    if value is None or value == "":
        raise bad_request(f"there is no {name} in the request")
    reference = str(value)
    if reference.startswith(("http://", "https://")):
        # The emulator cannot fetch URLs; it records a file without bytes instead, so the
        # send succeeds as it would for a reachable URL.
        if kind == "photo":
            return emu.files.add_photo(None)
        file_name = reference.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or None
        return emu.files.add(kind, None, file_name=file_name)
    stored = emu.files.by_id.get(reference)
    if stored is None:
        raise bad_request(errors.WRONG_FILE_ID)
    if (stored.kind == "photo") != (kind == "photo"):
        raise bad_request(errors.TYPE_MISMATCH)
    return stored.photo if kind == "photo" else stored


async def get_file(emu: EmulatorState, params: Params) -> dict[str, Any]:
    stored = emu.files.by_id.get(params.get_str("file_id") or "")
    if stored is None:
        raise bad_request(errors.WRONG_FILE_ID)
    if stored.size > MAX_DOWNLOAD_SIZE:
        raise bad_request(errors.FILE_TOO_BIG)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


METHODS: dict[str, MethodHandler] = {"getFile": get_file}
