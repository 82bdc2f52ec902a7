"""Filing a complaint: the draft the citizen builds, the earlier stories that may be the same
problem, and the submission with the month's next tracking number."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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
from models.complaints.limits import DAY
from models.conversation import FlowEnd, finish_in, leave_receipt
from models.db import Database
from models.one_trip import Prepared, run
from models.tables import (
    Complaint,
    ComplaintAttachment,
    ComplaintBan,
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
                unit_id = await _check_filing(session, draft, now, daily_limit)
                sequence = await _next_sequence(session, period)
                complaint = Complaint(
                    tracking_number=format_tracking_number(period, sequence),
                    period=period,
                    sequence=sequence,
                    kind=draft.kind,
                    category_id=draft.category_id,
                    unit_id=unit_id,
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


async def _check_filing(
    session: AsyncSession, draft: ComplaintDraft, now: datetime, daily_limit: int
) -> int:
    """A banned reporter files nothing; nobody files more than the daily limit (the API's
    clients, who have no Telegram account, are limited by their key instead); the category
    must be active. Its unit, where the complaint goes. One statement: the transaction holds
    the writer's lock, and each statement is a trip round a busy event loop
    (bench/notify_latency.py)."""
    reporter = draft.reporter_telegram_id
    category = (
        await session.execute(
            _FILING_CHECK,
            {
                "reporter": reporter if reporter is not None else 0,
                "since": now - DAY,
                "category": draft.category_id,
            },
        )
    ).one()
    banned, filed, active, unit_id = category
    if reporter is not None:
        if banned:
            raise Banned()
        if filed >= daily_limit:
            raise LimitReached()
    if not active or unit_id is None:
        raise LookupError(draft.category_id)
    return int(unit_id)


_BANS = ComplaintBan.metadata.tables["complaint_ban"]
_CATEGORIES = ComplaintCategory.metadata.tables["complaint_category"]
_COUNTERS = ComplaintCounter.metadata.tables["complaint_counter"]
_FILING_CHECK = select(
    exists().where(_BANS.c.telegram_user_id == bindparam("reporter")),
    select(func.count())
    .where(
        _COMPLAINTS.c.reporter_telegram_id == bindparam("reporter"),
        _COMPLAINTS.c.created_at >= bindparam("since", type_=_COMPLAINTS.c.created_at.type),
    )
    .scalar_subquery(),
    select(_CATEGORIES.c.active).where(_CATEGORIES.c.id == bindparam("category")).scalar_subquery(),
    select(_CATEGORIES.c.unit_id)
    .where(_CATEGORIES.c.id == bindparam("category"))
    .scalar_subquery(),
)
# The month's counter moved on and read in one statement (the row locked as FOR UPDATE did).
_NEXT = (
    update(_COUNTERS)
    .where(_COUNTERS.c.period == bindparam("month"))
    .values(last=_COUNTERS.c.last + 1)
    .returning(_COUNTERS.c.last)
)


def _kept_name(draft: ComplaintDraft) -> str | None:
    """Nobody may see an anonymous reporter's name, so it is not kept (UU 27/2022); their chat
    id stays, to answer them."""
    if draft.privacy == Privacy.ANONIM.value:
        return None
    return draft.reporter_name[:255]


async def _next_sequence(session: AsyncSession, period: str) -> int:
    moved = (await session.execute(_NEXT, {"month": period})).scalar_one_or_none()
    if moved is not None:
        return int(moved)
    session.add(ComplaintCounter(period=period, last=1))
    await session.flush()
    return 1


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
