"""Complaint deadlines: hourly, complaints past their verification or follow-up due date are
escalated to the unit's complaint desk and to the unit's head, once per stage and due date;
complaints left at "selesai" past the reopen window are closed (outcome: resolved).

Escalations are outbox rows keyed ``escalation:<complaint>:<stage>:<due date>``: a second tick
writes nothing, and a complaint forwarded to another unit (a new due date) can escalate again.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.calendar import WorkCalendar
from domain.complaints import Deadlines, Move
from models import complaints as complaint_data
from models.db import Database
from models.deadlines import UNVERIFIED, late_complaints, reopen_window_passed
from models.outbox import enqueue, text_payload
from models.supervision import unit_head_chats
from services.survey import offer_payload
from texts import texts
from texts.format import format_date


async def escalate_complaints(
    db: Database,
    *,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    deadlines: Deadlines,
    default_language: str,
) -> int:
    written = 0
    tr = texts(default_language)
    for complaint, desk_chat in await late_complaints(db, today):
        stage, due = (
            ("verification", complaint.verification_due)
            if complaint.status in UNVERIFIED
            else ("follow_up", complaint.follow_up_due)
        )
        assert due is not None
        text = tr.t(
            f"escalation.{stage}",
            number=complaint.tracking_number,
            due=format_date(due, tr.language),
            days=calendar.count_working_days(due, today),
        )
        chats = ([desk_chat] if desk_chat else []) + await unit_head_chats(db, complaint.unit_id)
        async with db.write() as session:
            for chat in dict.fromkeys(chats):
                key = f"escalation:{complaint.id}:{stage}:{due.isoformat()}:{chat}"
                if await enqueue(session, key, chat, "escalation", text_payload(text), now=now):
                    written += 1
    written += await _expire_resolved(
        db,
        now=now,
        today=today,
        calendar=calendar,
        deadlines=deadlines,
        default_language=default_language,
    )
    return written


async def _expire_resolved(
    db: Database,
    *,
    now: datetime,
    today: date,
    calendar: WorkCalendar,
    deadlines: Deadlines,
    default_language: str,
) -> int:
    """No answer from the citizen within the reopen window: the complaint closes as resolved."""
    written = 0
    for complaint_id, number, reporter in await reopen_window_passed(db, today):
        try:
            await complaint_data.apply_move(
                db,
                complaint_id,
                Move.EXPIRE,
                actor="system",
                now=now,
                today=today,
                calendar=calendar,
                deadlines=deadlines,
                survey_offer=offer_payload,
            )
        except Exception:  # moved meanwhile (the citizen answered): nothing to close
            continue
        if reporter is None:
            continue
        language, _ = await complaint_data.citizen_chat_state(db, reporter)
        tr = texts(language or default_language)
        async with db.write() as session:
            if await enqueue(
                session,
                f"complaint-closed:{complaint_id}",
                reporter,
                "complaint",
                text_payload(tr.t("escalation.closed", number=number)),
                now=now,
            ):
                written += 1
    return written
