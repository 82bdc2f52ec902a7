"""Reading what employees type about their daily work: durations, quantities, dates, activities.

People type on a phone, mostly in Indonesian, sometimes in English.  Every parser returns either
a value or a :class:`ParseProblem` (a code plus parameters); it never guesses.  Where a text has
two sensible readings the answer is a problem code asking for a clearer form, not a pick.
Turning codes into sentences is the job of the per-language text catalogues.

Durations (:func:`parse_duration`)
    ``30m``, ``30 menit``, ``1j``, ``2 jam``, ``1,5 jam``, ``1.5h``, ``1 jam 30 menit``,
    ``1j30m``, ``1:30``, ``2 hours``, ``45 min``, ``setengah jam``, ``sejam``, and time ranges
    ``08.00-10.30``, ``08:00 - 10:30``, ``8-10``, ``08.00 s/d 10.30 WIB`` (end minus start).

    ``h:mm`` with a colon is hours and minutes.  ``h.mm`` with a dot and two digits below 60
    after it (``1.30``, ``1.30 jam``) is ambiguous in Indonesia, where the dot is how clock
    times are written (``08.30``) and people also write ``1.30 jam`` for "an hour and a half",
    while English readers see 1.3 hours: it is reported as ``duration_ambiguous``.  A comma is
    always the decimal mark (``1,30 jam`` = 78 minutes), as is a dot with one digit (``1.5 jam``).
    A number without a unit (``90``) is ``duration_unit_missing``: minutes or hours?

Quick logs (:func:`parse_quick_log`)
    ``Verifikasi 15 berkas KTP 1,5 jam`` → description ``Verifikasi 15 berkas KTP``,
    quantity 15 ``berkas``, 90 minutes.  A duration counts only at the end of the text or when
    clearly marked (``selama 2 jam``, ``durasi: 2 jam``, ``(2 jam)``, ``pukul 08.00-10.30``,
    or any range written with minutes, ``08.00-10.30``).  If the text holds more than one
    duration-looking phrase, or none that counts, ``minutes`` is None and the bot asks.
"""

from __future__ import annotations

from domain.worklog.durations import MAX_MINUTES_PER_ENTRY, parse_duration
from domain.worklog.problems import WORKLOG_PROBLEM_CODES, ParseProblem
from domain.worklog.quantities import (
    COMMON_UNITS,
    COUNT_NOUNS,
    MAX_QUANTITY,
    UNIT_MAX_LENGTH,
    normalize_unit,
    parse_quantity,
)
from domain.worklog.quicklog import QuickLog, parse_quick_log
from domain.worklog.text import DESCRIPTION_MAX_LENGTH, validate_description
from domain.worklog.workdates import DEFAULT_DATE_WINDOW_DAYS, is_late, parse_date, parse_work_date

__all__ = [
    "COMMON_UNITS",
    "COUNT_NOUNS",
    "DEFAULT_DATE_WINDOW_DAYS",
    "DESCRIPTION_MAX_LENGTH",
    "MAX_MINUTES_PER_ENTRY",
    "MAX_QUANTITY",
    "UNIT_MAX_LENGTH",
    "WORKLOG_PROBLEM_CODES",
    "ParseProblem",
    "QuickLog",
    "is_late",
    "normalize_unit",
    "parse_date",
    "parse_duration",
    "parse_quantity",
    "parse_quick_log",
    "parse_work_date",
    "validate_description",
]
