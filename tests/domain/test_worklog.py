import time
from datetime import date

import pytest

from domain.worklog import (
    COMMON_UNITS,
    DESCRIPTION_MAX_LENGTH,
    MAX_MINUTES_PER_ENTRY,
    WORKLOG_PROBLEM_CODES,
    ParseProblem,
    QuickLog,
    TimeRange,
    is_late,
    normalize_unit,
    parse_correction,
    parse_day,
    parse_duration,
    parse_quantity,
    parse_quick_log,
    parse_work_date,
    validate_description,
)


def code(result: object) -> str:
    assert isinstance(result, ParseProblem), f"expected a problem, got {result!r}"
    assert result.code in WORKLOG_PROBLEM_CODES
    return result.code


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("30m", 30),
        ("30 menit", 30),
        ("90 menit", 90),
        ("5 mnt", 5),
        ("1j", 60),
        ("1 jam", 60),
        ("2 jam", 120),
        ("2 JAM", 120),
        ("1,5 jam", 90),
        ("1.5 jam", 90),
        ("0,25 jam", 15),
        ("0.75 jam", 45),  # 75 is no minute count, so the dot can only be decimal
        ("1,30 jam", 78),  # a comma is always the decimal mark
        ("1 jam 30 menit", 90),
        ("1j30m", 90),
        ("1j 30m", 90),
        ("1h30m", 90),
        ("1 jam 90 menit", 150),
        ("1:30", 90),
        ("1:30 jam", 90),
        ("00:45", 45),
        ("16:00", 960),
        ("08.00-10.30", 150),
        ("08:00 - 10:30", 150),
        ("08.00–10.30", 150),  # en dash from the phone keyboard
        ("08.00 s/d 10.30 WIB", 150),
        ("08.00 sampai 10.30", 150),
        ("8-10", 120),
        ("8 - 16", 480),
        ("13.00-24.00", 660),
        ("2 hours", 120),
        ("1 hour", 60),
        ("45 min", 45),
        ("45 minutes", 45),
        ("1.5h", 90),
        ("2h", 120),
        ("setengah jam", 30),
        ("sejam", 60),
        ("half an hour", 30),
        ("  2   jam. ", 120),
        # Typed as people type: abbreviations, halves, English.
        ("2 jm", 120),
        ("45 mnit", 45),
        ("15 menit2", 15),
        ("1/2 jam", 30),
        ("1 1/2 jam", 90),
        ("½ jam", 30),
        ("1½ jam", 90),
        ("3/4 jam", 45),
        ("1/4 jam", 15),
        ("stgh jam", 30),
        ("stengah jam", 30),
        ("seperempat jam", 15),
        ("1 setengah jam", 90),
        ("2 jam setengah", 150),
        ("sejam setengah", 90),
        ("1.5 h", 90),
        ("1,5 hrs", 90),
        ("90 mins", 90),
        ("± 2 jam", 120),
        ("kurang lebih 1 jam", 60),
        ("selama 45 menit", 45),
        # Colloquial ranges.
        ("jam 9 sampai jam 11", 120),
        ("dari pukul 13.00 s.d. 15.00", 120),
        ("jam 8-10", 120),
        ("pkl 08.00 sd 10.00", 120),
        ("Pkl. 08.00 - 10.00", 120),
        ("08.00 - 10.30 wib", 150),
        ("08.00 WIB - 10.30 WIB", 150),
        ("14.00 sampai dengan 16.00", 120),
        ("mulai jam 8 hingga jam 12", 240),
        ("jam 1-3 siang", 120),
        ("jam 1 siang - 3", 120),
        ("jam 11-1 siang", 120),
        ("jam 12 - 1 siang", 60),
        ("jam 7 pagi - 3 sore", 480),
        ("jam 10-12 malam", 120),
    ],
)
def test_duration_readable(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "dua jam",
        "2 hari",
        "1,5 jam 30 menit",
        "1,5 menit",
        "1.000 jam",
        "1:75",
        "11/2 jam",  # 5.5 hours, or a slip for 1 1/2?
        "1/2 menit",
        "2 jam lebih",
        "09.00 s.d. selesai",
        "stgh hari",
    ],
)
def test_duration_unreadable(text: str) -> None:
    assert code(parse_duration(text)) == "duration_unreadable"


