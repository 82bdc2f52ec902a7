"""Complaints past their deadlines, as SQL: the escalation rule (``scheduler.escalations``) and
the weekly digest's "overdue" figure (``models.digest``) count the same complaints; the queries
the escalation tick runs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, select

from domain.complaints import Status
from models.db import Database
from models.tables import Complaint, ComplaintDesk

UNVERIFIED = (Status.BARU.value, Status.DIALIHKAN.value)
IN_WORK = (Status.TERVERIFIKASI.value, Status.DIPROSES.value, Status.DIBUKA_KEMBALI.value)


def overdue(today: date) -> ColumnElement[bool]:
    """Open complaints past the due date of the stage they are in (the escalation rule, also
    the digest's "overdue" figure)."""
    return ((Complaint.status.in_(UNVERIFIED)) & (Complaint.verification_due < today)) | (
        (Complaint.status.in_(IN_WORK)) & (Complaint.follow_up_due < today)
    )


async def late_complaints(db: Database, today: date) -> list[tuple[Complaint, int | None]]:
    """Open complaints past their stage's due date, each with its unit's desk group (None
    without a desk), in id order: what the hourly escalation tick walks."""
    stmt = (
        select(Complaint, ComplaintDesk.chat_id)
        .outerjoin(ComplaintDesk, ComplaintDesk.unit_id == Complaint.unit_id)
        .where(Complaint.purged_at.is_(None), overdue(today))
        .order_by(Complaint.id)
    )
    async with db.read() as session:
        return [(complaint, chat) for complaint, chat in (await session.execute(stmt)).all()]


async def reopen_window_passed(db: Database, today: date) -> list[tuple[int, str, int | None]]:
    """(id, tracking number, reporter's chat) of complaints left at "selesai" past their reopen
    window: they close as resolved."""
    stmt = select(Complaint.id, Complaint.tracking_number, Complaint.reporter_telegram_id).where(
        Complaint.status == Status.SELESAI.value, Complaint.reopen_until < today
    )
    async with db.read() as session:
        return [
            (i, number, reporter) for i, number, reporter in (await session.execute(stmt)).all()
        ]
