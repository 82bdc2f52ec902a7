"""Complaints past their deadlines, as SQL: the escalation rule (``scheduler.escalations``) and
the weekly digest's "overdue" figure (``models.digest``) count the same complaints; the queries
the escalation tick runs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, select
from sqlmodel import col

from domain.complaints import Status
from models.db import Database
from models.tables import Complaint, ComplaintDesk
from models.types import stored_id

UNVERIFIED = (Status.BARU.value, Status.DIALIHKAN.value)
IN_WORK = (Status.TERVERIFIKASI.value, Status.DIPROSES.value, Status.DIBUKA_KEMBALI.value)


def overdue(today: date) -> ColumnElement[bool]:
    """Open complaints past the due date of the stage they are in (the escalation rule, also
    the digest's "overdue" figure)."""
    return ((col(Complaint.status).in_(UNVERIFIED)) & (col(Complaint.verification_due) < today)) | (
        (col(Complaint.status).in_(IN_WORK)) & (col(Complaint.follow_up_due) < today)
    )


async def late_complaints(db: Database, today: date) -> list[tuple[Complaint, int | None]]:
    """Open complaints past their stage's due date, each with its unit's desk group (None
    without a desk), in id order: what the hourly escalation tick walks."""
    stmt = (
        select(Complaint, col(ComplaintDesk.chat_id))
        .outerjoin(ComplaintDesk, col(ComplaintDesk.unit_id) == Complaint.unit_id)
        .where(col(Complaint.purged_at).is_(None), overdue(today))
        .order_by(col(Complaint.id))
    )
    async with db.read() as session:
        return [(complaint, chat) for complaint, chat in (await session.execute(stmt)).all()]


async def reopen_window_passed(db: Database, today: date) -> list[tuple[int, str, int | None]]:
    """(id, tracking number, reporter's chat) of complaints left at "selesai" past their reopen
    window: they close as resolved."""
    stmt = select(
        col(Complaint.id), col(Complaint.tracking_number), col(Complaint.reporter_telegram_id)
    ).where(col(Complaint.status) == Status.SELESAI.value, col(Complaint.reopen_until) < today)
    async with db.read() as session:
        return [
            (stored_id(i), number, reporter)
            for i, number, reporter in (await session.execute(stmt)).all()
        ]
