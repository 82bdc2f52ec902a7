"""Photos and documents people send: copied into the data folder, so that evidence and
complaint attachments outlive the bot token (and can be deleted by the retention purge)."""

from __future__ import annotations

from pathlib import Path

from telegram import Message
from telegram.error import BadRequest

from handlers.context import SigapContext
from models.activities import EvidenceDraft

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
    """Copy a message's photo or document to ``<data>/<folder>/<YYYY-MM>/``. Raises
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
    suffix = Path(telegram_file.file_path or name or "").suffix[:10] or (
        ".jpg" if kind == "photo" else ".bin"
    )
    month = services.clock.now().astimezone(services.timezone).strftime("%Y-%m")
    target = services.settings.data_dir / folder / month / f"{unique}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        await telegram_file.download_to_drive(target)
    return EvidenceDraft(
        kind=kind,
        telegram_file_id=file_id,
        file_unique_id=unique,
        file_name=name,
        mime_type=mime,
        size=size,
        stored_path=str(target),
    )
