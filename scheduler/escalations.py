"""Complaint deadlines: hourly, complaints past their verification or follow-up due date are
escalated to the unit's complaint desk and to the unit's head, once per stage and due date;
complaints left at "selesai" past the reopen window are closed (outcome: resolved).

Escalations are outbox rows keyed ``escalation:<complaint>:<stage>:<due date>``: a second tick
writes nothing, and a complaint forwarded to another unit (a new due date) can escalate again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from domain.calendar import WorkCalendar
from domain.complaints import Deadlines, Move, Status
from models import complaints as complaint_data
from models.db import Database
from models.deadlines import UNVERIFIED, overdue
from models.outbox import enqueue, text_payload
from models.tables import Complaint, ComplaintDesk, Employee, TelegramLink, TelegramUser
from services.survey import offer_payload
from texts import texts
from texts.format import format_date


async def _unit_heads(db: Database, unit_id: int) -> list[int]:
    """Telegram chats of the unit's heads: its supervisors whose own supervisor works
    elsewhere (or who have none): the people a late complaint must reach."""
    stmt = (
        select(Employee, TelegramLink.telegram_user_id)
        .join(TelegramLink, TelegramLink.employee_id == Employee.id)
        .outerjoin(TelegramUser, TelegramUser.id == TelegramLink.telegram_user_id)
        .where(Employee.unit_id == unit_id, Employee.active, TelegramUser.blocked_at.is_(None))
    )
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
        heads = []
        for employee, chat in rows:
            if "supervisor" not in employee.role_set:
                continue
            boss = (
                await session.get(Employee, employee.supervisor_id)
                if employee.supervisor_id
                else None
            )
            if boss is None or boss.unit_id != unit_id:
                heads.append(chat)
    return heads


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
    stmt = (
        select(Complaint, ComplaintDesk.chat_id)
        .outerjoin(ComplaintDesk, ComplaintDesk.unit_id == Complaint.unit_id)
        .where(
            Complaint.purged_at.is_(None),
            overdue(today),
        )
        .order_by(Complaint.id)
    )
    async with db.read() as session:
        late = (await session.execute(stmt)).all()
    tr = texts(default_language)
    for complaint, desk_chat in late:
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
        chats = ([desk_chat] if desk_chat else []) + await _unit_heads(db, complaint.unit_id)
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
    stmt = select(Complaint.id, Complaint.tracking_number, Complaint.reporter_telegram_id).where(
        Complaint.status == Status.SELESAI.value, Complaint.reopen_until < today
    )
    async with db.read() as session:
        expired = (await session.execute(stmt)).all()
    written = 0
    for complaint_id, number, reporter in expired:
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
        async with db.read() as session:
            user = await session.get(TelegramUser, reporter)
        tr = texts((user.language if user else None) or default_language)
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
