"""SKM (Survei Kepuasan Masyarakat, PermenPANRB 14/2017): the nine elements (unsur), the
survey periods, and the IKM (Indeks Kepuasan Masyarakat) of a unit.

Every respondent answers each of the nine elements with 1..4 (1 the worst, 4 the best). For a
unit and period:

- NRR (nilai rata-rata) of an element = the mean of its answers;
- the index (nilai interval, 1..4) = the mean of the nine NRR. The regulation writes this as a
  weighted sum with the equal weight 1/9 per element ("NRR tertimbang"); printed guides round
  that weight to 0.111, which would make a perfect score 99.9: we use the exact 1/9, as the
  formula in the domain notes says;
- IKM = index × 25 (25..100).

Everything is computed with exact fractions and rounded once, at the end, to two decimals (half
up); the grade is read from the rounded IKM with the regulation's intervals:
A Sangat Baik 88.31–100, B Baik 76.61–88.30, C Kurang Baik 65.00–76.60, D Tidak Baik 25.00–64.99.

Periods are calendar quarters ("2026Q4"): a respondent answers once per unit, service and
quarter, and the IKM is reported per quarter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

from domain.ids import parse_id

#: The nine elements in the order of the regulation's model questionnaire.
ELEMENTS: Final = (
    "persyaratan",
    "prosedur",
    "waktu",
    "biaya",
    "produk",
    "kompetensi",
    "perilaku",
    "sarana",
    "pengaduan",
)
SCORES: Final = (1, 2, 3, 4)

#: Respondent profile fields the regulation's questionnaire asks (each optional here).
PROFILE_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "age": ("u24", "25_34", "35_44", "45_54", "55"),
    "sex": ("l", "p"),
    "education": ("sd", "smp", "sma", "diploma", "s1", "s2"),
    "occupation": ("pns", "tni_polri", "swasta", "wirausaha", "pelajar", "lainnya"),
}

#: (grade, lowest rounded IKM of the grade), best first.
GRADES: Final = (
    ("A", Decimal("88.31")),
    ("B", Decimal("76.61")),
    ("C", Decimal("65.00")),
    ("D", Decimal("25.00")),
)
GRADE_LABELS: Final = {"A": "Sangat Baik", "B": "Baik", "C": "Kurang Baik", "D": "Tidak Baik"}

_CENT = Decimal("0.01")


class InvalidAnswers(ValueError):
    """A response that is not nine scores of 1..4."""


def validate_answers(answers: Sequence[int]) -> tuple[int, ...]:
    if len(answers) != len(ELEMENTS) or any(a not in SCORES for a in answers):
        raise InvalidAnswers(f"nine answers of 1..4 expected, got {list(answers)!r}")
    return tuple(answers)


def round_half_up(value: Fraction, places: str = "0.01") -> Decimal:
    """Round an exact fraction once, half up (Decimal of the exact quotient first)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def grade_of(ikm: Decimal) -> str:
    """The grade letter of a (rounded) IKM between 25 and 100."""
    for letter, lowest in GRADES:
        if ikm >= lowest:
            return letter
    return "D"


@dataclass(frozen=True)
class SkmResult:
    """A unit's survey result for one period."""

    respondents: int
    element_means: tuple[Fraction, ...]  # NRR per element, exact
    index: Fraction  # mean of the NRR, 1..4, exact
    ikm_exact: Fraction  # index × 25

    @property
    def ikm(self) -> Decimal:
        return round_half_up(self.ikm_exact)

    @property
    def grade(self) -> str:
        return grade_of(self.ikm)

    @property
    def label(self) -> str:
        return GRADE_LABELS[self.grade]

    @property
    def index_rounded(self) -> Decimal:
        return round_half_up(self.index, "0.0001")

    def element_mean(self, position: int, places: str = "0.01") -> Decimal:
        return round_half_up(self.element_means[position], places)


def compute(responses: Iterable[Sequence[int]]) -> SkmResult | None:
    """The SKM result of these responses (each nine scores), or None when there are none."""
    totals = [0] * len(ELEMENTS)
    count = 0
    for response in responses:
        for position, score in enumerate(validate_answers(response)):
            totals[position] += score
        count += 1
    if count == 0:
        return None
    means = tuple(Fraction(total, count) for total in totals)
    index = sum(means, Fraction(0)) / len(ELEMENTS)
    return SkmResult(count, means, index, index * 25)


# --- periods --------------------------------------------------------------------------------


def period_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def parse_period(text: str) -> str | None:
    """ "2026Q4" (also "2026-q4", "2026 Q4") → "2026Q4"; None if it is not a quarter."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    year = parse_id(cleaned[:4])
    if len(cleaned) != 6 or cleaned[4] != "Q" or year is None:
        return None
    if cleaned[5] not in "1234" or not 2000 <= year <= 2100:
        return None
    return cleaned


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a quarter."""
    year, quarter = int(period[:4]), int(period[5])
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, after - timedelta(days=1)


def previous_periods(period: str, count: int) -> list[str]:
    """``count`` quarters ending with ``period``, oldest first."""
    year, quarter = int(period[:4]), int(period[5])
    result = []
    for _ in range(count):
        result.append(f"{year}Q{quarter}")
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
    return result[::-1]


def normalise_service(text: str) -> str:
    """A typed service name as the key of "once per service": case and spacing ignored."""
    return " ".join(text.split()).casefold()
