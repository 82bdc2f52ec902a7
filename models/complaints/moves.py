"""Status moves: a complaint moved (verified, assigned, forwarded, resolved, closed, reopened...)
with its history row in one transaction, checked against ``domain.complaints`` on the row as
it is then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.calendar import WorkCalendar
from domain.complaints import (
    FINAL,
    OUTCOMES,
    Deadlines,
    InvalidMove,
    Move,
    Status,
    can_reopen,
    due_dates,
    next_status,
)
from models import survey
from models.complaints.errors import PromptUsed, ReopenExpired
from models.complaints.messages import take_prompt_in
from models.complaints.work import WorkOffer, offer_work
from models.conversation import FlowEnd, leave_receipt
from models.db import Database
from models.tables import Complaint, ComplaintEvent


@dataclass
class MoveResult:
    complaint: Complaint
    event: ComplaintEvent
    previous_status: Status
    previous_unit_id: int
    previous_ticket: tuple[int, int] | None  # (chat, message) of the ticket before a forward


async def apply_move(
    db: Database,
    complaint_id: int,
    move: Move,
    *,
    actor: str,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    deadlines: Deadlines,
    employee_id: int | None = None,
    note: str | None = None,
    target_unit_id: int | None = None,
    assignee_id: int | None = None,
    reporter_telegram_id: int | None = None,
    survey_offer: survey.SurveyOffer,
    work: WorkOffer | None = None,
    receipt: FlowEnd | None = None,
    prompt_id: int | None = None,
) -> MoveResult:
    """Move a complaint, with its history row, in one transaction. A closing queues the SKM
    invitation (rendered by ``survey_offer``), ``work`` the offer of the handler's work as an
    activity (``models.complaints.work``), ``receipt`` what ``move_again`` needs; the bot's
    question ``prompt_id`` (asking for the reason) is used up with it.

    Raises ``InvalidMove`` (the status no longer allows it), ``LookupError`` (no such
    complaint, or not this reporter's), ``ReopenExpired``, ``PromptUsed``.
    """
    async with db.write() as session:
        if prompt_id is not None and not await take_prompt_in(session, prompt_id):
            raise PromptUsed()
        complaint = await _locked(session, complaint_id, reporter_telegram_id)
        before = Status(complaint.status)
        after = next_status(before, move)
        if move is Move.REOPEN and not can_reopen(today, complaint.reopen_until):
            raise ReopenExpired()
        if move is Move.FORWARD and (target_unit_id is None or target_unit_id == complaint.unit_id):
            raise InvalidMove(move, before)
        previous_unit, previous_ticket = complaint.unit_id, None
        detail: dict[str, Any] = {}
        if move is Move.FORWARD:
            assert target_unit_id is not None
            if complaint.desk_chat_id is not None and complaint.ticket_message_id is not None:
                previous_ticket = (complaint.desk_chat_id, complaint.ticket_message_id)
            detail = {"from_unit_id": complaint.unit_id, "to_unit_id": target_unit_id}
            complaint.unit_id = target_unit_id
            complaint.assignee_id = None
            complaint.desk_chat_id = complaint.ticket_message_id = None
        if move is Move.ASSIGN:
            detail = {"assignee_id": assignee_id}
            complaint.assignee_id = assignee_id
        _stamp(complaint, move, after, note, now, today, calendar, deadlines)
        event = ComplaintEvent(
            complaint_id=complaint_id,
            at=now,
            actor=actor,
            employee_id=employee_id,
            action=move.value,
            from_status=before.value,
            to_status=after.value,
            note=note,
            detail=detail,
        )
        session.add(event)
        await session.flush()
        if after is Status.DITUTUP:
            # The SKM invitation commits with the closing (issue 8).
            await survey.offer_after_complaint(session, complaint, now, survey_offer)
        if work is not None:
            await offer_work(session, complaint, move.value, work, now)
        result = MoveResult(complaint, event, before, previous_unit, previous_ticket)
        if receipt is not None:
            await leave_receipt(session, receipt, _replay(result))
    return result


async def _locked(
    session: AsyncSession, complaint_id: int, reporter_telegram_id: int | None
) -> Complaint:
    """The complaint, locked for the move; LookupError if gone or not this reporter's."""
    complaint = (
        await session.execute(
            select(Complaint).where(col(Complaint.id) == complaint_id).with_for_update()
        )
    ).scalar_one_or_none()
    if complaint is None or complaint.purged_at is not None:
        raise LookupError(complaint_id)
    if reporter_telegram_id is not None and complaint.reporter_telegram_id != reporter_telegram_id:
        raise LookupError(complaint_id)
    return complaint


def _replay(result: MoveResult) -> dict[str, Any]:
    """What ``move_again`` rebuilds ``result`` from."""
    ticket = result.previous_ticket
    return {
        "event_id": result.event.id,
        "previous_status": result.previous_status.value,
        "previous_unit_id": result.previous_unit_id,
        "previous_ticket": list(ticket) if ticket else None,
    }


async def move_again(db: Database, receipt: dict[str, Any]) -> MoveResult | None:
    """A move committed just before a kill, from its receipt (``apply_move``), for telling the
    desk, the citizen and the assignee again what its update, delivered again, did."""
    async with db.read() as session:
        event = await session.get(ComplaintEvent, int(receipt["event_id"]))
        complaint = await session.get(Complaint, event.complaint_id) if event else None
    if event is None or complaint is None or complaint.purged_at is not None:
        return None
    ticket = receipt.get("previous_ticket")
    return MoveResult(
        complaint,
        event,
        Status(receipt["previous_status"]),
        int(receipt["previous_unit_id"]),
        (int(ticket[0]), int(ticket[1])) if ticket else None,
    )


def _stamp(
    complaint: Complaint,
    move: Move,
    after: Status,
    note: str | None,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    deadlines: Deadlines,
) -> None:
    """The complaint's new status, with the due dates, times and outcome the move sets."""
    for name, value in due_dates(move, today, calendar, deadlines).items():
        setattr(complaint, name, value)
    if move is Move.VERIFY:
        complaint.verified_at = now
    if move is Move.RESOLVE:
        complaint.resolved_at, complaint.resolution_note = now, note
    if move in OUTCOMES:
        complaint.outcome = OUTCOMES[move].value
    if after in FINAL:
        complaint.closed_at = now
    complaint.status = after.value
    complaint.updated_at = now