@pytest.mark.parametrize("text", ["08.75-10.00", "25.00-26.00", "08.00-24.30"])
def test_duration_range_with_impossible_clock_time(text: str) -> None:
    assert code(parse_duration(text)) == "duration_unreadable"


@pytest.mark.parametrize("text", ["1.30", "1.30 jam", "2.45 jam"])
def test_duration_dot_with_two_digits_is_ambiguous(text: str) -> None:
    result = parse_duration(text)
    assert code(result) == "duration_ambiguous"
    assert isinstance(result, ParseProblem)
    if text.startswith("1.30"):
        assert result.params == {
            "text": text,
            "hours": 1,
            "minutes": 30,
            "clock": "1:30",
            "clock_minutes": 90,
            "decimal_minutes": 78,
        }


@pytest.mark.parametrize("text", ["90", "2", "1,5", "1.5"])
def test_duration_number_without_unit(text: str) -> None:
    result = parse_duration(text)
    assert code(result) == "duration_unit_missing"
    assert isinstance(result, ParseProblem) and result.params == {"number": text}


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("0 jam", 0), ("0 menit", 0), ("0:00", 0), ("10.00-10.00", 0), ("24:00-08:00", -960)],
)
def test_duration_zero_or_negative(text: str, minutes: int) -> None:
    assert parse_duration(text) == ParseProblem("duration_zero", {"minutes": minutes})


@pytest.mark.parametrize(
    ("text", "minutes"), [("25 jam", 1500), ("24:00", 1440), ("961 menit", 961)]
)
def test_duration_too_long(text: str, minutes: int) -> None:
    assert parse_duration(text) == ParseProblem(
        "duration_too_long", {"minutes": minutes, "max_minutes": 960, "max_hours": 16}
    )


def test_duration_limit_is_a_parameter() -> None:
    assert MAX_MINUTES_PER_ENTRY == 960
    assert parse_duration("16 jam") == 960
    assert code(parse_duration("3 jam", max_minutes=120)) == "duration_too_long"
    assert parse_duration("20 jam", max_minutes=24 * 60) == 1200


# --- quantities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15", (15, None)),
        ("15 berkas", (15, "berkas")),
        ("3 dokumen", (3, "dokumen")),
        ("3 Dokumen ", (3, "dokumen")),
        ("15berkas", (15, "berkas")),
        ("12 orang dilayani", (12, "orang dilayani")),
        ("12 org", (12, "orang")),
        ("4 KTP", (4, "KTP")),
        ("4 ktp", (4, "KTP")),
        ("2 documents", (2, "dokumen")),
        ("1.000 berkas", (1000, "berkas")),
        ("10.000", (10000, None)),
        ("7 sertifikat tanah", (7, "sertifikat tanah")),  # any unit, lowercased
        ("1.250 lembar", (1250, "lembar")),
        ("15 bks", (15, "berkas")),
        ("15 berkas2", (15, "berkas")),
        ("20 lbr", (20, "lembar")),
        ("30 KTP-el", (30, "KTP")),
        ("3 sets", (3, "set")),
    ],
)
def test_quantity_readable(text: str, expected: tuple[int, str | None]) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text", ["", "berkas", "lima belas", "1,5", "1.5 berkas", "15 " + "x" * 41]
)
def test_quantity_unreadable(text: str) -> None:
    assert code(parse_quantity(text)) == "quantity_unreadable"


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("0 berkas", 0), ("-3", -3)])
def test_quantity_zero(text: str, value: int) -> None:
    assert parse_quantity(text) == ParseProblem("quantity_zero", {"quantity": value})


def test_quantity_too_large() -> None:
    assert parse_quantity("10001") == ParseProblem(
        "quantity_too_large", {"quantity": 10001, "max_quantity": 10000}
    )
    assert parse_quantity("10.001 berkas") == ParseProblem(
        "quantity_too_large", {"quantity": 10001, "max_quantity": 10000}
    )
    assert parse_quantity("50", max_quantity=20) == ParseProblem(
        "quantity_too_large", {"quantity": 50, "max_quantity": 20}
    )


