"""Status moves: a complaint moved (verified, assigned, forwarded, resolved, closed, reopened...)
with its history row in one transaction, checked against ``domain.complaints`` on the row as
it is then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
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
from models.complaints.errors import ReopenExpired
from models.complaints.work import WorkOffer, offer_work
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
) -> MoveResult:
    """Move a complaint, with its history row, in one transaction. A closing queues the SKM
    invitation (rendered by ``survey_offer``) in the same transaction, and ``work`` the offer
    of the handler's work as an activity (``models.complaints.work``).

    Raises ``InvalidMove`` (the status no longer allows it), ``LookupError`` (no such
    complaint, or not this reporter's), ``ReopenExpired``.
    """
    async with db.write() as session:
        complaint = (
            await session.execute(
                select(Complaint).where(col(Complaint.id) == complaint_id).with_for_update()
            )
        ).scalar_one_or_none()
        if complaint is None or complaint.purged_at is not None:
            raise LookupError(complaint_id)
        if reporter_telegram_id is not None and complaint.reporter_telegram_id != (
            reporter_telegram_id
        ):
            raise LookupError(complaint_id)
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
    return MoveResult(complaint, event, before, previous_unit, previous_ticket)


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
