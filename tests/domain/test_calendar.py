"""Working days: weekends, the `holidays` package's 2026/2027 Indonesian data, overrides, leave.

Holiday dates asserted here were read from the installed `holidays` data (0.109) for "ID" with
categories public + government, not from memory; if a future release moves one (the
government revises cuti bersama), these tests say so.
"""

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from domain.calendar import LEAVE_KINDS, CalendarOverride, Leave, WorkCalendar, leave_on

CAL = WorkCalendar()


# --- national holidays and cuti bersama (library data) ----------------------------------------


@pytest.mark.parametrize(
    ("day", "name_id", "name_en"),
    [
        (date(2026, 1, 1), "Tahun Baru Masehi", "New Year's Day"),
        (date(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia", "Independence Day"),
        (date(2026, 12, 25), "Hari Raya Natal", "Christmas Day"),
        (date(2026, 3, 19), "Hari Suci Nyepi", "Day of Silence"),
        # Cuti bersama: only in the "government" category.
        (date(2026, 12, 24), "Cuti Bersama Hari Raya Natal", "Christmas Joint Holiday"),
        (date(2026, 3, 20), "Cuti Bersama Hari Raya Idul Fitri", "Eid al-Fitr Joint Holiday"),
        (date(2026, 3, 23), "Cuti Bersama Hari Raya Idul Fitri", "Eid al-Fitr Joint Holiday"),
        (date(2026, 3, 24), "Cuti Bersama Hari Raya Idul Fitri", "Eid al-Fitr Joint Holiday"),
        (date(2026, 2, 16), "Cuti Bersama Tahun Baru Imlek", "Lunar New Year Joint Holiday"),
    ],
)
def test_2026_holidays_are_not_working_days(day: date, name_id: str, name_en: str) -> None:
    assert day.weekday() < 5, "chosen to fall on weekdays, so only the holiday closes them"
    assert not CAL.is_working_day(day)
    assert CAL.day_off_reason(day) == name_id
    assert CAL.day_off_reason(day, "en") == name_en


def test_idul_fitri_2026_falls_on_a_weekend_and_is_named_over_the_weekday() -> None:
    assert CAL.day_off_reason(date(2026, 3, 21)) == "Hari Raya Idul Fitri"
    assert CAL.day_off_reason(date(2026, 3, 22)) == "Hari kedua dari Hari Raya Idul Fitri"
    assert CAL.day_off_reason(date(2026, 3, 21), "en") == "Eid al-Fitr"
    assert not CAL.is_working_day(date(2026, 3, 21))
    assert not CAL.is_working_day(date(2026, 3, 22))


def test_normal_tuesday_is_a_working_day() -> None:
    tuesday = date(2026, 11, 24)
    assert tuesday.weekday() == 1
    assert CAL.is_working_day(tuesday)
    assert CAL.day_off_reason(tuesday) is None
    assert CAL.is_expected_day(tuesday)


@pytest.mark.parametrize(
    ("day", "name_id", "name_en"),
    [
        (date(2026, 11, 28), "Sabtu", "Saturday"),
        (date(2026, 11, 29), "Minggu", "Sunday"),
    ],
)
def test_weekends(day: date, name_id: str, name_en: str) -> None:
    assert not CAL.is_working_day(day)
    assert CAL.day_off_reason(day) == name_id
    assert CAL.day_off_reason(day, "en") == name_en
    assert CAL.day_off_reason(day, "en_US") == name_en  # region suffixes are tolerated


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        CAL.day_off_reason(date(2026, 11, 28), "fr")


def test_holidays_on_weekends_do_not_double_count() -> None:
    # Mon 16 .. Fri 27 March 2026: Wed 18 cuti bersama, Thu 19 Nyepi, Fri 20 cuti bersama,
    # Sat 21 / Sun 22 Idul Fitri (weekend anyway), Mon 23 / Tue 24 cuti bersama.
    assert CAL.working_days(date(2026, 3, 16), date(2026, 3, 27)) == [
        date(2026, 3, 16),
        date(2026, 3, 17),
        date(2026, 3, 25),
        date(2026, 3, 26),
        date(2026, 3, 27),
    ]
    # 25 May .. 5 June 2026: 10 weekdays minus Idul Adha (Wed 27), its cuti bersama (Thu 28)
    # and Pancasila day (Mon 1 June); Waisak on Sun 31 May costs nothing extra.
    assert CAL.count_working_days(date(2026, 5, 24), date(2026, 6, 5)) == 7


def test_whole_year_2026_count() -> None:
    weekdays = sum(
        1 for offset in range(365) if (date(2026, 1, 1) + timedelta(days=offset)).weekday() < 5
    )
    # The library lists 25 days for 2026; 4 fall on weekends (Idul Fitri Sat 21 + Sun 22 March,
    # Easter Sun 5 April, Waisak Sun 31 May), so 21 weekdays are closed.
    assert weekdays == 261
    assert len(CAL.working_days(date(2026, 1, 1), date(2026, 12, 31))) == 261 - 21


# --- local overrides ------------------------------------------------------------------------


def test_holiday_override_closes_a_working_day() -> None:
    anniversary = date(2026, 7, 1)  # Wednesday; Hari Jadi Kota Medan, a local holiday
    assert CAL.is_working_day(anniversary)
    cal = WorkCalendar([CalendarOverride(anniversary, "holiday", "Hari Jadi Kota Medan")])
    assert not cal.is_working_day(anniversary)
    assert cal.day_off_reason(anniversary) == "Hari Jadi Kota Medan"
    assert cal.day_off_reason(anniversary, "en") == "Hari Jadi Kota Medan"


def test_workday_override_opens_a_library_holiday_and_a_weekend() -> None:
    revoked = date(2026, 12, 24)  # cuti bersama in the library
    saturday = date(2026, 11, 28)
    cal = WorkCalendar(
        [
            CalendarOverride(revoked, "workday", "Cuti bersama dibatalkan"),
            CalendarOverride(saturday, "workday", "Hari kerja pengganti"),
        ]
    )
    for day in (revoked, saturday):
        assert cal.is_working_day(day)
        assert cal.day_off_reason(day) is None
    assert cal.add_working_days(date(2026, 12, 23), 1) == revoked
    assert cal.working_days(date(2026, 11, 27), date(2026, 11, 30)) == [
        date(2026, 11, 27),
        saturday,
        date(2026, 11, 30),
    ]


def test_holiday_override_on_a_library_holiday_uses_the_local_name() -> None:
    cal = WorkCalendar([CalendarOverride(date(2026, 8, 17), "holiday", "HUT RI ke-81")])
    assert cal.day_off_reason(date(2026, 8, 17)) == "HUT RI ke-81"


def test_conflicting_overrides_are_refused() -> None:
    day = date(2026, 7, 1)
    with pytest.raises(ValueError, match="conflicting overrides"):
        WorkCalendar([CalendarOverride(day, "holiday", "a"), CalendarOverride(day, "workday", "b")])


def test_override_kind_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown override kind"):
        CalendarOverride(date(2026, 7, 1), "libur", "x")  # type: ignore[arg-type]


# --- leave ----------------------------------------------------------------------------------


def test_leave_kinds() -> None:
    assert LEAVE_KINDS == ("cuti", "sakit", "izin", "dinas_luar", "tugas_belajar")


def test_leave_range_is_inclusive() -> None:
    leave = Leave(date(2026, 11, 23), date(2026, 11, 25), "cuti")
    assert leave_on(date(2026, 11, 22), [leave]) is None
    for day in (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)):
        assert leave_on(day, [leave]) is leave
        assert CAL.is_working_day(day)  # the office is open...
        assert not CAL.is_expected_day(day, [leave])  # ...but this employee is away
    assert leave_on(date(2026, 11, 26), [leave]) is None
    assert CAL.is_expected_day(date(2026, 11, 26), [leave])


def test_one_day_leave_and_first_matching_leave() -> None:
    sick = Leave(date(2026, 11, 24), date(2026, 11, 24), "sakit")
    travel = Leave(date(2026, 11, 20), date(2026, 11, 27), "dinas_luar")
    assert leave_on(date(2026, 11, 24), [sick, travel]) is sick
    assert leave_on(date(2026, 11, 26), [sick, travel]) is travel


def test_weekend_is_not_expected_without_leave() -> None:
    assert not CAL.is_expected_day(date(2026, 11, 28))


def test_working_days_with_leave_accepts_a_generator() -> None:
    leaves = (x for x in [Leave(date(2026, 11, 24), date(2026, 11, 25), "izin")])
    assert CAL.working_days(date(2026, 11, 23), date(2026, 11, 27), leaves=leaves) == [
        date(2026, 11, 23),
        date(2026, 11, 26),
        date(2026, 11, 27),
    ]


def test_count_with_leave() -> None:
    study = [Leave(date(2026, 11, 23), date(2026, 11, 24), "tugas_belajar")]
    assert CAL.count_working_days(date(2026, 11, 20), date(2026, 11, 25), leaves=study) == 1


@pytest.mark.parametrize(
    ("start", "end", "kind", "message"),
    [
        (date(2026, 11, 25), date(2026, 11, 24), "cuti", "before it starts"),
        (date(2026, 11, 24), date(2026, 11, 24), "libur", "unknown leave kind"),
    ],
)
def test_bad_leave_is_refused(start: date, end: date, kind: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Leave(start, end, kind)


# --- ranges, counting, adding, across the year boundary -------------------------------------


def test_working_days_across_new_year() -> None:
    # 1 Jan 2027 (Fri) New Year, 2-3 Jan weekend, 5 Jan 2027 (Tue) Isra Mikraj in the library.
    assert CAL.day_off_reason(date(2027, 1, 5)) == "Isra Mikraj Nabi Muhammad"
    assert CAL.working_days(date(2026, 12, 28), date(2027, 1, 5)) == [
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 4),
    ]


def test_add_working_days_across_new_year() -> None:
    start = date(2026, 12, 30)
    assert CAL.add_working_days(start, 1) == date(2026, 12, 31)
    assert CAL.add_working_days(start, 2) == date(2027, 1, 4)
    assert CAL.add_working_days(start, 3) == date(2027, 1, 6)


def test_add_working_days_complaint_deadline() -> None:
    # Verified on Friday: "3 working days" ends on Wednesday.
    assert CAL.add_working_days(date(2026, 11, 20), 3) == date(2026, 11, 25)
    # Starting on a weekend: the first working day after it is Monday.
    assert CAL.add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)
    # Over Lebaran 2026: 17 March + 1 skips eight closed days.
    assert CAL.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)