def test_units() -> None:
    assert COMMON_UNITS == ("dokumen", "laporan", "kegiatan", "surat", "berkas", "orang dilayani")
    for unit in COMMON_UNITS:
        assert normalize_unit(unit.upper()) == unit
    assert normalize_unit("  Orang   Dilayani ") == "orang dilayani"
    assert normalize_unit("berkas-berkas") == "berkas"
    assert normalize_unit("Org") == "orang"
    assert normalize_unit("kk") == "KK"
    assert normalize_unit("Reports") == "laporan"
    assert normalize_unit("berkas2") == "berkas"
    assert normalize_unit("e-KTP") == "KTP"
    assert normalize_unit("pddk") == "penduduk"
    assert normalize_unit("sptt2") == "sptt2"  # only known units lose a plural "2"


# --- descriptions ---------------------------------------------------------------------------


def test_description_is_trimmed_and_collapsed() -> None:
    assert (
        validate_description("  Rapat \t koordinasi   kelurahan  ") == "Rapat koordinasi kelurahan"
    )


def test_description_keeps_single_line_breaks_and_drops_control_characters() -> None:
    text = "\n\nRapat:\n  - poin 1  \n\n\n\n- poin 2\x00\n\n"
    assert validate_description(text) == "Rapat:\n- poin 1\n\n- poin 2"


def test_description_keeps_html_and_emoji_verbatim() -> None:
    assert validate_description("<b>rapat</b> & diskusi 👍🏽") == "<b>rapat</b> & diskusi 👍🏽"
    family = "Piket 👨‍👩‍👧"  # zero-width joiners hold the emoji together
    assert validate_description(family) == family


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "🙂🙂", "👍 !!! ...", "—"])
def test_description_empty(text: str) -> None:
    assert validate_description(text) == ParseProblem("description_empty")


def test_description_too_long() -> None:
    assert DESCRIPTION_MAX_LENGTH == 1000
    assert validate_description("a" * 1000) == "a" * 1000
    assert validate_description("a" * 5000) == ParseProblem(
        "description_too_long", {"length": 5000, "limit": 1000}
    )
    assert code(validate_description("abc", max_length=2)) == "description_too_long"


# --- quick logs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Rapat koordinasi kelurahan 2 jam",
            QuickLog("Rapat koordinasi kelurahan", None, None, 120),
        ),
        (
            "Verifikasi 15 berkas KTP 1,5 jam",
            QuickLog("Verifikasi 15 berkas KTP", 15, "berkas", 90),
        ),
        (
            "Melayani 12 warga 08.00-10.30",
            QuickLog("Melayani 12 warga", 12, "warga", 150, TimeRange(480, 630)),
        ),
        (
            "Melayani 12 orang dilayani 1 jam",
            QuickLog("Melayani 12 orang dilayani", 12, "orang dilayani", 60),
        ),
        ("Input 3 KK 45 menit", QuickLog("Input 3 KK", 3, "KK", 45)),
        ("Reviewed 4 reports 2 hours", QuickLog("Reviewed 4 reports", 4, "laporan", 120)),
        ("Lembur, 3 jam", QuickLog("Lembur", None, None, 180)),
        ("Rapat koordinasi - 1j30m", QuickLog("Rapat koordinasi", None, None, 90)),
        ("Rapat koordinasi 2 jam.", QuickLog("Rapat koordinasi.", None, None, 120)),
        ("Rapat koordinasi 2 jam 👍", QuickLog("Rapat koordinasi 👍", None, None, 120)),
        # Clearly marked durations count anywhere.
        ("Rapat selama 2 jam di kantor lurah", QuickLog("Rapat di kantor lurah", None, None, 120)),
        ("Rapat (2 jam) di aula", QuickLog("Rapat di aula", None, None, 120)),
        ("Rapat, durasi: 30 menit, di aula", QuickLog("Rapat, di aula", None, None, 30)),
        (
            "Rapat pukul 08.00-10.30 di aula",
            QuickLog("Rapat di aula", None, None, 150, TimeRange(480, 630)),
        ),
        (
            "Rapat 08.00-10.30 di aula",
            QuickLog("Rapat di aula", None, None, 150, TimeRange(480, 630)),
        ),
        ("Rapat jam 8-10", QuickLog("Rapat", None, None, 120, TimeRange(480, 600))),
        # No duration found: the bot asks.
        ("Rapat koordinasi kelurahan", QuickLog("Rapat koordinasi kelurahan", None, None, None)),
        ("Rapat 2 jam di kantor lurah", QuickLog("Rapat 2 jam di kantor lurah", None, None, None)),
        ("Rapat jam 10:00", QuickLog("Rapat jam 10:00", None, None, None)),  # a time, not a span
        ("Rapat RT 8-10", QuickLog("Rapat RT 8-10", None, None, None)),  # bare range, unmarked
        ("Rapat 8-10 jam", QuickLog("Rapat 8-10 jam", None, None, None)),  # 8 to 10 hours?
        ("Ukur saluran 50 m", QuickLog("Ukur saluran 50 m", None, None, None)),  # metres
        ("Rapat RT 2", QuickLog("Rapat RT 2", None, None, None)),
        ("Dinas 23.11-24.11", QuickLog("Dinas 23.11-24.11", None, None, None)),  # dates
        # Two durations: do not pick one.
        (
            "Rapat 2 jam lalu input data 1 jam",
            QuickLog("Rapat 2 jam lalu input data 1 jam", None, None, None),
        ),
        # Two counted things: do not pick one either.
        (
            "Verifikasi 15 berkas dan 3 surat 1 jam",
            QuickLog("Verifikasi 15 berkas dan 3 surat", None, None, 60),
        ),
        ("<b>rapat</b>", QuickLog("<b>rapat</b>", None, None, None)),
        ("<b>rapat</b> 1 jam", QuickLog("<b>rapat</b>", None, None, 60)),
    ],
)
def test_quick_log(text: str, expected: QuickLog) -> None:
    assert parse_quick_log(text) == expected


