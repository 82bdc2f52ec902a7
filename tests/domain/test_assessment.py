"""The predikat matrix (PermenPANRB 6/2022, /work/shared/domain.md) and quarter arithmetic."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from domain.assessment import (
    Predikat,
    Rating,
    last_finished_quarter,
    predikat,
    quarter_bounds,
    quarter_of,
    selectable_quarters,
)

B, S, A = Rating.BELOW, Rating.MEETS, Rating.ABOVE

# Written out cell by cell from the table in domain.md: rows hasil kerja, columns perilaku kerja.
CELLS = [
    (A, B, Predikat.KURANG),
    (A, S, Predikat.BAIK),
    (A, A, Predikat.SANGAT_BAIK),
    (S, B, Predikat.KURANG),
    (S, S, Predikat.BAIK),
    (S, A, Predikat.BAIK),
    (B, B, Predikat.SANGAT_KURANG),
    (B, S, Predikat.BUTUH_PERBAIKAN),
    (B, A, Predikat.BUTUH_PERBAIKAN),
]


@pytest.mark.parametrize(("hasil", "perilaku", "expected"), CELLS)
def test_every_cell_of_the_matrix(hasil: Rating, perilaku: Rating, expected: Predikat) -> None:
    assert predikat(hasil, perilaku) is expected


def test_the_cells_cover_every_combination_once() -> None:
    assert sorted((h, p) for h, p, _ in CELLS) == sorted(product(Rating, Rating))


def test_ratings_as_stored_strings() -> None:
    assert predikat("di_atas", "di_atas") is Predikat.SANGAT_BAIK  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        predikat("luar_biasa", "sesuai")  # type: ignore[arg-type]


def test_behaviour_below_expectations_is_never_good() -> None:
    # Whatever the results, poor behaviour (perilaku di bawah) gives Kurang or Sangat Kurang.
    assert {predikat(h, B) for h in Rating} == {Predikat.KURANG, Predikat.SANGAT_KURANG}


def test_quarter_bounds() -> None:
    assert quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_bounds(2026, 2) == (date(2026, 4, 1), date(2026, 6, 30))
    assert quarter_bounds(2026, 3) == (date(2026, 7, 1), date(2026, 9, 30))
    assert quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds(2028, 1) == (date(2028, 1, 1), date(2028, 3, 31))
    with pytest.raises(ValueError):
        quarter_bounds(2026, 5)


def test_quarter_of_and_the_default_quarter() -> None:
    assert [quarter_of(date(2026, m, 15)) for m in range(1, 13)] == [
        1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4,
    ]  # fmt: skip
    assert last_finished_quarter(date(2026, 11, 24)) == (2026, 3)
    assert last_finished_quarter(date(2026, 10, 1)) == (2026, 3)
    assert last_finished_quarter(date(2026, 3, 31)) == (2025, 4)
    assert last_finished_quarter(date(2026, 4, 1)) == (2026, 1)


def test_selectable_quarters_put_the_default_first() -> None:
    assert selectable_quarters(date(2026, 11, 24)) == [(2026, 3), (2026, 4), (2026, 2), (2026, 1)]
    assert selectable_quarters(date(2026, 2, 10)) == [(2025, 4), (2026, 1)]
    assert selectable_quarters(date(2026, 12, 31)) == [(2026, 3), (2026, 4), (2026, 2), (2026, 1)]