def test_add_zero_and_negative() -> None:
    saturday = date(2026, 11, 28)
    assert CAL.add_working_days(saturday, 0) == saturday
    with pytest.raises(ValueError):
        CAL.add_working_days(saturday, -1)


def test_count_working_days_is_half_open() -> None:
    friday, wednesday = date(2026, 11, 20), date(2026, 11, 25)
    assert CAL.count_working_days(friday, wednesday) == 3  # Mon, Tue, Wed; not Friday itself
    assert CAL.count_working_days(friday, friday) == 0
    assert CAL.count_working_days(wednesday, friday) == 0
    assert CAL.count_working_days(date(2026, 12, 30), date(2027, 1, 6)) == 3
    # "10 working days after selesai" (resolved on Friday 4 Dec 2026): closes on Friday 18 Dec.
    resolved = date(2026, 12, 4)
    closes = CAL.add_working_days(resolved, 10)
    assert closes == date(2026, 12, 18)
    assert CAL.count_working_days(resolved, closes) == 10


def test_working_days_empty_and_single() -> None:
    assert CAL.working_days(date(2026, 11, 25), date(2026, 11, 24)) == []
    assert CAL.working_days(date(2026, 11, 24), date(2026, 11, 24)) == [date(2026, 11, 24)]
    assert CAL.working_days(date(2026, 11, 28), date(2026, 11, 29)) == []


