"""Photos and documents people send: copied into the data folder, so that evidence and
complaint attachments outlive the bot token (and can be deleted by the retention purge)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from pathlib import Path

from telegram import Message
from telegram.error import BadRequest

from domain.files import SNIFF_BYTES, content_extension, stored_name
from handlers.context import SigapContext
from models.activities import EvidenceDraft
from models.files import discard_unreferenced

MAX_FILE_BYTES = 20 * 1024 * 1024  # the cloud Bot API does not hand out bigger files


class AttachmentTooBig(Exception):
    """Over the 20 MB that bots may download."""


def has_attachment(message: Message) -> bool:
    return bool(message.photo) or message.document is not None


def attachment_of(message: Message) -> tuple[str, str, str, str | None, str | None, int | None]:
    """(kind, file_id, file_unique_id, name, mime type, size) of a photo or document."""
    if message.photo:
        size = message.photo[-1]
        return "photo", size.file_id, size.file_unique_id, None, "image/jpeg", size.file_size
    document = message.document
    assert document is not None
    return (
        "document",
        document.file_id,
        document.file_unique_id,
        document.file_name,
        document.mime_type,
        document.file_size,
    )


async def download_attachment(
    context: SigapContext, message: Message, folder: str
) -> EvidenceDraft:
    """Copy a message's photo or document to ``<data>/<folder>/<YYYY-MM>/``, under our own name
    with the extension of what the bytes really are (``domain.files``). Raises
    ``AttachmentTooBig``."""
    kind, file_id, unique, name, mime, size = attachment_of(message)
    if size and size > MAX_FILE_BYTES:
        raise AttachmentTooBig()
    try:
        telegram_file = await context.bot.get_file(file_id)
    except BadRequest as exc:
        if "too big" in exc.message:
            raise AttachmentTooBig() from None
        raise
    services = context.services
    month = services.clock.now().astimezone(services.timezone).strftime("%Y-%m")
    directory = services.settings.data_dir / folder / month
    directory.mkdir(parents=True, exist_ok=True)
    # Downloaded under a name of its own first: the stored name needs the content's type.
    partial = directory / f".{secrets.token_hex(8)}.part"
    try:
        await telegram_file.download_to_drive(partial)
        stored = await asyncio.to_thread(_keep, partial, unique)
    finally:
        partial.unlink(missing_ok=True)
    return EvidenceDraft(
        kind=kind,
        telegram_file_id=file_id,
        file_unique_id=unique,
        file_name=name,
        mime_type=mime,
        size=size,
        stored_path=f"{folder}/{month}/{stored}",
    )


def _keep(partial: Path, unique: str) -> str:
    """Give a downloaded file its stored name (the same file sent before keeps its copy)."""
    with partial.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    name = stored_name(unique, content_extension(head))
    target = partial.with_name(name)
    if not target.exists():
        partial.replace(target)
    return name


async def discard(context: SigapContext, items: Sequence[EvidenceDraft]) -> None:
    """Files downloaded for a message that was then not saved (refused, or the save failed):
    nothing may stay on disk for them."""
    services = context.services
    await discard_unreferenced(
        services.db, services.settings.data_dir, [item.stored_path for item in items]
    )