@pytest.mark.parametrize("text", ["", "🙂🙂🙂", "...!!!", "2 jam", "(2 jam)", "🙂 2 jam"])
def test_quick_log_without_description(text: str) -> None:
    assert parse_quick_log(text) == ParseProblem("description_empty")


def test_quick_log_too_long() -> None:
    assert parse_quick_log("a" * 5000 + " 2 jam") == ParseProblem(
        "description_too_long", {"length": 5000, "limit": 1000}
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Rapat 0 jam", "duration_zero"),
        ("Rapat 25 jam", "duration_too_long"),
        ("Rapat 24.00-08.00", "duration_zero"),
        ("Rapat 1.30 jam", "duration_ambiguous"),
        ("Rapat 1,5 menit", "duration_unreadable"),
        ("Melayani 0 warga 1 jam", "quantity_zero"),
        ("Memindai 20.000 dokumen 3 jam", "quantity_too_large"),
    ],
)
def test_quick_log_problems(text: str, problem: str) -> None:
    assert code(parse_quick_log(text)) == problem


def test_quick_log_limits_are_parameters() -> None:
    assert code(parse_quick_log("Rapat 3 jam", max_minutes=120)) == "duration_too_long"
    assert code(parse_quick_log("Cek 30 berkas", max_quantity=20)) == "quantity_too_large"
    assert code(parse_quick_log("Rapat panjang", max_length=5)) == "description_too_long"


# --- work dates -----------------------------------------------------------------------------

