"""A file an admin sends: checked like untrusted input, recognised, previewed.

The file is copied into the data folder (``admin/<month>/``: it is the record of what was
applied and stays there), typed by its bytes (a renamed photo or an old .xls is refused), kept
under 10 MB and 50,000 rows, and recognised by its header row (roster, SKP targets, complaint
categories). Then the preview step (``admin_file``) shows what applying it would do, with
Terapkan / Batal.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from telegram import Message, Update

from domain.access import AdminScope, admin_refusal
from domain.files import safe_file_name
from domain.tabular import TableFileError, sniff_table_format
from handlers.admin.guard import refuse, requires_admin
from handlers.admin.preview import (
    KINDS,
    MAX_BYTES,
    AlreadyDone,
    Applying,
    FileKind,
    applied_text,
    digest,
    file_problem_text,
    start_data,
)
from handlers.common import reply
from handlers.context import SigapContext
from handlers.files import AttachmentTooBig, download_attachment
from handlers.flow import Flow, FlowCall, Step, register

_HEADER_ERRORS = ("missing_columns", "wrong_sheet", "empty")


@requires_admin(None)
async def take_file(update: Update, context: SigapContext, scope: AdminScope) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    tr, services = context.texts, context.services
    if (message.document.file_size or 0) > MAX_BYTES:
        await reply(update, context, file_problem_text(_too_big(), tr))
        return
    try:
        stored = await download_attachment(context, message, "admin")
    except AttachmentTooBig:
        await reply(update, context, file_problem_text(_too_big(), tr))
        return
    assert stored.stored_path is not None  # download_attachment stored it
    path = services.settings.data_dir / stored.stored_path
    try:
        suffix = await asyncio.to_thread(sniff_table_format, path, MAX_BYTES)
        kind = await asyncio.to_thread(_recognise, path, suffix)
    except TableFileError as exc:
        path.unlink(missing_ok=True)  # refused: nothing was applied from it, nothing to keep
        await reply(update, context, file_problem_text(exc, tr))
        return
    if admin_refusal(context.actor, kind.task) is not None:
        path.unlink(missing_ok=True)
        await refuse(update, context)
        return
    data = start_data(
        kind.name,
        stored.stored_path,
        suffix,
        await asyncio.to_thread(digest, path),
        safe_file_name(message.document.file_name),
    )
    await PREVIEW_FLOW.start(update, context, data)


def _too_big() -> TableFileError:
    return TableFileError("too_big", max_mb=MAX_BYTES // (1024 * 1024))


def _recognise(path: Path, suffix: str) -> FileKind:
    """The first kind whose header the file has; for none, the roster's complaint (the file
    an office sends most)."""
    first: TableFileError | None = None
    for kind in KINDS.values():
        try:
            kind.read(path, suffix)
        except TableFileError as exc:
            if exc.code not in _HEADER_ERRORS:
                raise
            first = first or exc
            continue
        return kind
    assert first is not None
    raise first


# --- the preview step ------------------------------------------------------------------------


async def _show(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    kind = KINDS[data["kind"]]
    path = call.context.services.settings.data_dir / data["path"]
    try:
        text, applicable, _ = await kind.run(call, path, data["suffix"], None)
    except TableFileError as exc:
        await call.finish()
        await call.say(file_problem_text(exc, tr))
        return
    title = tr.t(kind.title, name=data.get("name") or "")
    rows = [[(tr.plain("admin_preview.button_apply"), "apply")]] if applicable else []
    rows.append([(tr.plain("admin_preview.button_cancel"), "cancel")])
    await call.say(title + "\n\n" + text, rows)


async def _decided(call: FlowCall, value: str) -> None:
    tr, data, context = call.texts, call.data, call.context
    if value != "apply":
        await call.finish()
        await call.say(tr.t("admin_preview.cancelled"))
        return
    kind = KINDS[data["kind"]]
    # The role may have been taken away since the file was sent.
    if admin_refusal(context.actor, kind.task) is not None:
        await call.finish()
        await call.say(tr.t("common.denied"))
        return
    path = context.services.settings.data_dir / data["path"]
    if not path.is_file() or await asyncio.to_thread(digest, path) != data["sha256"]:
        await call.finish()
        await call.say(tr.t("admin_preview.file_changed"))
        return
    applying = Applying(
        {"path": data["path"], "sha256": data["sha256"], "name": data.get("name")},
        call.ending({"kind": kind.name}),
    )
    try:
        text, saved, summary = await kind.run(call, path, data["suffix"], applying)
    except AlreadyDone:
        await call.say(tr.t("admin_preview.already_done"))
        return
    except TableFileError as exc:
        await call.finish()
        await call.say(file_problem_text(exc, tr))
        return
    if saved:
        context.forget_conversation(None)
        await call.say(summary)
    else:
        # The data changed between the preview and the press: what stands in the way now.
        await call.say(tr.t("admin_preview.not_applied") + "\n\n" + text)


async def _confirm_applied(update: Update, context: SigapContext, receipt: dict[str, Any]) -> None:
    """A second press of Terapkan after the apply committed (a double tap, or the same press
    delivered again after a kill before the confirmation went out): the same confirmation,
    with the counts the apply left in its receipt, and nothing applied again."""
    kind = KINDS[receipt["kind"]]
    await reply(update, context, applied_text(context.texts, kind, receipt))


async def _another_file(call: FlowCall, message: Message) -> bool:
    """A new file while a preview is open replaces it."""
    if message.document is None:
        return False
    await take_file(call.update, call.context)
    return True


PREVIEW_FLOW = register(
    Flow(
        "admin_file",
        "preview",
        {"preview": Step(prompt=_show, on_button=_decided, on_message=_another_file)},
        confirm_again=_confirm_applied,
    )
)
