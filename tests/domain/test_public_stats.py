"""The public page's figures and the small-number rule (``domain.public_stats``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from domain.public_stats import ComplaintFacts, Share, month_figures, months_back, shown_count

WIB = ZoneInfo("Asia/Jakarta")


def test_small_counts_are_not_published_as_such() -> None:
    assert [shown_count(n) for n in (0, 1, 4, 5, 123)] == ["0", "< 5", "< 5", "5", "123"]
    assert Share(4, 4).percent is None  # 100 % of four says too much
    assert Share(2, 3).percent is None
    assert Share(2, 3).counted == 3
    assert Share(5, 6).percent == Decimal("83")
    assert Share(1, 8).percent == Decimal("13")  # 12.5 rounds half up


def test_months_back_across_the_year() -> None:
    assert months_back(date(2026, 2, 10), 4) == ["2026-02", "2026-01", "2025-12", "2025-11"]


def _facts(filed: datetime, **fields: Any) -> ComplaintFacts:
    base = ComplaintFacts(
        created_at=filed,
        kind="pengaduan",
        category_id=1,
        status="baru",
        outcome=None,
        verification_due=date(2026, 12, 4),
        verified_at=None,
        follow_up_due=None,
        resolved_at=None,
        closed_at=None,
        reopened=False,
    )
    return replace(base, **fields)


def test_the_month_is_the_office_s_and_open_complaints_are_not_yet_counted() -> None:
    # 30 November 20:00 UTC is 1 December 03:00 WIB: a December complaint.
    late_evening = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    rows = [
        _facts(late_evening),  # due 4 December, today the 2nd: not counted yet
        _facts(late_evening, verified_at=datetime(2026, 12, 1, 3, tzinfo=UTC),
               follow_up_due=date(2026, 12, 8), status="diproses"),
        # Solved but never verified (cannot happen through the bot): no answer counted.
        _facts(late_evening, status="selesai", resolved_at=datetime(2026, 12, 2, tzinfo=UTC)),
    ]  # fmt: skip
    december, november = month_figures(rows, ["2026-12", "2026-11"], date(2026, 12, 2), WIB)
    assert (december.received, november.received) == (3, 0)
    assert (december.verified.on_time, december.verified.counted) == (1, 1)
    assert december.answered.counted == 0 and december.days_to_answer == []
    assert december.median_days is None