TODAY = date(2026, 11, 25)  # Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hari ini", TODAY),
        ("Hari Ini", TODAY),
        ("today", TODAY),
        ("kemarin", date(2026, 11, 24)),
        ("kmrn", date(2026, 11, 24)),
        ("yesterday", date(2026, 11, 24)),
        ("kemarin lusa", date(2026, 11, 23)),
        ("2 hari lalu", date(2026, 11, 23)),
        ("2 days ago", date(2026, 11, 23)),
        ("23/11", date(2026, 11, 23)),
        ("23-11", date(2026, 11, 23)),
        ("23.11", date(2026, 11, 23)),
        ("23/11/2026", date(2026, 11, 23)),
        ("23-11-2026", date(2026, 11, 23)),
        ("23/11/26", date(2026, 11, 23)),
        ("2026-11-23", date(2026, 11, 23)),
        ("23 Nov", date(2026, 11, 23)),
        ("23 nov.", date(2026, 11, 23)),
        ("23 November 2026", date(2026, 11, 23)),
        ("23 Nopember 2026", date(2026, 11, 23)),
        ("Nov 23, 2026", date(2026, 11, 23)),
        ("November 23rd", date(2026, 11, 23)),
        ("tgl 23/11", date(2026, 11, 23)),
        ("Senin, 23 November 2026", date(2026, 11, 23)),  # as the bot itself writes dates
        ("Rabu", TODAY),  # the most recent Wednesday not after today is today
        ("Senin", date(2026, 11, 23)),
        ("selasa", date(2026, 11, 24)),
        ("Monday", date(2026, 11, 23)),
        ("rabu lalu", date(2026, 11, 18)),
    ],
)
def test_work_date_readable(text: str, expected: date) -> None:
    assert parse_work_date(text, TODAY, window_days=7) == expected


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("1 Januari", 1),
        ("1 Jan", 1),
        ("1 Februari", 2),
        ("1 Feb", 2),
        ("1 Maret", 3),
        ("1 Mar", 3),
        ("1 April", 4),
        ("1 Apr", 4),
        ("1 Mei", 5),
        ("1 May", 5),
        ("1 Juni", 6),
        ("1 Jun", 6),
        ("1 Juli", 7),
        ("1 Jul", 7),
        ("1 Agustus", 8),
        ("1 Agu", 8),
        ("1 Agt", 8),
        ("1 Ags", 8),
        ("1 Aug", 8),
        ("1 September", 9),
        ("1 Sep", 9),
        ("1 Oktober", 10),
        ("1 Okt", 10),
        ("1 Oct", 10),
        ("1 November", 11),
        ("1 Nov", 11),
        ("1 Desember", 12),
        ("1 Des", 12),
        ("1 Dec", 12),
    ],
)
def test_month_names(text: str, month: int) -> None:
    today = date(2026, month, 2)
    assert parse_work_date(text, today) == date(2026, month, 1)


@pytest.mark.parametrize(
    ("name", "weekday"),
    [
        ("Senin", 0),
        ("Selasa", 1),
        ("Rabu", 2),
        ("Kamis", 3),
        ("Jumat", 4),
        ("Jum'at", 4),
        ("Jum’at", 4),
        ("Sabtu", 5),
        ("Minggu", 6),
        ("Ahad", 6),
        ("Sunday", 6),
    ],
)
def test_weekday_names(name: str, weekday: int) -> None:
    result = parse_work_date(name, TODAY, window_days=6)
    assert isinstance(result, date)
    assert result.weekday() == weekday
    assert 0 <= (TODAY - result).days < 7


@pytest.mark.parametrize("text", ["", "xyz", "23 Foo", "minggu lalu", "32", "tanggal"])
def test_work_date_unreadable(text: str) -> None:
    assert code(parse_work_date(text, TODAY)) == "date_unreadable"


def test_unreadable_echoes_the_typed_text() -> None:
    assert parse_work_date("  Pekan  Lalu ", TODAY) == ParseProblem(
        "date_unreadable", {"text": "Pekan Lalu"}
    )


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("31/02", {"day": 31, "month": 2, "year": None}),
        ("31/02/2026", {"day": 31, "month": 2, "year": 2026}),
        ("29/02/2026", {"day": 29, "month": 2, "year": 2026}),
        ("23/13", {"day": 23, "month": 13, "year": None}),
        ("0/11", {"day": 0, "month": 11, "year": None}),
        ("31 November", {"day": 31, "month": 11, "year": None}),
    ],
)
def test_work_date_invalid(text: str, params: dict[str, object]) -> None:
    assert parse_work_date(text, TODAY) == ParseProblem("date_invalid", params)


def test_leap_day() -> None:
    assert parse_work_date("29/02/2028", date(2028, 3, 1)) == date(2028, 2, 29)
    assert parse_work_date("29/02", date(2028, 3, 1)) == date(2028, 2, 29)
    assert code(parse_work_date("29/02", date(2027, 3, 1))) == "date_invalid"


