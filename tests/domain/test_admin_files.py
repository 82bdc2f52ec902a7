"""Files an admin sends in the chat: typed by their bytes, bounded, and the header problems an
office really makes (merged header cells, the data on another sheet) named precisely."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from domain.roster import ROSTER_HEADERS, read_roster, roles_cell, scope_problems
from domain.tabular import TableFileError, sniff_table_format

MB = 1024 * 1024
ROW = ["197508121999031007", "Agus", "Staf", "BLW-SEK", "Sekretariat", "", "pegawai"]


def _save(book: Workbook, path: Path) -> Path:
    book.save(path)
    return path


def test_format_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(list(ROSTER_HEADERS))
    xlsx_named_csv = _save(book, tmp_path / "roster.csv")
    assert sniff_table_format(xlsx_named_csv, 10 * MB) == ".xlsx"
    csv_named_xlsx = tmp_path / "roster.xlsx"
    csv_named_xlsx.write_text(";".join(ROSTER_HEADERS) + "\n", encoding="utf-8")
    assert sniff_table_format(csv_named_xlsx, 10 * MB) == ".csv"
    for name, data in (
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64),  # Excel 97 (.xls)
        ("doc.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(TableFileError) as error:
            sniff_table_format(path, 10 * MB)
        assert error.value.code == "not_a_table", name
    archive = tmp_path / "other.xlsx"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(TableFileError, match="not_a_table"):
        sniff_table_format(archive, 10 * MB)
    with pytest.raises(TableFileError, match="too_big"):
        sniff_table_format(xlsx_named_csv, 100)


def test_a_zip_bomb_is_refused_by_what_it_unpacks_to(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (3 * MB))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(TableFileError, match="too_big"):
        sniff_table_format(bomb, 10 * MB, max_unpacked=2 * MB)


def test_merged_header_and_data_on_another_sheet(tmp_path: Path) -> None:
    merged = Workbook()
    merged.active.append(["NIP", "Nama", "Jabatan", "Unit", None, "NIP Atasan"])
    merged.active.merge_cells("D1:E1")
    merged.active.append(ROW[:6])
    with pytest.raises(TableFileError) as error:
        read_roster(_save(merged, tmp_path / "m.xlsx"))
    assert error.value.code == "merged_header"
    assert error.value.params == {"sheet": "Sheet", "cells": "D1:E1"}

    # Instructions moved to the front: the roster is still found on its sheet.
    book = Workbook()
    book.active.title = "Petunjuk"
    book.active.append(["Satu baris per pegawai"])
    data = book.create_sheet("Pegawai")
    data.append(list(ROSTER_HEADERS))
    data.append(ROW)
    [row] = read_roster(_save(book, tmp_path / "b.xlsx"))
    assert row.name == "Agus"

    wrong = Workbook()
    wrong.active.append(["Catatan"])
    wrong.create_sheet("Target").append(["NIP", "Tahun", "RHK"])
    with pytest.raises(TableFileError) as error:
        read_roster(_save(wrong, tmp_path / "w.xlsx"))
    assert error.value.code == "wrong_sheet"
    assert error.value.params["sheets"] == ["Sheet", "Target"]


def test_roles_cell_reads_back_as_the_same_roles(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    roles = [
        {"employee"},
        {"employee", "supervisor", "admin"},
        {"employee", "complaint_handler", "unit_admin"},
    ]
    lines = [";".join(ROSTER_HEADERS)]
    for n, wanted in enumerate(roles, start=1):
        lines.append(f"19750812199903100{n};P{n};Staf;BLW;Kantor;;{roles_cell(wanted)}")
    path.write_text("\n".join(lines), encoding="utf-8")
    assert [set(r.roles) for r in read_roster(path)] == roles


def test_a_unit_admins_file_stays_in_their_unit(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        ";".join(ROSTER_HEADERS)
        + "\n197508121999031007;Agus;Staf;BLW-PEM;Pemerintahan;;pegawai"
        + "\n197802042005011006;Benny;Kasi;BLW-SEK;Sekretariat;;atasan"
        + "\n199603052020121003;Rizky;Staf;BLW-PEM;Pemerintahan;;admin",
        encoding="utf-8",
    )
    problems = scope_problems(read_roster(path), "BLW-PEM", {"197508121999031007": "BLW-SEK"})
    assert [(p.line, p.code, p.params) for p in problems] == [
        (2, "other_unit", {"unit": "BLW-SEK"}),
        (3, "other_unit", {"unit": "BLW-PEM"}),
        (4, "role_not_allowed", {"role": "admin"}),
    ]
