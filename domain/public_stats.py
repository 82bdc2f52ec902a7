"""The figures of the public page (``/publik``): complaints per month and the rule that keeps
small counts from pointing at a person. Pure: the rows come from ``models.public_stats``.

Complaints are counted by the month they were filed (in the office's time zone), so a month's
row is the story of the complaints filed in it, and its figures settle as those complaints are
handled:

- *verified within the deadline*: of the month's complaints whose verification is decided
  (verified, or rejected before verification) or overdue (still unverified after its
  ``verification_due``), the share decided on or before that day;
- *answered within the deadline*: of the month's verified complaints that the unit answered
  (marked solved, or closed without a fix) or that are overdue (still unanswered after their
  ``follow_up_due``), the share answered on or before that day. A complaint reopened by its
  reporter counts with its latest answer and the deadline the reopening set;
- *median days to answer*: calendar days from filing to that answer;
- *reopened*: the month's complaints their reporters reopened at least once.

Small numbers (``MIN_SHOWN``): a count of 1 to 4 is published as "< 5", and a share or a median
is published only when it rests on at least five complaints: a share of three complaints
answered late, or a median of one, says too much about the few people behind it. Zero is shown:
it identifies no one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Final
from zoneinfo import ZoneInfo

from domain.complaints import Kind, Outcome, Status

MIN_SHOWN: Final = 5
SMALL: Final = "< 5"

_ANSWERED_STATUSES: Final = frozenset({Status.SELESAI.value, Status.DITUTUP.value})


def shown_count(count: int) -> str:
    """A count as it may be published: "0", "< 5" for 1..4, else the number."""
    return SMALL if 0 < count < MIN_SHOWN else str(count)


def month_key(moment: datetime, zone: ZoneInfo) -> str:
    """``2026-11``: the month a moment falls in, in the office's time zone."""
    return f"{moment.astimezone(zone):%Y-%m}"


def months_back(today: date, count: int) -> list[str]:
    """``count`` month keys ending with ``today``'s, newest first."""
    last = today.year * 12 + today.month - 1  # months since year 0, January = 0
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(last, last - count, -1)]


@dataclass(frozen=True)
class ComplaintFacts:
    """What the public figures need of one complaint, and nothing that says who or what."""

    created_at: datetime
    kind: str
    category_id: int
    status: str
    outcome: str | None
    verification_due: date
    verified_at: datetime | None
    follow_up_due: date | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened: bool

    def decided_at(self) -> datetime | None:
        """When verification was decided: verified, or rejected without it."""
        if self.verified_at is not None:
            return self.verified_at
        if self.outcome == Outcome.REJECTED.value:
            return self.closed_at
        return None

    def answered_at(self) -> datetime | None:
        """The unit's latest answer to a verified complaint, if it stands."""
        if self.verified_at is None or self.status not in _ANSWERED_STATUSES:
            return None
        if self.outcome == Outcome.UNRESOLVED.value:
            return self.closed_at
        return self.resolved_at


@dataclass(frozen=True)
class Share:
    """``on_time`` of ``counted`` complaints; published only from ``MIN_SHOWN`` up."""

    on_time: int = 0
    counted: int = 0

    @property
    def percent(self) -> Decimal | None:
        if self.counted < MIN_SHOWN:
            return None
        exact = Decimal(self.on_time * 100) / Decimal(self.counted)
        return exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


@dataclass
class MonthFigures:
    month: str  # "2026-11"
    received: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_category: Counter[int] = field(default_factory=Counter)
    verified: Share = Share()
    answered: Share = Share()
    days_to_answer: list[float] = field(default_factory=list)
    reopened: int = 0

    @property
    def median_days(self) -> Decimal | None:
        if len(self.days_to_answer) < MIN_SHOWN:
            return None
        value = Decimal(str(median(self.days_to_answer)))
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


KINDS: Final = tuple(kind.value for kind in Kind)


def _on_time(done: datetime | None, due: date | None, today: date, zone: ZoneInfo) -> bool | None:
    """True/False once it counts (done, or overdue while not done); None while still open."""
    if due is None:
        return None
    if done is not None:
        return done.astimezone(zone).date() <= due
    return False if today > due else None


def month_figures(
    rows: list[ComplaintFacts], months: list[str], today: date, zone: ZoneInfo
) -> list[MonthFigures]:
    """The figures of each of ``months`` (keys as ``months_back`` gives them), in that order."""
    figures = {key: MonthFigures(key) for key in months}
    counts: dict[str, list[int]] = {key: [0, 0, 0, 0] for key in months}
    for row in rows:
        key = month_key(row.created_at, zone)
        month = figures.get(key)
        if month is None:
            continue
        month.received += 1
        month.by_kind[row.kind] += 1
        month.by_category[row.category_id] += 1
        month.reopened += row.reopened
        tally = counts[key]
        verified = _on_time(row.decided_at(), row.verification_due, today, zone)
        if verified is not None:
            tally[0] += verified
            tally[1] += 1
        answer = row.answered_at()
        if row.verified_at is not None:
            answered = _on_time(answer, row.follow_up_due, today, zone)
            if answered is not None:
                tally[2] += answered
                tally[3] += 1
        if answer is not None:
            month.days_to_answer.append((answer - row.created_at).total_seconds() / 86400)
    for key, month in figures.items():
        tally = counts[key]
        month.verified = Share(tally[0], tally[1])
        month.answered = Share(tally[2], tally[3])
    return [figures[key] for key in months]
