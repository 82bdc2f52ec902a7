"""A correction typed as a reply to a saved entry: "2 jam", "kemarin", "15 berkas".

One field at a time, read in this order: a day (``kemarin``, ``Senin``, ``23/11``), a
duration (``2 jam``, ``08.00-10.00``), a count with its unit (``15 berkas``). A number alone
(``15``: minutes, hours or files?) is asked about, never guessed; so is anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.worklog.durations import parse_duration
from domain.worklog.problems import ParseProblem
from domain.worklog.quantities import parse_quantity
from domain.worklog.workdates import parse_work_date

_NOT_A_DAY = "date_unreadable"
_NOT_A_DURATION = "duration_unreadable"


@dataclass(frozen=True, slots=True)
class Correction:
    """``field`` is ``work_date``, ``minutes`` or ``quantity`` (then with ``unit``)."""

    field: str
    value: date | int
    unit: str | None = None


def parse_correction(text: str, today: date, window_days: int) -> Correction | ParseProblem:
    text = text.strip()
    day = parse_work_date(text, today, window_days)
    if isinstance(day, date):
        return Correction("work_date", day)
    if day.code != _NOT_A_DAY:  # a day, but one that cannot be used (too old, not yet)
        return day
    minutes = parse_duration(text)
    if isinstance(minutes, int):
        return Correction("minutes", minutes)
    if minutes.code != _NOT_A_DURATION and minutes.code != "duration_unit_missing":
        return minutes  # "1.30 jam": a duration, read two ways
    quantity = parse_quantity(text)
    if not isinstance(quantity, ParseProblem) and quantity[1] is not None:
        return Correction("quantity", quantity[0], quantity[1])
    if not isinstance(quantity, ParseProblem) or minutes.code == "duration_unit_missing":
        return ParseProblem("correction_number_alone", {"number": text})
    if quantity.code not in {"quantity_unreadable"}:
        return quantity  # "0 berkas", "99999 berkas"
    return ParseProblem("correction_unreadable", {"text": text})
