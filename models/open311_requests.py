"""What the Open311 GeoReport v2 API reads and files (``handlers/web/open311.py``).

Services are the active complaint categories. A service request is a complaint as the public may
see it, built here so that no caller can leak more: *rahasia* complaints are never read at all
(``report_is_public``), and a ``PublicRequest`` has no field for the reporter (name, Telegram
id, phone, alias), staff, or the conversation. The status notes come from the public part of
the history only: the sentence a unit writes when it resolves, rejects or closes a complaint.
Messages between citizen and desk, forwarding reasons and a reopening citizen's words are not
public. The location is where the problem is, so a named report shows it as given; an
anonymous one shows no address and its coordinates rounded to about 100 m, which still puts
the pothole on a map but not the reporter's doorstep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.calendar import WorkCalendar
from domain.complaints import Deadlines, Move, Privacy, Status, report_is_public
from models.complaints.filing import ComplaintDraft, submit_complaint
from models.db import Database
from models.open311 import ApiClient
from models.outbox import OutboxMessage, OutboxStatus, enqueue, text_payload
from models.tables import Complaint, ComplaintCategory, ComplaintDesk, ComplaintEvent, Unit
from models.types import stored_id

# Open311 knows two statuses. "selesai" (the unit says it is solved, the reporter may still
# reopen it) is closed to a dashboard: the work is done; a reopening makes it open again.
CLOSED_STATUSES = frozenset({Status.SELESAI, Status.DITUTUP, Status.DITOLAK})
OPEN_STATUSES = frozenset(Status) - CLOSED_STATUSES
# Moves whose note is written for the public record.
PUBLIC_NOTE_MOVES = frozenset({Move.RESOLVE, Move.REJECT, Move.CLOSE})
# Decimal places of an anonymous report's coordinates (3: about 110 m).
ANONYMOUS_PRECISION = 3
MAX_RESULTS = 1000


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    name_en: str
    unit_name: str
    category_id: int
    unit_id: int


@dataclass(frozen=True)
class RequestQuery:
    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: frozenset[str] = frozenset()  # "open" / "closed"; empty: both
    start: datetime | None = None
    end: datetime | None = None
    offset: int = 0
    limit: int = MAX_RESULTS


@dataclass(frozen=True)
class PublicRequest:
    """A complaint as anyone may see it: nothing here names a person."""

    number: str
    open: bool
    status: str  # Sigap's own status, for the status notes
    public_note: str | None
    service_code: str
    service_name: str
    service_name_en: str
    description: str
    agency: str
    expected_by: date | None  # the day the unit is due to act next (verify, or answer)
    timezone: str  # the unit's, in which that day ends
    requested_at: datetime
    updated_at: datetime
    address: str | None
    latitude: float | None
    longitude: float | None


async def services(db: Database) -> list[Service]:
    async with db.read() as session:
        return await _services(session, None)


async def service(db: Database, code: str) -> Service | None:
    async with db.read() as session:
        found = await _services(session, code)
    return found[0] if found else None


async def _services(session: AsyncSession, code: str | None) -> list[Service]:
    stmt = (
        select(ComplaintCategory, col(Unit.name))
        .join(Unit, col(Unit.id) == ComplaintCategory.unit_id)
        .where(col(ComplaintCategory.active))
        .order_by(col(ComplaintCategory.position), col(ComplaintCategory.id))
    )
    if code is not None:
        stmt = stmt.where(col(ComplaintCategory.code) == code)
    return [
        Service(c.code, c.name, c.name_en, unit, stored_id(c.id), c.unit_id)
        for c, unit in (await session.execute(stmt)).all()
    ]


async def public_requests(db: Database, query: RequestQuery) -> list[PublicRequest]:
    """Public complaints matching ``query``, newest first."""
    stmt = (
        select(Complaint, ComplaintCategory, Unit)
        .join(ComplaintCategory, col(ComplaintCategory.id) == Complaint.category_id)
        .join(Unit, col(Unit.id) == Complaint.unit_id)
        # Rahasia reports are never public, so they are never read here at all.
        .where(col(Complaint.privacy).in_([p.value for p in Privacy if report_is_public(p)]))
    )
    if query.numbers:
        stmt = stmt.where(col(Complaint.tracking_number).in_(query.numbers))
    if query.service_codes:
        stmt = stmt.where(col(ComplaintCategory.code).in_(query.service_codes))
    if query.statuses and len(query.statuses) == 1:
        wanted = CLOSED_STATUSES if "closed" in query.statuses else OPEN_STATUSES
        stmt = stmt.where(col(Complaint.status).in_([s.value for s in wanted]))
    if query.start is not None:
        stmt = stmt.where(col(Complaint.created_at) >= query.start)
    if query.end is not None:
        stmt = stmt.where(col(Complaint.created_at) <= query.end)
    stmt = (
        stmt.order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
        .offset(query.offset)
        .limit(query.limit)
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
        notes = await _public_notes(session, [stored_id(c.id) for c, _, _ in rows])
    return [_as_public(c, category, unit, notes.get(stored_id(c.id))) for c, category, unit in rows]


async def public_request(db: Database, number: str) -> PublicRequest | None:
    found = await public_requests(db, RequestQuery(numbers=(number,), limit=1))
    return found[0] if found else None


async def _public_notes(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    """Per complaint, the note of the move that set its current status, if that note is
    public; a later status change (a reopening) hides the earlier note."""
    if not ids:
        return {}
    stmt = (
        select(ComplaintEvent)
        .where(
            col(ComplaintEvent.complaint_id).in_(ids), col(ComplaintEvent.to_status).is_not(None)
        )
        .order_by(col(ComplaintEvent.complaint_id), col(ComplaintEvent.id))
    )
    last: dict[int, ComplaintEvent] = {}
    for event in (await session.execute(stmt)).scalars():
        last[event.complaint_id] = event
    return {
        complaint_id: event.note
        for complaint_id, event in last.items()
        if event.note and event.action in PUBLIC_NOTE_MOVES
    }


def _as_public(
    complaint: Complaint, category: ComplaintCategory, unit: Unit, note: str | None
) -> PublicRequest:
    anonymous = complaint.privacy == Privacy.ANONIM.value
    latitude, longitude = complaint.latitude, complaint.longitude
    if anonymous and latitude is not None and longitude is not None:
        latitude = round(latitude, ANONYMOUS_PRECISION)
        longitude = round(longitude, ANONYMOUS_PRECISION)
    return PublicRequest(
        number=complaint.tracking_number,
        open=Status(complaint.status) not in CLOSED_STATUSES,
        status=complaint.status,
        public_note=note,
        service_code=category.code,
        service_name=category.name,
        service_name_en=category.name_en,
        description=complaint.story,
        agency=unit.name,
        expected_by=_expected_by(complaint),
        timezone=unit.timezone,
        requested_at=complaint.created_at,
        updated_at=complaint.updated_at,
        address=None if anonymous else complaint.location_text,
        latitude=latitude,
        longitude=longitude,
    )


def _expected_by(complaint: Complaint) -> date | None:
    """Unverified: its verification due date; in work: its follow-up due date; closed: none."""
    status = Status(complaint.status)
    if status in CLOSED_STATUSES:
        return None
    if status in (Status.BARU, Status.DIALIHKAN):
        return complaint.verification_due
    return complaint.follow_up_due


# --- Filing ------------------------------------------------------------------------------------

# The desk ticket of a complaint filed through the API, rendered by the caller: its HTML text
# and its buttons (the Bot API's reply_markup dict), from the complaint just numbered, its
# category and its unit.
TicketRenderer = Callable[[Complaint, ComplaintCategory, Unit], tuple[str, dict[str, Any] | None]]


async def file_request(
    db: Database,
    client: ApiClient,
    draft: ComplaintDraft,
    *,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    deadlines: Deadlines,
    ticket: TicketRenderer,
) -> Complaint:
    """File a complaint as the chat does (``submit_complaint``: tracking number, deadlines,
    history), and queue its ticket for the unit's desk in the same transaction: the outbox
    sender is woken when it commits, and a unit without a desk gets the ticket when one is
    installed, as for the chat."""

    async def queue_ticket(session: AsyncSession, complaint: Complaint) -> None:
        desk = (
            await session.execute(
                select(col(ComplaintDesk.chat_id)).where(
                    col(ComplaintDesk.unit_id) == complaint.unit_id
                )
            )
        ).scalar_one_or_none()
        if desk is None:
            return
        category = await session.get(ComplaintCategory, complaint.category_id)
        unit = await session.get(Unit, complaint.unit_id)
        assert category is not None and unit is not None  # foreign keys
        text, markup = ticket(complaint, category, unit)
        payload = text_payload(text, reply_markup=markup)
        await enqueue(
            session, ticket_key(stored_id(complaint.id)), desk, TICKET_KIND, payload, now=now
        )

    return await submit_complaint(
        db,
        draft,
        now=now,
        today=today,
        calendar=calendar,
        deadlines=deadlines,
        daily_limit=0,  # not counted per Telegram account: the client's key is rate-limited
        actor=f"open311:{client.name}",
        then=queue_ticket,
    )


TICKET_KIND = "ticket"
_TICKET_PREFIX = "ticket:"


def ticket_key(complaint_id: int) -> str:
    return f"{_TICKET_PREFIX}{complaint_id}"


async def sent_unlinked_tickets(db: Database) -> list[tuple[int, int, int]]:
    """(complaint id, desk chat, ticket message) of each queued ticket Telegram accepted whose
    complaint is not linked to it: the process stopped between the send and the link."""
    async with db.read() as session:
        sent = (
            await session.execute(
                select(
                    col(OutboxMessage.key),
                    col(OutboxMessage.chat_id),
                    col(OutboxMessage.telegram_message_id),
                )
                .where(col(OutboxMessage.kind) == TICKET_KIND)
                .where(col(OutboxMessage.status) == OutboxStatus.SENT)
                .where(col(OutboxMessage.telegram_message_id).is_not(None))
            )
        ).all()
        tickets: dict[int, tuple[int, int]] = {
            id_: (chat, message)
            for key, chat, message in sent
            if (id_ := ticket_complaint(key)) is not None and message is not None
        }
        if not tickets:
            return []
        unlinked = (
            await session.execute(
                select(col(Complaint.id))
                .where(col(Complaint.id).in_(tickets))
                .where(col(Complaint.ticket_message_id).is_(None))
            )
        ).scalars()
        return [(id_, *tickets[id_]) for id_ in unlinked if id_ is not None]


def ticket_complaint(key: str) -> int | None:
    """The complaint whose queued ticket this outbox key is, or None for any other row."""
    if not key.startswith(_TICKET_PREFIX) or not key[len(_TICKET_PREFIX) :].isdigit():
        return None
    return int(key[len(_TICKET_PREFIX) :])
