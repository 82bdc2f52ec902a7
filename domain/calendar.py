"""Working days for a unit and expected days for an employee.

A day is a *working day* for the unit unless it is a Saturday or Sunday, an Indonesian national
holiday or cuti bersama (collective leave), or a local override says otherwise.  Working time
itself is Monday-Friday (Perpres 21/2023); see /work/shared/domain.md.

Sources, in order of precedence:

1. Local overrides (:class:`CalendarOverride`), loaded by the caller from the database.  The
   cuti bersama list is decreed yearly and sometimes changed after the ``holidays`` package was
   released, and the city may declare local holidays, so the office must be able to correct the
   library both ways: ``"holiday"`` closes a day, ``"workday"`` opens one (even a weekend).
2. The ``holidays`` package, country ``"ID"``, categories ``public`` (national holidays) and
   ``government`` (cuti bersama, which is only in that category).
3. Saturday and Sunday.

An *expected day* for an employee is a working day on which they are not on leave
(:class:`Leave`: cuti, sakit, izin, dinas luar, tugas belajar).

Nothing here reads the clock or the database; the library tables are built lazily, once per
(year, language), on first use.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, partial
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

import holidays
from babel.dates import format_date as _babel_date

__all__ = [
    "LEAVE_KINDS",
    "CalendarOverride",
    "Leave",
    "OverrideKind",
    "WorkCalendar",
    "leave_on",
]

OverrideKind = Literal["holiday", "workday"]

#: Leave kinds stored in the database: annual/other leave, sick, permission, official travel
#: (the employee works, but not at the office, so no daily log is expected), study assignment.
LEAVE_KINDS: Final = ("cuti", "sakit", "izin", "dinas_luar", "tugas_belajar")

# Cuti bersama is only in "government"; "public" alone would open those days.
_HOLIDAY_CATEGORIES: Final = ("public", "government")

# Bot language -> the ``holidays`` package's language code for Indonesia (it has "en_US", not
# "en").  Babel takes the bot language as is.
_LIBRARY_LANGUAGES: Final[Mapping[str, str]] = MappingProxyType({"id": "id", "en": "en_US"})

_SATURDAY: Final = 5  # date.weekday(): Monday is 0


@dataclass(frozen=True, slots=True)
class CalendarOverride:
    """A local correction to the national calendar for one day."""

    day: date
    kind: OverrideKind
    name: str

    def __post_init__(self) -> None:
        if self.kind not in ("holiday", "workday"):
            raise ValueError(f"unknown override kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Leave:
    """An employee's absence, ``start`` to ``end`` inclusive."""

    start: date
    end: date
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in LEAVE_KINDS:
            raise ValueError(f"unknown leave kind {self.kind!r}; expected one of {LEAVE_KINDS}")
        if self.end < self.start:
            raise ValueError(f"leave ends ({self.end}) before it starts ({self.start})")

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def leave_on(day: date, leaves: Iterable[Leave]) -> Leave | None:
    """The first leave in ``leaves`` that covers ``day``, or None."""
    return next((leave for leave in leaves if leave.covers(day)), None)


def _normalise_language(language: str) -> str:
    # Accept "en", "en_US", "en-GB", "ID" alike: only the primary subtag picks a table.
    primary = language.replace("-", "_").split("_", 1)[0].lower()
    if primary not in _LIBRARY_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of id, en")
    return primary


@cache
def _indonesia() -> Callable[..., holidays.HolidayBase]:
    """The ``holidays`` package's Indonesia, loaded on its own.

    ``holidays.country_holidays("ID")``, like any import under ``holidays.countries``, first runs
    that package's ``__init__``, which imports all its ~250 countries: about 8 MB and 250 modules
    in every process (its first scheduler tick) for the one table Sigap reads. The Indonesia
    module imports none of its siblings, so it is loaded from its file alone, under its own name
    (a later import of ``holidays.countries`` finds it there and keeps the same class). A release
    that keeps it elsewhere gets the package's own way.
    """
    name = "holidays.countries.indonesia"
    module = sys.modules.get(name)
    if module is None:
        path = Path(holidays.__file__).parent / "countries" / "indonesia.py"
        spec = importlib.util.spec_from_file_location(name, path)
        if not path.is_file() or spec is None or spec.loader is None:
            return partial(holidays.country_holidays, "ID")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    indonesia: Callable[..., holidays.HolidayBase] = module.Indonesia
    return indonesia


