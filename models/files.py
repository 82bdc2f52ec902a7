"""Files under the data folder that rows and drafts point to (complaint attachments, activity
evidence, the attachments of unfinished flows), and removing those nothing points to any more.

The same Telegram file sent twice is stored once (``domain.files.stored_name``), so a file is
deleted only when no row and no draft refers to it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.files import stored_relative
from models.db import Database
from models.tables import ActivityEvidence, ComplaintAttachment, Conversation

# Swept for files nothing points to. Not "evidence": the history of an activity names the
# evidence it replaced (ActivityHistory), which stays on disk as part of that record.
SWEPT_FOLDERS = ("complaints",)
DRAFT_FILE_KEYS = ("attachments", "evidence")  # the lists of EvidenceDraft in flow data
_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass
class FileCount:
    deleted: int = 0
    missing: int = 0  # pointed to, but not on disk (already gone, or a wrong SIGAP_DATA_DIR)


def draft_files(data: dict[str, Any]) -> list[str]:
    """The stored paths in a flow's data."""
    return [
        item["stored_path"]
        for key in DRAFT_FILE_KEYS
        for item in data.get(key) or ()
        if isinstance(item, dict) and item.get("stored_path")
    ]


async def referenced(
    session: AsyncSession, candidates: Collection[PurePosixPath] | None = None
) -> set[PurePosixPath]:
    """Which of ``candidates`` (all files when None) a row or a draft still points to."""
    found: list[str | None] = []
    for column in (col(ComplaintAttachment.stored_path), col(ActivityEvidence.stored_path)):
        stmt = select(column).where(column.is_not(None))
        if candidates is not None:
            if not candidates:
                return set()
            names = {c.name for c in candidates}
            stmt = stmt.where(or_(*(column.endswith(n, autoescape=True) for n in names)))
        found += (await session.execute(stmt)).scalars()
    for data in (await session.execute(select(col(Conversation.data)))).scalars():
        found += draft_files(data)
    used = {r for r in map(stored_relative, found) if r is not None}
    return used if candidates is None else used & set(candidates)


def delete_files(
    data_dir: Path, files: Iterable[PurePosixPath], *, dry_run: bool = False
) -> FileCount:
    """Delete these files under ``data_dir`` (blocking: run it in a thread)."""
    count = FileCount()
    for relative in set(files):
        path = data_dir / relative
        if not path.is_file():
            count.missing += 1
            continue
        if not dry_run:
            path.unlink(missing_ok=True)
        count.deleted += 1
    return count


async def discard_unreferenced(
    db: Database, data_dir: Path, stored_paths: Iterable[str | None]
) -> FileCount:
    """Files downloaded for something that was not saved after all: delete those that no row
    or draft points to."""
    candidates = {r for r in map(stored_relative, stored_paths) if r is not None}
    if not candidates:
        return FileCount()
    async with db.read() as session:
        unused = candidates - await referenced(session, candidates)
    return await asyncio.to_thread(delete_files, data_dir, unused)


def stored_before(data_dir: Path, month: str) -> Iterator[PurePosixPath]:
    """Every file in the swept month folders before ``month`` (``YYYY-MM``): where files of
    cancelled flows, failed saves and crashes between a download and its save end up."""
    for folder in SWEPT_FOLDERS:
        base = data_dir / folder
        if not base.is_dir():
            continue
        for month_dir in base.iterdir():
            if month_dir.is_dir() and _MONTH.fullmatch(month_dir.name) and month_dir.name < month:
                for path in month_dir.iterdir():
                    if path.is_file():
                        yield PurePosixPath(folder, month_dir.name, path.name)