def test_weekday_mismatch() -> None:
    assert parse_work_date("Selasa, 23 November 2026", TODAY) == ParseProblem(
        "date_weekday_mismatch", {"date": date(2026, 11, 23), "weekday": "selasa"}
    )


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("besok", date(2026, 11, 26)),
        ("tomorrow", date(2026, 11, 26)),
        ("lusa", date(2026, 11, 27)),
        ("26/11", date(2026, 11, 26)),
        ("1 Desember 2026", date(2026, 12, 1)),
        ("25/11/2027", date(2027, 11, 25)),
    ],
)
def test_work_date_in_future(text: str, day: date) -> None:
    assert parse_work_date(text, TODAY) == ParseProblem(
        "date_in_future", {"date": day, "today": TODAY}
    )


def test_work_date_too_old() -> None:
    assert parse_work_date("21/11", TODAY) == ParseProblem(
        "date_too_old",
        {"date": date(2026, 11, 21), "earliest": date(2026, 11, 22), "window_days": 3},
    )
    assert parse_work_date("22/11", TODAY) == date(2026, 11, 22)  # window edge included
    assert code(parse_work_date("kemarin", TODAY, window_days=0)) == "date_too_old"
    assert code(parse_work_date("25/11/2025", TODAY)) == "date_too_old"


def test_work_date_window_across_new_year() -> None:
    today = date(2027, 1, 2)
    assert parse_work_date("31/12", today) == date(2026, 12, 31)
    assert parse_work_date("30 Des", today) == date(2026, 12, 30)
    assert parse_work_date("kemarin", today) == date(2027, 1, 1)
    assert parse_work_date("Kamis", today) == date(2026, 12, 31)
    assert parse_work_date("28/12", today) == ParseProblem(
        "date_too_old",
        {"date": date(2026, 12, 28), "earliest": date(2026, 12, 30), "window_days": 3},
    )
    # ... and the other way: 1 January typed on 31 December is tomorrow, not last year.
    assert code(parse_work_date("1/1", date(2026, 12, 31))) == "date_in_future"


def test_negative_window_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_work_date("hari ini", TODAY, window_days=-1)


def test_is_late() -> None:
    assert is_late(date(2026, 11, 24), TODAY)
    assert not is_late(TODAY, TODAY)


def test_every_problem_code_is_reachable() -> None:
    produced = {
        code(parse_duration("abc")),
        code(parse_duration("90")),
        code(parse_duration("1.30")),
        code(parse_duration("0 jam")),
        code(parse_duration("25 jam")),
        code(parse_quantity("x")),
        code(parse_quantity("0")),
        code(parse_quantity("10001")),
        code(validate_description("🙂")),
        code(validate_description("a" * 1001)),
        code(parse_work_date("xyz", TODAY)),
        code(parse_work_date("31/02", TODAY)),
        code(parse_work_date("Senin, 24 November 2026", TODAY)),
        code(parse_work_date("besok", TODAY)),
        code(parse_work_date("1/11", TODAY)),
        code(
            parse_day(
                "Senin 23/11:\n- Apel 30 menit\nSelasa 24/11:\n- Rapat 1 jam", TODAY
            ).work_date
        ),
        code(parse_correction("15", TODAY, 3)),
        code(parse_correction("rapat", TODAY, 3)),
    }
    assert produced == set(WORKLOG_PROBLEM_CODES)


@pytest.mark.parametrize("digits", [16, 5000])
def test_huge_numbers_do_not_crash(digits: int) -> None:
    number = "9" * digits
    assert code(parse_duration(f"{number} jam")) == "duration_unreadable"
    assert code(parse_quantity(number)) == "quantity_unreadable"
    result = parse_quick_log(f"Melayani {number} warga {number} jam")
    assert isinstance(result, ParseProblem) or result.minutes is None


def test_quick_log_with_long_runs_of_separators_stays_fast() -> None:
    started = time.perf_counter()
    parse_quick_log("Rapat " + "- " * 450 + "2 jam")
    parse_quick_log("-" * 990 + " 1 jam")
    assert time.perf_counter() - started < 1.0
