"""Exporting work-log entries as an XLSX close to what an e-Kinerja upload needs.

One sheet per employee (date, activity, quantity, unit, minutes, SKP target, status, evidence)
and a summary sheet first. Used by ``/ekspor`` in the chat and ``sigap export activities``.

Evidence: Telegram file ids mean nothing outside this bot (and stop working with another token),
so the export writes, per entry, the number of files and, for each, its name (photos have none:
"foto") with the path of Sigap's own copy under the data folder
(``evidence/2026-11/AgAD….pdf``), which the office can open on the server.

Entries are personal data (UU 27/2022): every export is written to the audit log with who asked,
whose entries and which period.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import exists, select

from bot.i18n import Texts
from domain.dates import format_date
from domain.sheets import append_row
from models import audit
from models.db import Database
from models.supervision import is_unit_head, reports_of, supervisor_chain
from models.tables import Activity, ActivityEvidence, Employee, SkpTarget, Unit

SHEET_TITLE_MAX = 31  # Excel's limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


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
    evidence: list[str] = field(default_factory=list)  # one line per file


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
            await session.execute(select(Unit).where(Unit.code == code.strip().upper()))
        ).scalar_one_or_none()


async def unit_members(db: Database, unit_id: int, start: date, end: date) -> list[Employee]:
    """Employees of one unit (sub-units are units of their own), by name: the active ones, and
    those who left but have entries in the period (their work still has to be reported)."""
    logged = (
        exists()
        .where(
            Activity.employee_id == Employee.id,
            Activity.work_date >= start,
            Activity.work_date <= end,
            Activity.deleted_at.is_(None),  # type: ignore[union-attr]
        )
        .correlate(Employee)
    )
    async with db.read() as session:
        rows = await session.execute(
            select(Employee).where(
                Employee.unit_id == unit_id,
                Employee.active.is_(True) | logged,  # type: ignore[attr-defined]
            )
        )
        return sorted(rows.scalars(), key=lambda e: e.name.casefold())


async def employee_by_nip(db: Database, nip: str) -> Employee | None:
    async with db.read() as session:
        return (
            await session.execute(select(Employee).where(Employee.nip == nip))
        ).scalar_one_or_none()


# --- reading --------------------------------------------------------------------------------


def _evidence_line(row: ActivityEvidence, data_dir: Path | None, tr: Texts) -> str:
    name = row.file_name or tr.plain("export.photo")
    if not row.stored_path:
        return name
    path = Path(row.stored_path)
    if data_dir is not None:
        try:
            path = path.resolve().relative_to(data_dir.resolve())
        except ValueError:
            pass
    return f"{name} ({path.as_posix()})"


async def load_export(
    db: Database,
    employee_ids: Sequence[int],
    start: date,
    end: date,
    tr: Texts,
    data_dir: Path | None = None,
) -> list[EmployeeExport]:
    """The employees (by name) with their entries in the period, deleted entries left out."""
    if not employee_ids:
        return []
    async with db.read() as session:
        people = (
            await session.execute(
                select(Employee, Unit.code)
                .join(Unit, Unit.id == Employee.unit_id)
                .where(Employee.id.in_(employee_ids))  # type: ignore[union-attr]
            )
        ).all()
        rows = (
            await session.execute(
                select(Activity, SkpTarget.indicator, SkpTarget.rhk)
                .outerjoin(SkpTarget, SkpTarget.id == Activity.target_id)
                .where(
                    Activity.employee_id.in_(employee_ids),  # type: ignore[attr-defined]
                    Activity.work_date >= start,
                    Activity.work_date <= end,
                    Activity.deleted_at.is_(None),  # type: ignore[union-attr]
                )
                .order_by(Activity.work_date, Activity.id)
            )
        ).all()
        activity_ids = [a.id for a, _, _ in rows]
        evidence: dict[int, list[str]] = {}
        if activity_ids:
            for item in (
                await session.execute(
                    select(ActivityEvidence)
                    .where(ActivityEvidence.activity_id.in_(activity_ids))  # type: ignore[attr-defined]
                    .order_by(ActivityEvidence.id)
                )
            ).scalars():
                evidence.setdefault(item.activity_id, []).append(_evidence_line(item, data_dir, tr))
    exports = {
        e.id: EmployeeExport(e.id, e.nip, e.name, e.position, code)  # type: ignore[arg-type]
        for e, code in people
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
                evidence=evidence.get(activity.id or 0, []),  # type: ignore[arg-type]
            )
        )
    return sorted(exports.values(), key=lambda e: (e.name.casefold(), e.nip))


def has_entries(exports: Sequence[EmployeeExport]) -> bool:
    return any(e.entries for e in exports)


# --- the workbook ---------------------------------------------------------------------------


def period_text(start: date, end: date, language: str) -> str:
    """``1 November 2026 – 24 November 2026`` (one date for a single day)."""
    first = format_date(start, language, weekday=False)
    return first if start == end else f"{first} – {format_date(end, language, weekday=False)}"


def sheet_titles(exports: Sequence[EmployeeExport]) -> list[str]:
    """A valid, unique sheet title per employee: the name without the characters Excel refuses,
    cut to 31 characters; a repeated title gets the end of the NIP, then a number."""
    used = {"ringkasan", "summary"}
    titles: list[str] = []
    for export in exports:
        base = " ".join(_SHEET_FORBIDDEN.sub(" ", export.name).split()).strip("'") or export.nip
        candidates = [base[:SHEET_TITLE_MAX].rstrip()]
        suffix = f" {export.nip[-4:]}"
        candidates.append(base[: SHEET_TITLE_MAX - len(suffix)].rstrip() + suffix)
        n = 2
        while all(c.casefold() in used for c in candidates):
            tail = f" ({n})"
            candidates.append(base[: SHEET_TITLE_MAX - len(tail)].rstrip() + tail)
            n += 1
        title = next(c for c in candidates if c.casefold() not in used)
        used.add(title.casefold())
        titles.append(title)
    return titles


ENTRY_COLUMNS = (
    "date", "description", "quantity", "unit", "minutes", "target", "status", "late",
    "evidence_count", "evidence",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "name", "nip", "position", "unit_code", "entries", "minutes", "hours", "approved",
    "submitted", "revision_requested", "rejected", "sheet",
)  # fmt: skip


def write_workbook(
    exports: Sequence[EmployeeExport], start: date, end: date, tr: Texts, path: Path
) -> None:
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = tr.plain("export.sheet_summary")
    period = period_text(start, end, tr.language)
    append_row(summary, [tr.plain("export.summary_title", period=period)])
    summary["A1"].font = Font(bold=True)
    append_row(summary, [])
    append_row(summary, [tr.plain(f"export.col_{c}") for c in SUMMARY_COLUMNS])
    titles = sheet_titles(exports)
    for export, title in zip(exports, titles, strict=True):
        append_row(
            summary,
            [
                export.name, export.nip, export.position, export.unit_code, len(export.entries),
                export.minutes, round(export.minutes / 60, 2), export.count("approved"),
                export.count("submitted"), export.count("revision_requested"),
                export.count("rejected"), title if export.entries else "",
            ]
        )  # fmt: skip
    for cell in summary[3]:
        cell.font = Font(bold=True)
    summary.column_dimensions["A"].width = 40
    summary.column_dimensions["B"].width = 21
    yes = tr.plain("export.yes")
    for export, title in zip(exports, titles, strict=True):
        if not export.entries:
            continue
        sheet = workbook.create_sheet(title)
        append_row(sheet, [tr.plain(f"export.col_{c}") for c in ENTRY_COLUMNS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for entry in export.entries:
            append_row(
                sheet,
                [
                    entry.work_date, entry.description, entry.quantity, entry.unit or "",
                    entry.minutes, entry.target or "", tr.plain(f"status.{entry.status}"),
                    yes if entry.late else "", len(entry.evidence), "\n".join(entry.evidence),
                ]
            )  # fmt: skip
            row = sheet.max_row
            sheet.cell(row, 1).number_format = "yyyy-mm-dd"
            for column in (2, 6, 10):
                sheet.cell(row, column).alignment = Alignment(wrap_text=True, vertical="top")
        for letter, width in zip("ABCDEFGHIJ", (12, 50, 10, 14, 8, 45, 22, 11, 8, 50), strict=True):
            sheet.column_dimensions[letter].width = width
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def file_name(start: date, end: date, who: str) -> str:
    """``kegiatan-BLW-K01-2026-11-01-2026-11-30.xlsx``; ``who`` is a unit code or a NIP."""
    safe = re.sub(r"[^A-Za-z0-9-]+", "_", who)[:40] or "sigap"
    return f"kegiatan-{safe}-{start.isoformat()}-{end.isoformat()}.xlsx"


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
