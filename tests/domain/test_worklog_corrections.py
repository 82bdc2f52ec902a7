"""Corrections typed as a reply to a saved entry: one field, never a guess."""

from __future__ import annotations

from datetime import date

import pytest

from domain.worklog import Correction, ParseProblem, parse_correction

TODAY = date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 jam", Correction("minutes", 120)),
        ("2 jm", Correction("minutes", 120)),
        ("1,5 jam", Correction("minutes", 90)),
        ("45 mnt", Correction("minutes", 45)),
        ("1.5 h", Correction("minutes", 90)),
        ("08.00-10.30", Correction("minutes", 150)),
        ("kemarin", Correction("work_date", date(2026, 11, 23))),
        ("Senin", Correction("work_date", date(2026, 11, 23))),
        ("23/11", Correction("work_date", date(2026, 11, 23))),
        ("hari ini", Correction("work_date", TODAY)),
        ("15 berkas", Correction("quantity", 15, "berkas")),
        ("40 data", Correction("quantity", 40, "data")),
        ("1.000 lembar", Correction("quantity", 1000, "lembar")),
        ("  12 KK ", Correction("quantity", 12, "KK")),
    ],
)
def test_one_field_is_read(text: str, expected: Correction) -> None:
    assert parse_correction(text, TODAY, 3) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("15", "correction_number_alone"),  # minutes, hours or files?
        ("1.30 jam", "duration_ambiguous"),
        ("1/11", "date_too_old"),
        ("besok", "date_in_future"),
        ("0 berkas", "quantity_zero"),
        ("rapat dgn camat", "correction_unreadable"),
        ("", "correction_unreadable"),
    ],
)
def test_what_cannot_be_read_surely_is_asked(text: str, problem: str) -> None:
    result = parse_correction(text, TODAY, 3)
    assert isinstance(result, ParseProblem) and result.code == problem
