"""Build examples/skp_targets_belawan.xlsx from examples/skp_targets_belawan.csv.

Run from the repository root::

    .venv/bin/python examples/make_skp_xlsx.py [CSV] [XLSX]

The NIP column is written as text with the "@" (Text) number format, so that Excel
keeps all 18 digits when someone edits the file (see make_roster_xlsx.py).  Tahun and
Target are written as numbers, as a person filling the sheet in Excel would produce
them; the CSV may show targets with Indonesian thousands dots ("1.500").
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
DEFAULT_CSV = HERE / "skp_targets_belawan.csv"
DEFAULT_XLSX = HERE / "skp_targets_belawan.xlsx"

# Header cells, matched case-insensitively like the importer.
NIP_HEADERS = frozenset({"nip"})
NUMBER_HEADERS = frozenset({"tahun", "target"})
TEXT_FORMAT = "@"
NUMBER_FORMAT = "#,##0"  # shown with the reader's thousands separator, "1.500" in Indonesia

_WHOLE_NUMBER = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})*|[0-9]+")


def _number(text: str) -> int | str:
    """A whole number as int (dots are thousands separators); anything else unchanged."""
    compact = text.strip()
    return int(compact.replace(".", "")) if _WHOLE_NUMBER.fullmatch(compact) else text


def build_workbook(csv_path: Path) -> Workbook:
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, data = rows[0], rows[1:]

    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:  # never for a new Workbook; keeps type checkers honest
        raise RuntimeError("new workbook has no sheet")
    sheet.title = "Target SKP"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    keys = [name.strip().casefold() for name in header]
    nip_columns = {i for i, key in enumerate(keys) if key in NIP_HEADERS}
    number_columns = {i for i, key in enumerate(keys) if key in NUMBER_HEADERS}
    # Only the target gets a thousands separator: a year shown as "2.026" would confuse.
    grouped_columns = {i for i, key in enumerate(keys) if key == "target"}
    for values in data:
        sheet.append([_number(v) if i in number_columns else v for i, v in enumerate(values)])
        for index in nip_columns:
            sheet.cell(row=sheet.max_row, column=index + 1).number_format = TEXT_FORMAT
        for index in grouped_columns:
            sheet.cell(row=sheet.max_row, column=index + 1).number_format = NUMBER_FORMAT

    # Apply the Text format to empty NIP cells below the data too, for rows added later.
    last_row = sheet.max_row
    for index in nip_columns:
        letter = get_column_letter(index + 1)
        for row in range(last_row + 1, last_row + 51):
            sheet[f"{letter}{row}"].number_format = TEXT_FORMAT
        sheet.column_dimensions[letter].width = 22
    for index, name in enumerate(header):
        letter = get_column_letter(index + 1)
        if index not in nip_columns:
            longest = max([len(name), *(len(r[index]) for r in data if index < len(r))])
            sheet.column_dimensions[letter].width = min(longest + 2, 60)
    sheet.freeze_panes = "A2"
    return workbook


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("xlsx", nargs="?", type=Path, default=DEFAULT_XLSX)
    args = parser.parse_args(argv)
    build_workbook(args.csv).save(args.xlsx)
    print(f"wrote {args.xlsx}")


if __name__ == "__main__":
    main()
