"""Periodic performance assessment (PermenPANRB 6/2022): quarters and the predikat kinerja.

Every quarter ("Triwulan I–IV") the supervisor rates two things about each direct report:
*hasil kerja* (work results, judged on the SKP realisation) and *perilaku kerja* (behaviour, the
BerAKHLAK values), each as below, meeting or above expectations. The predikat follows from the two
ratings by the matrix of the regulation (rows hasil kerja, columns perilaku kerja)::

    hasil \\ perilaku     di bawah             sesuai            di atas
    di atas ekspektasi   Kurang/Misconduct    Baik              Sangat Baik
    sesuai ekspektasi    Kurang/Misconduct    Baik              Baik
    di bawah ekspektasi  Sangat Kurang        Butuh Perbaikan   Butuh Perbaikan
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Final


class Rating(StrEnum):
    """Against the expectations agreed in the SKP."""

    BELOW = "di_bawah"
    MEETS = "sesuai"
    ABOVE = "di_atas"


class Predikat(StrEnum):
    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"  # shown as "Kurang/Misconduct"
    SANGAT_KURANG = "sangat_kurang"


_MATRIX: Final[dict[tuple[Rating, Rating], Predikat]] = {
    (Rating.ABOVE, Rating.BELOW): Predikat.KURANG,
    (Rating.ABOVE, Rating.MEETS): Predikat.BAIK,
    (Rating.ABOVE, Rating.ABOVE): Predikat.SANGAT_BAIK,
    (Rating.MEETS, Rating.BELOW): Predikat.KURANG,
    (Rating.MEETS, Rating.MEETS): Predikat.BAIK,
    (Rating.MEETS, Rating.ABOVE): Predikat.BAIK,
    (Rating.BELOW, Rating.BELOW): Predikat.SANGAT_KURANG,
    (Rating.BELOW, Rating.MEETS): Predikat.BUTUH_PERBAIKAN,
    (Rating.BELOW, Rating.ABOVE): Predikat.BUTUH_PERBAIKAN,
}


def predikat(hasil_kerja: Rating, perilaku_kerja: Rating) -> Predikat:
    """The predikat kinerja for a hasil kerja rating (row) and a perilaku kerja rating (column)."""
    return _MATRIX[(Rating(hasil_kerja), Rating(perilaku_kerja))]


QUARTERS: Final = (1, 2, 3, 4)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter."""
    if quarter not in QUARTERS:
        raise ValueError(f"quarter must be 1..4, not {quarter}")
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, following - timedelta(days=1)


def last_finished_quarter(today: date) -> tuple[int, int]:
    """(year, quarter) of the latest quarter that has ended; in January–March that is the
    previous year's fourth."""
    current = quarter_of(today)
    return (today.year - 1, 4) if current == 1 else (today.year, current - 1)


def selectable_quarters(today: date) -> list[tuple[int, int]]:
    """The quarters a supervisor can assess today, the default (last finished) first: the
    quarters of this year up to the current one, and in the first quarter also the previous
    year's fourth (assessed in January)."""
    default = last_finished_quarter(today)
    rest = [(today.year, q) for q in range(1, quarter_of(today) + 1)]
    return [default] + [yq for yq in reversed(rest) if yq != default]
