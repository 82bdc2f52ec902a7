"""Exporting work-log entries: who may export whom, the entries of a period, the audit entry.
The workbook itself (close to what an e-Kinerja upload needs) is ``services.export``'s. Used by
``/ekspor`` in the chat and ``sigap export activities``.

Evidence: Telegram file ids mean nothing outside this bot (and stop working with another token),
so the export gives, per entry, each file's name (photos have none: "foto") with the path of
Sigap's own copy under the data folder (``evidence/2026-11/AgAD….pdf``), which the office can
open on the server.

Entries are personal data (UU 27/2022): every export is written to the audit log with who asked,
whose entries and which period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import exists, select
from sqlmodel import col

from models import audit
from models.db import Database
from models.supervision import is_unit_head, reports_of, supervisor_chain
from models.tables import Activity, ActivityEvidence, Employee, SkpTarget, Unit
from models.types import stored_id


@dataclass(frozen=True)
class EvidenceFile:
    name: str | None  # photos have none
    path: str | None  # Sigap's copy, relative to the data folder when it is inside it


@dataclass(frozen=True)
class ExportEntry:
    work_date: date
    description: str
    quantity: int | None
    unit: str | None
    minutes: int
    target: str | None
    status: str
    late: bool
    evidence: list[EvidenceFile] = field(default_factory=list)


@dataclass
class EmployeeExport:
    employee_id: int
    nip: str
    name: str
    position: str
    unit_code: str
    entries: list[ExportEntry] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.entries)


# --- who is in reach ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportReach:
    """What one person may export, as the roster draws it."""

    reports: list[Employee]
    unit_head: bool
    unit_id: int
    unit_code: str


async def reach_of(db: Database, employee_id: int, *, indirect: bool) -> ExportReach:
    async with db.read() as session:
        me = await session.get(Employee, employee_id)
        assert me is not None
        unit = await session.get(Unit, me.unit_id)
        return ExportReach(
            reports=await reports_of(session, employee_id, indirect=indirect),
            unit_head=await is_unit_head(session, employee_id),
            unit_id=me.unit_id,
            unit_code=unit.code if unit else "",
        )


async def chain_of(db: Database, employee_id: int) -> list[int]:
    async with db.read() as session:
        return await supervisor_chain(session, employee_id)


async def unit_by_code(db: Database, code: str) -> Unit | None:
    async with db.read() as session:
        return (
            await session.execute(select(Unit).where(col(Unit.code) == code.strip().upper()))
        ).scalar_one_or_none()


async def unit_members(db: Database, unit_id: int, start: date, end: date) -> list[Employee]:
    """Employees of one unit (sub-units are units of their own), by name: the active ones, and
    those who left but have entries in the period (their work still has to be reported)."""
    logged = (
        exists()
        .where(
            col(Activity.employee_id) == Employee.id,
            col(Activity.work_date) >= start,
            col(Activity.work_date) <= end,
            col(Activity.deleted_at).is_(None),
        )
        .correlate(Employee)
    )
    async with db.read() as session:
        rows = await session.execute(
            select(Employee).where(
                col(Employee.unit_id) == unit_id,
                col(Employee.active).is_(True) | logged,
            )
        )
        return sorted(rows.scalars(), key=lambda e: e.name.casefold())


async def employee_by_nip(db: Database, nip: str) -> Employee | None:
    async with db.read() as session:
        return (
            await session.execute(select(Employee).where(col(Employee.nip) == nip))
        ).scalar_one_or_none()


# --- reading --------------------------------------------------------------------------------


def _evidence_file(row: ActivityEvidence, data_dir: Path | None) -> EvidenceFile:
    if not row.stored_path:
        return EvidenceFile(row.file_name, None)
    path = Path(row.stored_path)
    if data_dir is not None:
        try:
            path = path.resolve().relative_to(data_dir.resolve())
        except ValueError:
            pass
    return EvidenceFile(row.file_name, path.as_posix())


async def load_export(
    db: Database,
    employee_ids: Sequence[int],
    start: date,
    end: date,
    data_dir: Path | None = None,
) -> list[EmployeeExport]:
    """The employees (by name) with their entries in the period, deleted entries left out."""
    if not employee_ids:
        return []
    async with db.read() as session:
        people = (
            await session.execute(
                select(Employee, col(Unit.code))
                .join(Unit, col(Unit.id) == Employee.unit_id)
                .where(col(Employee.id).in_(employee_ids))
            )
        ).all()
        rows = (
            await session.execute(
                select(Activity, col(SkpTarget.indicator), col(SkpTarget.rhk))
                .outerjoin(SkpTarget, col(SkpTarget.id) == Activity.target_id)
                .where(
                    col(Activity.employee_id).in_(employee_ids),
                    col(Activity.work_date) >= start,
                    col(Activity.work_date) <= end,
                    col(Activity.deleted_at).is_(None),
                )
                .order_by(col(Activity.work_date), col(Activity.id))
            )
        ).all()
        activity_ids = [a.id for a, _, _ in rows]
        evidence: dict[int, list[EvidenceFile]] = {}
        if activity_ids:
            for item in (
                await session.execute(
                    select(ActivityEvidence)
                    .where(col(ActivityEvidence.activity_id).in_(activity_ids))
                    .order_by(col(ActivityEvidence.id))
                )
            ).scalars():
                evidence.setdefault(item.activity_id, []).append(_evidence_file(item, data_dir))
    exports = {
        e.id: EmployeeExport(stored_id(e.id), e.nip, e.name, e.position, code) for e, code in people
    }
    for activity, indicator, rhk in rows:
        exports[activity.employee_id].entries.append(
            ExportEntry(
                work_date=activity.work_date,
                description=activity.description,
                quantity=activity.quantity,
                unit=activity.output_unit,
                minutes=activity.minutes,
                target=indicator or rhk,
                status=activity.status,
                late=activity.late,
                evidence=evidence.get(activity.id or 0, []),
            )
        )
    return sorted(exports.values(), key=lambda e: (e.name.casefold(), e.nip))


def has_entries(exports: Sequence[EmployeeExport]) -> bool:
    return any(e.entries for e in exports)


async def record_export(
    db: Database,
    actor: str,
    scope: str,
    exports: Sequence[EmployeeExport],
    start: date,
    end: date,
    now: datetime,
) -> None:
    """The audit entry: exports move personal data out of Sigap."""
    async with db.write() as session:
        audit.record(
            session,
            actor,
            "activities.export",
            scope,
            at=now,
            start=start.isoformat(),
            end=end.isoformat(),
            employees=[e.nip for e in exports if e.entries],
            entries=sum(len(e.entries) for e in exports),
        )
