"""SKM arithmetic against hand-worked examples (PermenPANRB 14/2017, /work/shared/domain.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from domain.skm import (
    InvalidAnswers,
    compute,
    grade_of,
    normalise_service,
    parse_period,
    period_bounds,
    period_of,
    previous_periods,
)


def _responses(count: int, total: int) -> list[list[int]]:
    """``count`` responses whose 9 × count answers add up to ``total`` (each 1..4)."""
    assert 9 * count <= total <= 36 * count
    flat = [1] * (9 * count)
    extra = total - 9 * count
    for position in range(len(flat)):
        step = min(3, extra)
        flat[position] += step
        extra -= step
    return [flat[i * 9 : i * 9 + 9] for i in range(count)]


def test_four_respondents_by_hand() -> None:
    # element sums 14 14 11 16 13 14 15 13 11 over 4 respondents:
    # NRR 3.5 3.5 2.75 4 3.25 3.5 3.75 3.25 2.75 → sum 30.25 → index 30.25 / 9 = 3.36111…
    # IKM = 3.36111… × 25 = 84.02777… → 84.03, B Baik
    result = compute(
        [
            [4, 4, 3, 4, 3, 4, 4, 3, 3],
            [3, 3, 3, 4, 3, 3, 4, 3, 2],
            [4, 3, 2, 4, 3, 4, 3, 3, 3],
            [3, 4, 3, 4, 4, 3, 4, 4, 3],
        ]
    )
    assert result is not None
    assert result.respondents == 4
    assert [float(m) for m in result.element_means] == [
        3.5, 3.5, 2.75, 4.0, 3.25, 3.5, 3.75, 3.25, 2.75,
    ]  # fmt: skip
    assert result.index == Fraction(121, 36)
    assert result.index_rounded == Decimal("3.3611")
    assert result.ikm_exact == Fraction(3025, 36)
    assert result.ikm == Decimal("84.03")
    assert (result.grade, result.label) == ("B", "Baik")


def test_rounding_happens_only_at_the_end() -> None:
    # Every NRR is 10/3. Rounding each to 3.33 first would give 3.33 × 25 = 83.25;
    # the exact IKM is 250/3 = 83.333… → 83.33.
    result = compute([[4] * 9, [3] * 9, [3] * 9])
    assert result is not None
    assert result.element_mean(0) == Decimal("3.33")
    assert result.ikm == Decimal("83.33")


def test_extremes() -> None:
    best, worst = compute([[4] * 9]), compute([[1] * 9, [1] * 9])
    assert best is not None and worst is not None
    assert (best.ikm, best.grade, best.label) == (Decimal("100.00"), "A", "Sangat Baik")
    assert (worst.ikm, worst.grade, worst.label) == (Decimal("25.00"), "D", "Tidak Baik")
    assert compute([]) is None


@pytest.mark.parametrize(
    ("count", "total", "ikm", "grade"),
    [
        # IKM = total × 25 / (9 × count), rounded half up to two decimals at the end
        (24, 763, "88.31", "A"),  # 19075 / 216 = 88.3101…
        (19, 604, "88.30", "B"),  # 15100 / 171 = 88.3040…
        (19, 524, "76.61", "B"),  # 13100 / 171 = 76.6081… (truncating would say C)
        (26, 717, "76.60", "C"),  # 17925 / 234 = 76.6025…
        (5, 117, "65.00", "C"),  # 2925 / 45 = 65 exactly
        (38, 889, "64.99", "D"),  # 22225 / 342 = 64.9853…
    ],
)
def test_grade_boundaries_from_answers(count: int, total: int, ikm: str, grade: str) -> None:
    result = compute(_responses(count, total))
    assert result is not None
    assert result.ikm_exact == Fraction(total * 25, 9 * count)
    assert (str(result.ikm), result.grade) == (ikm, grade)


@pytest.mark.parametrize(
    ("ikm", "grade"),
    [
        ("100", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"),
        ("65.00", "C"), ("64.99", "D"), ("25.00", "D"),
    ],
)  # fmt: skip
def test_grade_of_each_boundary(ikm: str, grade: str) -> None:
    assert grade_of(Decimal(ikm)) == grade


@pytest.mark.parametrize("bad", [[4] * 8, [4] * 10, [0] + [4] * 8, [5] + [4] * 8])
def test_answers_must_be_nine_scores(bad: list[int]) -> None:
    with pytest.raises(InvalidAnswers):
        compute([bad])


def test_periods() -> None:
    assert period_of(date(2026, 11, 24)) == "2026Q4"
    assert period_of(date(2026, 3, 31)) == "2026Q1"
    assert period_of(date(2026, 4, 1)) == "2026Q2"
    assert period_bounds("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_bounds("2024Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert period_bounds("2026Q2") == (date(2026, 4, 1), date(2026, 6, 30))
    assert previous_periods("2026Q2", 5) == ["2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert parse_period("2026q4") == "2026Q4"
    assert parse_period("2026-Q1") == "2026Q1"
    assert parse_period("2026Q5") is None
    assert parse_period("Q4") is None


def test_typed_services_compare_without_case_and_spacing() -> None:
    assert normalise_service("  Surat   Keterangan Domisili ") == normalise_service(
        "surat keterangan domisili"
    )


def test_who_sees_a_units_results() -> None:
    from domain.access import Actor, survey_results_refusal

    def actor(roles: set[str], unit_id: int | None = 7, **kw: object) -> Actor:
        return Actor(1, "id", employee_id=5, unit_id=unit_id, roles=frozenset(roles), **kw)  # type: ignore[arg-type]

    assert survey_results_refusal(actor({"employee", "supervisor"}), 7) is None
    assert survey_results_refusal(actor({"employee", "supervisor"}), 8) is not None
    assert survey_results_refusal(actor({"employee", "admin"}), 8) is None
    assert survey_results_refusal(actor({"employee", "complaint_handler"}), 7) is not None
    assert survey_results_refusal(actor({"employee"}), 7) is not None
    citizen = Actor(2, "id")
    assert survey_results_refusal(citizen, 7) is not None
    operator = Actor(3, "id", is_operator=True)
    assert survey_results_refusal(operator, 7) is None
