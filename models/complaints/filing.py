"""Filing a complaint: the draft the citizen builds, the earlier stories that may be the same
problem, and the submission with the month's next tracking number."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.calendar import WorkCalendar
from domain.complaints import (
    FINAL,
    Deadlines,
    Earlier,
    Privacy,
    Status,
    due_dates,
    format_tracking_number,
    period_of,
)
from models.activities import AlreadySaved, EvidenceDraft
from models.complaints.errors import Banned, LimitReached
from models.complaints.limits import DAY, banned_in, filed_in
from models.conversation import FlowEnd, finish_in, leave_receipt
from models.db import Database
from models.one_trip import Prepared, run
from models.tables import (
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintCounter,
    ComplaintEvent,
)
from models.types import stored_id


@dataclass
class ComplaintDraft:
    """What the citizen told us, kept in the conversation until they press Submit. A
    complaint filed through the Open311 API has no Telegram account behind it."""

    reporter_telegram_id: int | None
    reporter_name: str
    kind: str
    category_id: int
    story: str
    privacy: str
    location_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    contact_phone: str | None = None
    attachments: list[EvidenceDraft] = field(default_factory=list)


async def recent_stories(db: Database, telegram_id: int, since: datetime) -> list[Earlier]:
    """This account's open complaints since ``since``, for duplicate detection."""
    # Four columns in one trip, not whole rows through a session: this runs at every story a
    # citizen sends (bench/notify_latency.py).
    [found] = await run(db, [(_RECENT, {"reporter": telegram_id, "since": since})], write=False)
    return [Earlier(*row) for row in found.rows]


_COMPLAINTS = Complaint.metadata.tables["complaint"]
_RECENT = Prepared(
    select(
        _COMPLAINTS.c.id,
        _COMPLAINTS.c.tracking_number,
        _COMPLAINTS.c.story,
        _COMPLAINTS.c.created_at,
    ).where(
        _COMPLAINTS.c.reporter_telegram_id == bindparam("reporter"),
        _COMPLAINTS.c.created_at >= bindparam("since", type_=_COMPLAINTS.c.created_at.type),
        # Not an IN list: a prepared statement has none (``models.one_trip``).
        *(_COMPLAINTS.c.status != status.value for status in sorted(FINAL)),
    )
)


async def submit_complaint(
    db: Database,
    draft: ComplaintDraft,
    *,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    deadlines: Deadlines,
    daily_limit: int,
    conversation: FlowEnd | tuple[int, int, int] | None = None,
    actor: str = "citizen",
    then: Callable[[AsyncSession, Complaint], Awaitable[None]] | None = None,
) -> Complaint:
    """Store a complaint with the next tracking number of the month; ends the flow in the same
    transaction (a second Submit cannot file it twice), with a receipt (``FlowEnd``: confirmed
    again after a kill). ``then`` writes what must commit with it (Open311's desk ticket)."""
    period = period_of(today)
    dues: dict[str, Any] = due_dates(None, today, calendar, deadlines)  # columns by name
    for attempt in range(5):
        try:
            async with db.write() as session:
                if conversation is not None and not await finish_in(session, *conversation[:3]):
                    raise AlreadySaved()
                await _check_reporter(session, draft.reporter_telegram_id, now, daily_limit)
                category = await session.get(ComplaintCategory, draft.category_id)
                if category is None or not category.active:
                    raise LookupError(draft.category_id)
                sequence = await _next_sequence(session, period)
                complaint = Complaint(
                    tracking_number=format_tracking_number(period, sequence),
                    period=period,
                    sequence=sequence,
                    kind=draft.kind,
                    category_id=stored_id(category.id),
                    unit_id=category.unit_id,
                    story=draft.story,
                    location_text=draft.location_text,
                    latitude=draft.latitude,
                    longitude=draft.longitude,
                    privacy=draft.privacy,
                    reporter_alias=1000 + secrets.randbelow(9000),
                    reporter_telegram_id=draft.reporter_telegram_id,
                    reporter_name=_kept_name(draft),
                    contact_phone=draft.contact_phone,
                    contact_consent_at=now if draft.contact_phone else None,
                    status=Status.BARU.value,
                    created_at=now,
                    updated_at=now,
                    **dues,
                )
                session.add(complaint)
                await session.flush()
                event = ComplaintEvent(
                    complaint_id=stored_id(complaint.id),
                    at=now,
                    actor=actor,
                    action="submitted",
                    to_status=Status.BARU.value,
                )
                session.add(event)
                await session.flush()
                add_attachments(session, complaint, event, draft.attachments, now)
                if isinstance(conversation, FlowEnd):
                    await leave_receipt(session, conversation, {"complaint_id": complaint.id})
                if then is not None:
                    await then(session, complaint)
                return complaint
        except IntegrityError:
            # The first two submissions of a month both created its counter: the loser retries
            # and then waits on the winner's row lock.
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


async def _check_reporter(
    session: AsyncSession, reporter: int | None, now: datetime, daily_limit: int
) -> None:
    """A banned reporter files nothing; nobody files more than the daily limit (the API's
    clients, who have no Telegram account, are limited by their key instead)."""
    if reporter is None:
        return
    if await banned_in(session, reporter):
        raise Banned()
    if len(await filed_in(session, reporter, now - DAY)) >= daily_limit:
        raise LimitReached()


def _kept_name(draft: ComplaintDraft) -> str | None:
    """Nobody may see an anonymous reporter's name, so it is not kept (UU 27/2022); their chat
    id stays, to answer them."""
    if draft.privacy == Privacy.ANONIM.value:
        return None
    return draft.reporter_name[:255]


async def _next_sequence(session: AsyncSession, period: str) -> int:
    counter = (
        await session.execute(
            select(ComplaintCounter).where(col(ComplaintCounter.period) == period).with_for_update()
        )
    ).scalar_one_or_none()
    if counter is None:
        counter = ComplaintCounter(period=period, last=0)
        session.add(counter)
    counter.last += 1
    await session.flush()
    return counter.last


def add_attachments(
    session: AsyncSession,
    complaint: Complaint,
    event: ComplaintEvent,
    attachments: Sequence[EvidenceDraft],
    now: datetime,
) -> None:
    for item in attachments:
        session.add(
            ComplaintAttachment(
                complaint_id=stored_id(complaint.id),
                event_id=event.id,
                created_at=now,
                **item.as_dict(),
            )
        )