@cache
def _library_holidays(year: int, language: str) -> Mapping[date, str]:
    """National holidays and cuti bersama of one year, in one language.

    Cached per (year, language): building a year's table computes Islamic and lunar dates,
    which is far slower than a dictionary lookup, and a calendar is asked about the same
    year over and over.  The package joins several names on one day with "; ".
    """
    table = _indonesia()(
        years=year,
        categories=_HOLIDAY_CATEGORIES,
        language=_LIBRARY_LANGUAGES[language],
    )
    return MappingProxyType(dict(table.items()))


class WorkCalendar:
    """Answers "is this a working day" for one unit, given its local overrides."""

    def __init__(self, overrides: Iterable[CalendarOverride] = ()) -> None:
        by_day: dict[date, CalendarOverride] = {}
        for override in overrides:
            earlier = by_day.get(override.day)
            # Two rows saying opposite things about one day is a data error; picking one
            # would silently open or close an office day.
            if earlier is not None and earlier.kind != override.kind:
                raise ValueError(
                    f"conflicting overrides for {override.day}: {earlier.kind} and {override.kind}"
                )
            by_day[override.day] = override
        self._overrides: Mapping[date, CalendarOverride] = MappingProxyType(by_day)

    @property
    def overrides(self) -> Mapping[date, CalendarOverride]:
        return self._overrides

    def is_working_day(self, day: date) -> bool:
        """Unit level: the office is open on ``day``."""
        override = self._overrides.get(day)
        if override is not None:
            return override.kind == "workday"
        if day.weekday() >= _SATURDAY:
            return False
        return day not in _library_holidays(day.year, "id")

    def day_off_reason(self, day: date, language: str = "id") -> str | None:
        """Why the office is closed on ``day``, or None if it is a working day.

        A holiday's name wins over "Sabtu"/"Minggu" when both apply (17 August on a Sunday is
        shown as Independence Day), because that is the more informative answer.
        """
        lang = _normalise_language(language)
        override = self._overrides.get(day)
        if override is not None:
            return None if override.kind == "workday" else override.name
        name = _library_holidays(day.year, lang).get(day)
        if name is not None:
            return name
        if day.weekday() >= _SATURDAY:
            # Babel's CLDR names rather than a hand-made table, like domain.dates.
            return _babel_date(day, "EEEE", locale=lang)
        return None

    def is_expected_day(self, day: date, leaves: Iterable[Leave] = ()) -> bool:
        """Employee level: a working day on which the employee is not on leave."""
        return self.is_working_day(day) and leave_on(day, leaves) is None

    def working_days(self, start: date, end: date, *, leaves: Iterable[Leave] = ()) -> list[date]:
        """Working days from ``start`` to ``end`` inclusive (empty if ``end < start``).

        With ``leaves``, only the employee's expected days.
        """
        leave_list = tuple(leaves)  # iterated once per day, so it cannot be a one-shot iterator
        days: list[date] = []
        day = start
        while day <= end:
            if self.is_working_day(day) and leave_on(day, leave_list) is None:
                days.append(day)
            day += timedelta(days=1)
        return days

    def last_working_days(self, before: date, n: int) -> list[date]:
        """The ``n`` working days before ``before`` (not counting it), newest first: "the last
        ten working days" of a routine, and "yesterday" (``[0]``) on a Monday is Friday."""
        days: list[date] = []
        day = before
        # Long holidays (Lebaran and its cuti bersama) stay well within a few weeks per day.
        for _ in range(max(n, 1) * 7 + 30):
            if len(days) == n:
                break
            day -= timedelta(days=1)
            if self.is_working_day(day):
                days.append(day)
        return days

    def count_working_days(self, start: date, end: date, *, leaves: Iterable[Leave] = ()) -> int:
        """Working days in ``(start, end]``: ``start`` itself is not counted.

        Half-open so that it is the inverse of :meth:`add_working_days`:
        ``count_working_days(d, add_working_days(d, n)) == n``.  A report last touched on
        Friday and looked at on the following Wednesday has been silent for 3 working days
        (Mon, Tue, Wed).  Zero when ``end <= start``.
        """
        if end <= start:
            return 0
        return len(self.working_days(start + timedelta(days=1), end, leaves=leaves))

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself not counted).

        A complaint verified on Friday with "3 working days" is due on the following
        Wednesday.  ``n == 0`` returns ``start`` unchanged, working day or not.
        """
        if n < 0:
            raise ValueError("n must be zero or positive")
        day = start
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day
