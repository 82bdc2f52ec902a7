"""Numbers read back from button data and typed answers (domain/ids.py)."""

from __future__ import annotations

import pytest

from domain.ids import parse_id
from domain.skm import parse_period


@pytest.mark.parametrize("text", ["0", "7", "2026", "2147483647"])
def test_ascii_numbers_that_fit_the_database(text: str) -> None:
    assert parse_id(text) == int(text)


@pytest.mark.parametrize(
    "text",
    ["", "-1", "+1", " 1", "1.5", "abc", "²", "1²", "١٢", "１２", "2147483648", "9" * 30],
)
def test_everything_else_is_none(text: str) -> None:
    # "²", Arabic-Indic and full-width digits pass str.isdigit (and int() rejects "²");
    # beyond 2**31 - 1 PostgreSQL refuses the query on an INTEGER id column.
    assert parse_id(text) is None


def test_a_quarter_with_superscript_digits_is_not_a_period() -> None:
    assert parse_period("²⁰²⁶Q4") is None
    assert parse_period("2026q4") == "2026Q4"
