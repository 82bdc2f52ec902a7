"""Quarterly assessments: the supervisor's ratings and predikat per employee and quarter, and the
realisation of SKP targets from approved entries they are based on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint, and_, func, select
from sqlmodel import Field, SQLModel, col

from domain.assessment import quarter_bounds
from models import audit
from models.conversation import FlowEnd, finish_in
from models.db import Database
from models.outbox import enqueue
from models.tables import Activity, Employee, SkpTarget
from models.types import UTCDateTime, utcnow


class Assessment(SQLModel, table=True):
    """One employee's periodic assessment for one quarter (PermenPANRB 6/2022). Assessing the
    same quarter again updates this row; the values before are kept in the audit log."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("employee_id", "year", "quarter", name="uq_assessment_employee_quarter"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")])
    supervisor_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("employee.id", ondelete="SET NULL")]
    )
    year: int
    quarter: int
    hasil_kerja: str = Field(max_length=10)  # domain.assessment.Rating
    perilaku_kerja: str = Field(max_length=10)
    predikat: str = Field(max_length=20)  # domain.assessment.Predikat
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- realisation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRealisation:
    target: SkpTarget
    quarter_quantity: int  # approved quantities with a work date in the quarter
    quarter_entries: int
    year_to_date: int  # approved quantities from 1 January to the quarter's last day


@dataclass(frozen=True)
class QuarterRealisation:
    targets: list[TargetRealisation]
    approved_entries: int  # all approved entries of the quarter, with or without a target
    approved_minutes: int
    unlinked_entries: int  # approved entries of the quarter with no SKP target
    waiting_entries: int  # not yet approved (submitted or sent back): not counted above


async def quarter_realisation(
    db: Database, employee_id: int, year: int, quarter: int
) -> QuarterRealisation:
    """Realisation of each of the year's SKP targets from APPROVED, not deleted entries."""
    start, end = quarter_bounds(year, quarter)
    in_quarter = and_(col(Activity.work_date) >= start, col(Activity.work_date) <= end)
    quantity = func.coalesce(col(Activity.quantity), 0)
    per_target = (
        select(
            SkpTarget,
            func.coalesce(func.sum(quantity).filter(in_quarter), 0),
            func.count(col(Activity.id)).filter(in_quarter),
            func.coalesce(func.sum(quantity), 0),
        )
        .outerjoin(
            Activity,
            and_(
                col(Activity.target_id) == SkpTarget.id,
                col(Activity.employee_id) == employee_id,
                col(Activity.deleted_at).is_(None),
                col(Activity.status) == "approved",
                col(Activity.work_date) >= date(year, 1, 1),
                col(Activity.work_date) <= end,
            ),
        )
        .where(col(SkpTarget.employee_id) == employee_id, col(SkpTarget.year) == year)
        .group_by(col(SkpTarget.id))
        .order_by(col(SkpTarget.kind).desc(), col(SkpTarget.id))  # utama first
    )
    approved = col(Activity.status) == "approved"
    totals = select(
        func.count().filter(approved),
        func.coalesce(func.sum(col(Activity.minutes)).filter(approved), 0),
        func.count().filter(approved, col(Activity.target_id).is_(None)),
        func.count().filter(col(Activity.status).in_(["submitted", "revision_requested"])),
    ).where(
        col(Activity.employee_id) == employee_id,
        col(Activity.deleted_at).is_(None),
        in_quarter,
    )
    async with db.read() as session:
        rows = (await session.execute(per_target)).all()
        count, minutes, unlinked, waiting = (await session.execute(totals)).one()
    return QuarterRealisation(
        [TargetRealisation(t, int(q), int(n), int(y)) for t, q, n, y in rows],
        int(count),
        int(minutes),
        int(unlinked),
        int(waiting),
    )


# --- assessments ----------------------------------------------------------------------------


async def assessment_of(
    db: Database, employee_id: int, year: int, quarter: int
) -> Assessment | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(Assessment).where(
                    col(Assessment.employee_id) == employee_id,
                    col(Assessment.year) == year,
                    col(Assessment.quarter) == quarter,
                )
            )
        ).scalar_one_or_none()


async def assessed(db: Database, employee_ids: list[int], year: int, quarter: int) -> set[int]:
    """Which of these employees already have an assessment for the quarter."""
    if not employee_ids:
        return set()
    async with db.read() as session:
        rows = await session.execute(
            select(col(Assessment.employee_id)).where(
                col(Assessment.employee_id).in_(employee_ids),
                col(Assessment.year) == year,
                col(Assessment.quarter) == quarter,
            )
        )
        return set(rows.scalars())


class AlreadySaved(Exception):
    """The conversation this save came from has ended already (a double tap)."""


@dataclass(frozen=True)
class Saved:
    assessment: Assessment
    updated: bool


async def save_assessment(
    db: Database,
    *,
    employee_id: int,
    supervisor_id: int,
    year: int,
    quarter: int,
    hasil_kerja: str,
    perilaku_kerja: str,
    predikat: str,
    actor: str,
    now: datetime,
    conversation: FlowEnd | tuple[int, int, int],
    notify: tuple[int, dict[str, Any]] | None,
) -> Saved:
    """Store (or update) the assessment, end the supervisor's conversation, audit it, and queue
    ``notify`` = (chat id, outbox payload) for the employee: all in one transaction."""
    async with db.write() as session:
        if not await finish_in(session, *conversation):
            raise AlreadySaved()
        row = (
            await session.execute(
                select(Assessment)
                .where(
                    col(Assessment.employee_id) == employee_id,
                    col(Assessment.year) == year,
                    col(Assessment.quarter) == quarter,
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        values: dict[str, Any] = {
            "supervisor_id": supervisor_id,
            "hasil_kerja": hasil_kerja,
            "perilaku_kerja": perilaku_kerja,
            "predikat": predikat,
        }
        nip = await session.scalar(select(col(Employee.nip)).where(col(Employee.id) == employee_id))
        detail: dict[str, Any] = {"year": year, "quarter": quarter, **values}
        if row is None:
            row = Assessment(
                employee_id=employee_id,
                year=year,
                quarter=quarter,
                created_at=now,
                updated_at=now,
                **values,
            )
            session.add(row)
            action = "assessment.create"
        else:
            detail["before"] = {name: getattr(row, name) for name in values} | {
                "revision": row.revision,
                "updated_at": row.updated_at.isoformat(),
            }
            for name, value in values.items():
                setattr(row, name, value)
            row.revision += 1
            row.updated_at = now
            action = "assessment.update"
        await session.flush()
        audit.record(session, actor, action, f"employee:{nip}", at=now, **detail)
        if notify is not None:
            chat, payload = notify
            await enqueue(
                session,
                f"assessment:{employee_id}:{year}-Q{quarter}:{row.revision}",
                chat,
                "assessment",
                payload,
                now=now,
            )
    return Saved(row, action == "assessment.update")
