"""A unit's written follow-up to its survey results ("rencana tindak lanjut"): what the unit
will do about the quarter's IKM, entered by its head (or an admin) from /ikm and published on
the public page (``/publik``). One text per unit and quarter; writing again replaces it.

The row keeps who wrote it last (an employee id, for the office's own accountability); the
public page shows the text only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, select
from sqlmodel import Field, SQLModel, col

from models import audit
from models.activities import AlreadySaved
from models.conversation import FlowEnd, finish_in
from models.db import Database
from models.supervision import is_unit_head
from models.types import UTCDateTime, utcnow

MAX_FOLLOW_UP = 2000


class IkmFollowUp(SQLModel, table=True):
    __tablename__ = "ikm_follow_up"
    __table_args__ = (UniqueConstraint("unit_id", "period", name="uq_ikm_follow_up_unit_period"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(sa_column_args=[ForeignKey("unit.id", ondelete="CASCADE")])
    period: str = Field(max_length=6)  # "2026Q4"
    text: str = Field(max_length=MAX_FOLLOW_UP)
    employee_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("employee.id", ondelete="SET NULL")]
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


async def follow_up_text(db: Database, unit_id: int, period: str) -> str | None:
    stmt = select(col(IkmFollowUp.text)).where(
        col(IkmFollowUp.unit_id) == unit_id, col(IkmFollowUp.period) == period
    )
    async with db.read() as session:
        return (await session.execute(stmt)).scalar_one_or_none()


async def save_follow_up(
    db: Database,
    unit_id: int,
    period: str,
    text: str,
    *,
    employee_id: int | None,
    actor: str,
    now: datetime,
    ending: FlowEnd | None = None,
) -> bool:
    """Write (or replace) the unit's follow-up for ``period``, ending the flow that wrote it in
    the same transaction; True if it replaced an earlier text. Raises ``AlreadySaved`` when the
    flow had ended already (a second delivery of the same message)."""
    async with db.write() as session:
        if ending is not None and not await finish_in(session, *ending):
            raise AlreadySaved()
        stmt = select(IkmFollowUp).where(
            col(IkmFollowUp.unit_id) == unit_id, col(IkmFollowUp.period) == period
        )
        existing = (await session.execute(stmt)).scalar_one_or_none()
        if existing is None:
            session.add(
                IkmFollowUp(
                    unit_id=unit_id,
                    period=period,
                    text=text,
                    employee_id=employee_id,
                    updated_at=now,
                )
            )
        else:
            existing.text, existing.employee_id, existing.updated_at = text, employee_id, now
        audit.record(session, actor, "ikm_follow_up", f"unit:{unit_id}:{period}", at=now)
    return existing is not None


async def is_head(db: Database, employee_id: int) -> bool:
    """Whether this employee heads their unit (``models.supervision.is_unit_head``)."""
    async with db.read() as session:
        return await is_unit_head(session, employee_id)
