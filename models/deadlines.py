"""Complaints past their deadlines, as SQL: the escalation rule (``scheduler.escalations``) and
the weekly digest's "overdue" figure (``models.digest``) count the same complaints."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement
from sqlmodel import col

from domain.complaints import Status
from models.tables import Complaint

UNVERIFIED = (Status.BARU.value, Status.DIALIHKAN.value)
IN_WORK = (Status.TERVERIFIKASI.value, Status.DIPROSES.value, Status.DIBUKA_KEMBALI.value)


def overdue(today: date) -> ColumnElement[bool]:
    """Open complaints past the due date of the stage they are in (the escalation rule, also
    the digest's "overdue" figure)."""
    return ((col(Complaint.status).in_(UNVERIFIED)) & (col(Complaint.verification_due) < today)) | (
        (col(Complaint.status).in_(IN_WORK)) & (col(Complaint.follow_up_due) < today)
    )
