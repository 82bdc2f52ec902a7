"""Writing the XLSX files Sigap produces (activity exports, weekly digests, SKM reports) so that
text people typed stays text.

An activity description, an evidence file name or a name may start with ``=`` (or ``+``, ``-``,
``@``, a tab, a carriage return). Appended as it is, openpyxl stores ``=…`` as a live formula,
and the spreadsheet runs it when the office opens the file: ``=HYPERLINK(…)`` to lure a click,
``=cmd|' /C calc'!A0`` (DDE) to run a program. Every writer appends its rows through
:func:`append_row`, which stores such a string as a string cell (``t="s"``: the file itself says
it is text, so Excel and LibreOffice show it exactly as typed and never evaluate it) with the
quote prefix set (what typing a leading apostrophe does in Excel: the cell stays text when
someone edits it, and the apostrophe is not part of the value). Putting an apostrophe into the
value instead, the usual advice for CSV, would show it in the cell and change what was typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # openpyxl is heavy; it is imported by whoever writes a workbook
    from openpyxl.worksheet.worksheet import Worksheet

# What spreadsheets read as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def append_row(sheet: Worksheet, values: Iterable[object]) -> None:
    """``sheet.append(values)``, with every string written as text."""
    sheet.append([_text_safe(sheet, value) for value in values])


def _text_safe(sheet: Worksheet, value: object) -> object:
    if not isinstance(value, str):
        return value  # numbers (negative ones too) and dates stay what they are
    from openpyxl.cell.cell import Cell

    cell = Cell(sheet, row=1, column=1, value=value)
    # openpyxl makes "=…" a formula ("f") and "#N/A" an error ("e"); anything else is "s".
    if cell.data_type != "s" or value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
