"""Build examples/roster_belawan.xlsx from examples/roster_belawan.csv.

Run from the repository root::

    .venv/bin/python examples/make_roster_xlsx.py [CSV] [XLSX]

Every cell is written as text and the NIP columns get the "@" (Text) number format,
so that Excel keeps all 18 digits when someone edits the file and types a new NIP;
a NIP stored as a number is rounded by Excel to 15 significant digits.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
DEFAULT_CSV = HERE / "roster_belawan.csv"
DEFAULT_XLSX = HERE / "roster_belawan.xlsx"

# Header cells whose column holds NIPs; matched case-insensitively like the importer.
NIP_HEADERS = frozenset({"nip", "nip atasan"})
TEXT_FORMAT = "@"


def build_workbook(csv_path: Path) -> Workbook:
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, data = rows[0], rows[1:]

    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:  # never for a new Workbook; keeps type checkers honest
        raise RuntimeError("new workbook has no sheet")
    sheet.title = "Pegawai"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    nip_columns = {i for i, name in enumerate(header) if name.strip().casefold() in NIP_HEADERS}
    for values in data:
        sheet.append(values)  # str values stay strings: openpyxl never converts them
        for index in nip_columns:
            sheet.cell(row=sheet.max_row, column=index + 1).number_format = TEXT_FORMAT

    # Apply the Text format to empty cells below the data too, for rows added later.
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
