"""A reporter's personal data: disclosures to staff written to the audit log, and the retention
purge (UU 27/2022) of complaints closed long enough ago."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Delete, Update, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.complaints import FINAL
from domain.files import stored_relative
from models import audit
from models.complaints.errors import Rollback
from models.db import Database, rows_changed
from models.files import FileCount, delete_files, referenced
from models.one_trip import Step, run
from models.outbox import OutboxMessage
from models.tables import Complaint, ComplaintAttachment, ComplaintEvent, ComplaintMessage
from models.types import stored_id


async def record_disclosure(
    db: Database, complaint: Complaint, action: str, actor: str, now: datetime, **detail: Any
) -> None:
    """Personal data of a reporter was shown to staff: write it to the audit log."""
    await run(db, [disclosure(complaint, action, actor, now, **detail)], write=True)


def disclosure(complaint: Complaint, action: str, actor: str, now: datetime, **detail: Any) -> Step:
    """:func:`record_disclosure` as a statement of another transaction (``set_ticket``)."""
    return audit.step(actor, action, complaint.tracking_number, at=now, **detail)


# Outbox rows about one complaint, by their keys (written by ``scheduler.escalations``,
# ``models.survey`` and ``models.open311_requests``): some carry the reporter's chat id or the
# ticket's text, so the purge removes them all.
_OUTBOX_PREFIXES = ("escalation:", "complaint-closed:", "survey-offer:", "ticket:")
_OUTBOX_KEY = re.compile(r"(?:escalation|complaint-closed|survey-offer|ticket):(\d+)(?::|$)")


@dataclass
class PurgeResult:
    """What a purge removed (or, in a dry run, would remove)."""

    complaints: int = 0
    messages: int = 0  # texts in the history: messages, reasons, the resolution
    telegram_messages: int = 0  # the routing records (chat and message ids) of sent messages
    attachments: int = 0
    outbox: int = 0
    files: FileCount = field(default_factory=FileCount)


async def purge_personal_data(
    db: Database,
    *,
    closed_before: datetime,
    now: datetime,
    actor: str,
    data_dir: Path,
    dry_run: bool = False,
) -> PurgeResult:
    """Remove personal data of complaints closed before ``closed_before`` (UU 27/2022: keep
    only what is needed). Kept for statistics: kind, category, unit, privacy choice, status,
    outcome, dates and the history's moves without their text. Files are found under
    ``data_dir``; those still used by a kept complaint, an activity or a draft stay."""
    result = PurgeResult()
    unused: set[PurePosixPath] = set()
    try:
        async with db.write() as session:
            closed = select(col(Complaint.id)).where(
                col(Complaint.status).in_([s.value for s in FINAL]),
                col(Complaint.closed_at) < closed_before,
                col(Complaint.purged_at).is_(None),
            )
            ids = [stored_id(i) for i in (await session.execute(closed)).scalars()]
            result.complaints = len(ids)
            if ids:
                unused = await _purge_rows(session, ids, now, result)
                audit.record(
                    session,
                    actor,
                    "complaints.purge",
                    at=now,
                    complaints=len(ids),
                    before=closed_before.isoformat(),
                    messages=result.messages,
                    attachments=result.attachments,
                    outbox=result.outbox,
                )
            if dry_run:
                raise Rollback()
    except Rollback:
        pass
    result.files = await asyncio.to_thread(delete_files, data_dir, unused, dry_run=dry_run)
    return result


async def _purge_rows(
    session: AsyncSession, ids: list[int], now: datetime, result: PurgeResult
) -> set[PurePosixPath]:
    """Clear and delete what is personal about these complaints; the files nothing uses now."""
    stored = (
        await session.execute(
            select(col(ComplaintAttachment.stored_path)).where(
                col(ComplaintAttachment.complaint_id).in_(ids)
            )
        )
    ).scalars()
    candidates = {r for r in map(stored_relative, stored) if r is not None}
    await session.execute(
        update(Complaint)
        .where(col(Complaint.id).in_(ids))
        .values(
            reporter_telegram_id=None,
            reporter_name=None,
            contact_phone=None,
            contact_consent_at=None,
            location_text=None,
            latitude=None,
            longitude=None,
            story="",
            resolution_note=None,
            purged_at=now,
            updated_at=now,
        )
    )
    with_text = (col(ComplaintEvent.complaint_id).in_(ids), col(ComplaintEvent.note).is_not(None))
    result.messages = await _rowcount(
        session, update(ComplaintEvent).where(*with_text).values(note=None)
    )
    result.attachments = await _rowcount(
        session, delete(ComplaintAttachment).where(col(ComplaintAttachment.complaint_id).in_(ids))
    )
    result.telegram_messages = await _rowcount(
        session, delete(ComplaintMessage).where(col(ComplaintMessage.complaint_id).in_(ids))
    )
    wanted = set(ids)
    outbox_rows = [
        row_id
        for row_id, key in (
            await session.execute(
                select(col(OutboxMessage.id), col(OutboxMessage.key)).where(
                    or_(*(col(OutboxMessage.key).startswith(p) for p in _OUTBOX_PREFIXES))
                )
            )
        ).all()
        if (match := _OUTBOX_KEY.match(key)) and int(match.group(1)) in wanted
    ]
    if outbox_rows:
        result.outbox = await _rowcount(
            session, delete(OutboxMessage).where(col(OutboxMessage.id).in_(outbox_rows))
        )
    # The same photo sent again with a complaint that is kept shares the stored file.
    return candidates - await referenced(session, candidates)


async def _rowcount(session: AsyncSession, statement: Update | Delete) -> int:
    return await rows_changed(session, statement)