def test_count_is_the_inverse_of_add_for_every_day_of_2026() -> None:
    cal = WorkCalendar([CalendarOverride(date(2026, 11, 28), "workday", "Pengganti")])
    for offset in range(365):
        start = date(2026, 1, 1) + timedelta(days=offset)
        for n in (1, 3, 5, 10):
            assert cal.count_working_days(start, cal.add_working_days(start, n)) == n


def test_import_builds_no_holiday_table() -> None:
    # Fresh interpreter: importing must not compute any year's holidays.
    code = (
        "import domain.calendar as c; "
        "assert c._library_holidays.cache_info().currsize == 0; "
        "c.WorkCalendar().is_working_day(__import__('datetime').date(2026, 1, 1)); "
        "assert c._library_holidays.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_the_table_loads_indonesia_alone_and_is_the_packages_own() -> None:
    # Fresh interpreter: a year's table imports none of the package's other ~250 countries, and
    # it is what the package's own country_holidays("ID") gives, in both languages.
    code = """
import sys
from datetime import date
import holidays
import domain.calendar as c
tables = {(y, l): dict(c._library_holidays(y, l)) for y in (2026, 2027) for l in ("id", "en")}
assert "holidays.countries" not in sys.modules, "every country was imported"
assert "holidays.countries.malaysia" not in sys.modules
assert tables[(2026, "id")][date(2026, 8, 17)] == "Hari Kemerdekaan Republik Indonesia"
for (year, language), table in tables.items():
    package = holidays.country_holidays(
        "ID", years=year, categories=("public", "government"),
        language={"id": "id", "en": "en_US"}[language],
    )
    assert table == dict(package.items()), (year, language)
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_last_working_days_skip_weekends_and_holidays() -> None:
    calendar = WorkCalendar()
    # Monday 28 December 2026: "yesterday" is Thursday 24th (25th is Christmas; cuti bersama
    # on the 24th would move it further, so the office's override decides).
    days = calendar.last_working_days(date(2026, 12, 28), 3)
    assert days == [d for d in days if calendar.is_working_day(d)]
    assert len(days) == 3 and days == sorted(days, reverse=True)
    assert all(d.weekday() < 5 for d in days) and date(2026, 12, 25) not in days
    assert calendar.last_working_days(date(2026, 11, 24), 1) == [date(2026, 11, 23)]
    assert calendar.last_working_days(date(2026, 11, 23), 1) == [date(2026, 11, 20)]
    assert calendar.last_working_days(date(2026, 11, 24), 0) == []
