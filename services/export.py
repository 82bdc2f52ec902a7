"""The work-log export as an XLSX close to what an e-Kinerja upload needs: one sheet per
employee (date, activity, quantity, unit, minutes, SKP target, status, evidence) and a summary
sheet first. Written for ``/ekspor`` (in a worker thread: CPU work off the event loop) and for
``sigap export activities``; the entries come from ``models.export``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from domain.sheets import append_row
from models.export import EmployeeExport, EvidenceFile
from texts import Texts
from texts.format import format_date

SHEET_TITLE_MAX = 31  # Excel's limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def evidence_line(item: EvidenceFile, tr: Texts) -> str:
    name = item.name or tr.plain("export.photo")
    return name if item.path is None else f"{name} ({item.path})"


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
        append_row(summary,
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
            append_row(sheet,
                [
                    entry.work_date, entry.description, entry.quantity, entry.unit or "",
                    entry.minutes, entry.target or "", tr.plain(f"status.{entry.status}"),
                    yes if entry.late else "", len(entry.evidence),
                    "\n".join(evidence_line(item, tr) for item in entry.evidence),
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
