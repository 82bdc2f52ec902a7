"""The files an admin downloads from the chat, edits in Excel and sends back: the roster (and
SKP targets, complaint categories) in the very layout the importers read, so that the round
trip needs no retyping.

NIPs are written as text cells with the text number format ("@"): Excel then neither shows
them as 1,98105E+17 nor rounds them when the admin types in the column. Roles get a drop-down
(a warning, not a refusal, for a combination the list does not offer). Every row goes through
``domain.sheets.append_row``, so a name that starts with "=" stays text. A second sheet says
how to fill the file in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # openpyxl is heavy: imported when a file is written (``_openpyxl``)
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

from domain.complaints import CATEGORY_HEADERS
from domain.roster import ROSTER_HEADERS, roles_cell
from domain.sheets import append_row
from domain.skp import TARGET_HEADERS
from models.admin import RosterLine, TargetLine
from models.tables import ComplaintCategory
from texts import Texts

# Role combinations offered in the drop-down (Excel keeps a list under 255 characters).
ROLE_CHOICES = (
    "pegawai",
    "atasan",
    "penangan aduan",
    "admin",
    "admin unit",
    "atasan, admin",
    "atasan, penangan aduan",
    "atasan, admin unit",
)
_TEXT = "@"


def write_roster(lines: Sequence[RosterLine], tr: Texts, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = tr.plain("admin_file.roster_sheet")
    _header(sheet, ROSTER_HEADERS, (21, 40, 40, 14, 40, 21, 24))
    for line in lines:
        append_row(
            sheet,
            [
                line.nip,
                line.name,
                line.position,
                line.unit_code,
                line.unit_name,
                line.supervisor_nip,
                roles_cell(line.roles),
            ],
        )
    _as_text(sheet, ("A", "F"), len(lines) + 500)
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(c.replace(",", ";") for c in ROLE_CHOICES) + '"',
        allow_blank=True,
        errorStyle="warning",
        showErrorMessage=True,
        errorTitle=tr.plain("admin_file.roles_title"),
        error=tr.plain("admin_file.roles_error"),
    )
    sheet.add_data_validation(choices)
    choices.add(f"G2:G{len(lines) + 500}")
    _instructions(workbook, tr, "admin_file.roster_help")
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def write_targets(lines: Sequence[TargetLine], tr: Texts, path: Path) -> None:
    """SKP targets, one row each; "Nama" is for the reader (the importer goes by NIP)."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = tr.plain("admin_file.targets_sheet")
    headers = (TARGET_HEADERS[0], "Nama", *TARGET_HEADERS[1:])
    _header(sheet, headers, (21, 32, 8, 50, 50, 9, 14, 11, 9))
    for line in lines:
        append_row(
            sheet,
            [
                line.nip,
                line.name,
                line.year,
                line.rhk,
                line.indicator,
                line.target_quantity,
                line.unit,
                line.kind,
                "ya" if line.complaint_work else "",
            ],
        )
    _as_text(sheet, ("A",), len(lines) + 500)
    kinds = DataValidation(type="list", formula1='"utama,tambahan"', allow_blank=True)
    sheet.add_data_validation(kinds)
    kinds.add(f"H2:H{len(lines) + 500}")
    flags = DataValidation(type="list", formula1='"ya,tidak"', allow_blank=True)
    sheet.add_data_validation(flags)
    flags.add(f"I2:I{len(lines) + 500}")
    _instructions(workbook, tr, "admin_file.targets_help")
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def write_categories(
    categories: Sequence[tuple[ComplaintCategory, str]], tr: Texts, path: Path
) -> None:
    """Active complaint categories and the unit each goes to."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = tr.plain("admin_file.categories_sheet")
    _header(sheet, CATEGORY_HEADERS, (16, 45, 45, 14, 9))
    for category, unit_code in categories:
        if category.active:
            row = [category.code, category.name, category.name_en, unit_code, category.position]
            append_row(sheet, row)
    _instructions(workbook, tr, "admin_file.categories_help")
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _header(sheet: Worksheet, headers: Iterable[str], widths: Iterable[int]) -> None:
    from openpyxl.styles import Font

    append_row(sheet, list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"


def _as_text(sheet: Worksheet, columns: Iterable[str], rows: int) -> None:
    """NIP columns as text, also in the empty rows below, where the admin adds people."""
    for column in columns:
        for row in range(2, rows + 1):
            sheet[f"{column}{row}"].number_format = _TEXT


def _instructions(workbook: Workbook, tr: Texts, key: str) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(tr.plain("admin_file.help_sheet"))
    for line in tr.plain(key).split("\n"):
        append_row(sheet, [line])
    sheet.column_dimensions["A"].width = 110
    for cell in sheet["A"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True)
