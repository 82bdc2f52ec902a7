"""The answer a reader gives when it cannot read a text: a code plus parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

#: Every ParseProblem.code this module returns, for catalogue completeness checks.
WORKLOG_PROBLEM_CODES: Final = (
    "duration_unreadable",
    "duration_unit_missing",
    "duration_ambiguous",
    "duration_zero",
    "duration_too_long",
    "quantity_unreadable",
    "quantity_zero",
    "quantity_too_large",
    "description_empty",
    "description_too_long",
    "date_unreadable",
    "date_invalid",
    "date_weekday_mismatch",
    "date_in_future",
    "date_too_old",
    "day_dates_differ",
    "correction_number_alone",
    "correction_unreadable",
)


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """Why a text could not be read; ``params`` fill the catalogue's message template."""

    code: str
    params: dict[str, object] = field(default_factory=dict)
