"""Files in and out of the admin's desk: a workbook sent for download, the kinds of file the
desk takes, and the preview as text (the flow step that shows it is in
``handlers.admin.intake``)."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from telegram import Update

from domain.access import AdminTask
from domain.tabular import TableFileError
from handlers.context import SigapContext
from models.audit import telegram_actor
from models.conversation import FlowEnd
from texts import Texts
from texts.problems import render_file_error

MAX_ROWS = 50_000  # rows of one file sent in the chat
MAX_BYTES = 10 * 1024 * 1024  # what one file sent in the chat may weigh
_SHOWN_PER_SECTION = 15
_SHOWN_BAD_ROWS = 25
_MAX_CHARS = 3800  # under Telegram's 4,096 with the buttons' room to spare


@dataclass
class PreviewText:
    """Sections of a preview; each lists a few names and counts the rest."""

    tr: Texts
    parts: list[str] = field(default_factory=list)
    applicable: bool = False
    blocked: bool = False  # bad rows or a refusal: the file has to be fixed

    def section(self, name: str, lines: Sequence[str]) -> None:
        if not lines:
            return
        head = self.tr.t(f"admin_preview.{name}", count=len(lines))
        self.parts.append(head + "\n" + self._listed(lines, _SHOWN_PER_SECTION))

    def counted(self, name: str, count: int) -> None:
        """A section shown as its count alone (targets and categories)."""
        if count:
            self.parts.append(self.tr.t(f"admin_preview.{name}", count=count))

    def unchanged(self, count: int) -> None:
        self.parts.append(self.tr.t("admin_preview.unchanged", count=count))

    def bad_rows(self, lines: Sequence[str]) -> None:
        self.blocked = True
        head = self.tr.t("admin_preview.bad_rows", count=len(lines))
        self.parts.append(head + "\n" + self._listed(lines, _SHOWN_BAD_ROWS))

    def refusal(self, html: str) -> None:
        self.blocked = True
        self.parts.append("⛔ " + html)

    def _listed(self, lines: Sequence[str], limit: int) -> str:
        shown = "\n".join(f"• {escape(line)}" for line in lines[:limit])
        if len(lines) > limit:
            shown += "\n" + self.tr.t("admin_preview.more", count=len(lines) - limit)
        return shown

    def render(self) -> str:
        if self.applicable:
            footer_key = "admin_preview.footer_apply"
        elif self.blocked:
            footer_key = "admin_preview.footer_fix"
        else:
            footer_key = "admin_preview.footer_nothing"
        text = "\n\n".join([*self.parts, self.tr.t(footer_key)])
        if len(text) > _MAX_CHARS:
            text = text[:_MAX_CHARS].rsplit("\n", 1)[0] + "\n…"
        return text


def file_problem_text(error: TableFileError, tr: Texts, section: str = "roster") -> str:
    return tr.t("admin_preview.file_refused", reason=render_file_error(error, tr, section))


async def send_workbook(
    update: Update,
    context: SigapContext,
    write: Callable[[Path], None],
    name: str,
    caption: str,
) -> None:
    """Write a workbook off the event loop (openpyxl is CPU work) and send it as a document."""
    chat = update.effective_chat
    assert chat is not None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        await asyncio.to_thread(write, path)
        with path.open("rb") as handle:
            await context.bot.send_document(chat.id, handle, filename=name, caption=caption)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class FileKind:
    """One kind of file the desk takes: who may send it, and how it is previewed and applied.

    ``read(path, suffix)`` reads the rows (raising ``TableFileError``: how a file is
    recognised). ``run(call, path, suffix, applying)`` reads the file and runs the importer, a
    preview when ``applying`` is None, returning ``(text, applicable or saved, summary)``; it
    raises ``TableFileError`` for a file that cannot be read and ``AlreadyDone`` for a second
    apply. ``applied``: the catalogue key of the confirmation, given the counts the apply
    left in its receipt (``applied_text``)."""

    name: str
    task: AdminTask
    title: str  # catalogue key of the preview's title
    read: Callable[[Path, str], object]
    run: Callable[..., Awaitable[tuple[str, bool, str]]]
    applied: str


KINDS: dict[str, FileKind] = {}


def add_kind(kind: FileKind) -> None:
    KINDS[kind.name] = kind


def applied_text(tr: Texts, kind: FileKind, counts: dict[str, Any]) -> str:
    """The confirmation of an apply: also what a second press is told, from the receipt."""
    return tr.t(kind.applied, **counts)


@dataclass(frozen=True)
class Applying:
    """What applying carries that a preview does not: the file for the audit entry, and the
    preview step to end in the same transaction as the change, with the receipt it leaves."""

    file: dict[str, object]
    conversation: FlowEnd


def import_options(context: SigapContext, applying: Applying | None) -> dict[str, Any]:
    """What every importer is given from the chat: a preview (a dry run) or the apply, with its
    file and preview step, by the admin now."""
    return {
        "dry_run": applying is None,
        "actor": telegram_actor(context.actor.telegram_id),
        "now": context.services.clock.now(),
        "file": applying.file if applying else None,
        "conversation": applying.conversation if applying else None,
    }


class AlreadyDone(Exception):
    """The preview was applied or cancelled already (a second press)."""


def start_data(
    kind: str, stored: str, suffix: str, sha256: str, name: str | None
) -> dict[str, Any]:
    return {"kind": kind, "path": stored, "suffix": suffix, "sha256": sha256, "name": name}
