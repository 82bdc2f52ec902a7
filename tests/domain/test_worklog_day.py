"""A whole working day in one message: lists, headings, wrapped lines and the day's flags."""

from __future__ import annotations

from datetime import date

import pytest

from domain.worklog import (
    WORKLOG_PROBLEM_CODES,
    DayLine,
    DayReading,
    ParseProblem,
    QuickLog,
    TimeRange,
    parse_day,
    parse_quick_log,
)
from tests.domain.test_worklog_lines import LINES, r
from texts import texts

TODAY = date(2026, 11, 25)  # a Wednesday


def readings(day: DayReading) -> list[QuickLog | None]:
    return [line.reading for line in day.lines]


# --- the brief's example and every list style ------------------------------------------------


def test_numbered_and_bulleted_list() -> None:
    day = parse_day(
        "1. Rapat koordinasi 2 jam\n2. Input 40 berkas SIAK 3 jam\n- Apel pagi 30 menit", TODAY
    )
    assert day.lines == (
        DayLine(1, "1. Rapat koordinasi 2 jam", r("Rapat koordinasi", minutes=120)),
        DayLine(
            2,
            "2. Input 40 berkas SIAK 3 jam",
            r("Input 40 berkas SIAK", 40, "berkas", 180),
        ),
        DayLine(3, "- Apel pagi 30 menit", r("Apel pagi", minutes=30)),
    )
    assert day.total_minutes == 330
    assert day.work_date == TODAY
    assert day.is_list and not day.over_24_hours
    assert day.headings == day.overlaps == day.duplicates == ()  # type: ignore[comparison-overlap]
    assert all(line.ready for line in day.lines)


@pytest.mark.parametrize(
    "markers",
    [
        ("1.", "2.", "3."),
        ("1)", "2)", "3)"),
        ("(1)", "(2)", "(3)"),
        ("1️⃣", "2️⃣", "3️⃣"),
        ("a.", "b.", "c."),
        ("a)", "b)", "c)"),
        ("A.", "B.", "C."),
        ("-", "-", "-"),
        ("–", "–", "–"),
        ("—", "—", "—"),
        ("•", "•", "•"),
        ("*", "*", "*"),
        ("·", "·", "·"),
        (">", ">", ">"),
        ("✅", "✅", "✅"),
        ("👉", "👉", "👉"),
        ("✔️", "✔️", "✔️"),
    ],
)
def test_list_styles(markers: tuple[str, str, str]) -> None:
    items = ("Apel pagi 30 mnt", "Pelayanan KTP-el 12 org 2 jam", "Rapat minggon 1,5 jam")
    text = "\n".join(f"{marker} {item}" for marker, item in zip(markers, items, strict=True))
    day = parse_day(text, TODAY)
    assert readings(day) == [
        r("Apel pagi", minutes=30),
        r("Pelayanan KTP-el 12 org", 12, "orang", 120),
        r("Rapat minggon", minutes=90),
    ]
    assert [line.text for line in day.lines] == text.split("\n")


def test_markers_without_a_space() -> None:
    day = parse_day("1.Apel pagi 30 mnt\n2.Rapat 2 jam\n-Input data 1 jam", TODAY)
    assert readings(day) == [
        r("Apel pagi", minutes=30),
        r("Rapat", minutes=120),
        r("Input data", minutes=60),
    ]


def test_lines_joined_with_semicolons() -> None:
    day = parse_day("Rapat 2 jam; input data SIAK 1 jam; apel 30 menit", TODAY)
    assert readings(day) == [
        r("Rapat", minutes=120),
        r("input data SIAK", minutes=60),
        r("apel", minutes=30),
    ]
    assert [line.text for line in day.lines] == [
        "Rapat 2 jam",
        "input data SIAK 1 jam",
        "apel 30 menit",
    ]


def test_a_semicolon_inside_one_activity_does_not_split_it() -> None:
    text = "Rapat koordinasi; bahas anggaran kelurahan 2 jam"
    assert readings(parse_day(text, TODAY)) == [
        r("Rapat koordinasi; bahas anggaran kelurahan", minutes=120)
    ]
    in_a_list = parse_day(f"1. {text}\n2. Apel 30 menit", TODAY)
    assert readings(in_a_list) == [
        r("Rapat koordinasi; bahas anggaran kelurahan", minutes=120),
        r("Apel", minutes=30),
    ]


def test_unmarked_lines_each_with_a_duration() -> None:
    day = parse_day("Apel pagi 30 menit\n\nRapat 2 jam\ninput data 1 jam", TODAY)
    assert readings(day) == [
        r("Apel pagi", minutes=30),
        r("Rapat", minutes=120),
        r("input data", minutes=60),
    ]


def test_lines_that_start_with_the_time() -> None:
    day = parse_day("08.00-10.00 Pelayanan KTP\n10.00-12.00 Rapat koordinasi", TODAY)
    assert readings(day) == [
        r("Pelayanan KTP", minutes=120, span=("08.00", "10.00")),
        r("Rapat koordinasi", minutes=120, span=("10.00", "12.00")),
    ]
    assert day.overlaps == ()  # 10.00 is where one ends and the other begins


def test_numbered_list_without_durations_asks_for_each() -> None:
    day = parse_day("1. Apel pagi\n2. Pelayanan KTP\n3. Rapat", TODAY)
    assert readings(day) == [r("Apel pagi"), r("Pelayanan KTP"), r("Rapat")]
    assert all(line.needs_duration and not line.ready for line in day.lines)
    assert day.total_minutes == 0


# --- headings, greetings and the day they name ------------------------------------------------


def test_heading_is_not_an_activity() -> None:
    day = parse_day("Kegiatan hari ini:\n1. Apel 30 menit\n2. Rapat 2 jam", TODAY)
    assert day.headings == ("Kegiatan hari ini:",)
    assert readings(day) == [r("Apel", minutes=30), r("Rapat", minutes=120)]
    assert day.work_date == TODAY


def test_greetings_and_thanks_around_the_list() -> None:
    text = (
        "Assalamualaikum, selamat pagi Pak.\n"
        "Izin melaporkan kegiatan hari ini:\n"
        "- Apel pagi 30 mnt\n"
        "- Input data DTKS 50 KK 3 jam\n"
        "Terima kasih 🙏"
    )
    day = parse_day(text, TODAY)
    assert day.headings == (
        "Assalamualaikum, selamat pagi Pak.",
        "Izin melaporkan kegiatan hari ini:",
        "Terima kasih 🙏",
    )
    assert readings(day) == [
        r("Apel pagi", minutes=30),
        r("Input data DTKS 50 KK", 50, "KK", 180),
    ]


@pytest.mark.parametrize(
    ("heading", "day"),
    [
        ("Laporan kegiatan Senin, 23 November 2026", date(2026, 11, 23)),
        ("Kegiatan kemarin:", date(2026, 11, 24)),
        ("Lapkin tgl 24/11", date(2026, 11, 24)),
        ("Selasa", date(2026, 11, 24)),
        ("Hari/Tanggal: Senin, 23 November 2026", date(2026, 11, 23)),
        ("Tanggal: 24-11-2026", date(2026, 11, 24)),
        ("Kegiatan hari ini", TODAY),
        ("Daily report", TODAY),
    ],
)
def test_a_heading_may_name_the_day(heading: str, day: date) -> None:
    reading = parse_day(f"{heading}\n• Apel 30 menit\n• Rapat 2 jam", TODAY)
    assert reading.work_date == day
    assert reading.headings == (heading,)
    assert len(reading.lines) == 2


def test_report_header_fields() -> None:
    text = (
        "Nama: Siti Rahmah\n"
        "NIP: 198609262015052001\n"
        "Jabatan: Pengadministrasi Kependudukan\n"
        "Unit kerja: Kelurahan Belawan I\n"
        "Hari/Tgl: Selasa, 24 November 2026\n"
        "\n"
        "1. Apel pagi 30 menit\n"
        "2. Entri 25 KK ke SIAK 2 jam"
    )
    day = parse_day(text, TODAY)
    assert len(day.headings) == 5
    assert day.work_date == date(2026, 11, 24)
    assert readings(day) == [
        r("Apel pagi", minutes=30),
        r("Entri 25 KK ke SIAK", 25, "KK", 120),
    ]


def test_a_named_day_outside_the_window_is_a_problem() -> None:
    day = parse_day("Kegiatan Senin 16/11:\n- Apel 30 menit\n- Rapat 1 jam", TODAY)
    assert isinstance(day.work_date, ParseProblem)
    assert day.work_date.code == "date_too_old"
    assert len(day.lines) == 2  # the lines are still read
    wider = parse_day(
        "Kegiatan Senin 16/11:\n- Apel 30 menit\n- Rapat 1 jam", TODAY, window_days=10
    )
    assert wider.work_date == date(2026, 11, 16)


def test_two_named_days_are_asked_about() -> None:
    day = parse_day("Senin 23/11:\n- Apel 30 menit\nSelasa 24/11:\n- Rapat 1 jam", TODAY)
    assert day.work_date == ParseProblem(
        "day_dates_differ", {"first": date(2026, 11, 23), "second": date(2026, 11, 24)}
    )


def test_a_heading_with_an_impossible_date() -> None:
    day = parse_day("Kegiatan tgl 31/11:\n- Apel 30 menit\n- Rapat 1 jam", TODAY)
    assert isinstance(day.work_date, ParseProblem) and day.work_date.code == "date_invalid"


def test_section_headings_between_items() -> None:
    text = "Pagi:\n- Apel 30 menit\n- Pelayanan KTP 2 jam\nSiang:\n- Rapat musrenbang 2 jam"
    day = parse_day(text, TODAY)
    assert day.headings == ("Pagi:", "Siang:")
    assert [r.description for r in readings(day) if r] == [
        "Apel",
        "Pelayanan KTP",
        "Rapat musrenbang",
    ]


def test_rulers_are_not_activities() -> None:
    day = parse_day("Kegiatan:\n-----\n1. Apel 30 menit\n2. Rapat 1 jam\n=====", TODAY)
    assert day.headings == ("Kegiatan:", "-----", "=====")
    assert len(day.lines) == 2


def test_only_headings_is_read_as_one_activity() -> None:
    text = "Kegiatan hari ini:\nTerima kasih"
    day = parse_day(text, TODAY)
    assert readings(day) == [parse_quick_log(text)]


# --- one activity over several lines ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Rapat koordinasi\n2 jam",
        "Rapat koordinasi\n\n2 jam",
        "Rapat koordinasi persiapan musrenbang\ndi aula kantor camat\n2 jam",
        "Rapat koordinasi\n1.5 jam",  # "1.5" does not open a list item
        "Rapat koordinasi\n(2 jam)",
        "Rapat koordinasi\njam 9 sampai jam 11",
        # A colon line over points without durations: one activity and its points.
        "Rapat koordinasi:\n- bahas anggaran\n- bahas musrenbang\n2 jam",
        # Unnumbered lines with at most one duration are one activity, as before.
        "Apel pagi\nPelayanan KTP\nRapat",
        "Rapat koordinasi 2 jam\nPeserta: lurah, sekcam, LPM\nHasil: 12 usulan",
    ],
)
def test_one_activity_over_several_lines(text: str) -> None:
    day = parse_day(text, TODAY)
    assert not day.is_list
    assert readings(day) == [parse_quick_log(text)]
    assert day.lines[0].text == text


def test_a_wrapped_description_joins_its_line() -> None:
    text = "Rapat koordinasi persiapan musrenbang tingkat\nkecamatan 2 jam\nInput data SIAK 1 jam"
    day = parse_day(text, TODAY)
    assert readings(day) == [
        r("Rapat koordinasi persiapan musrenbang tingkat kecamatan", minutes=120),
        r("Input data SIAK", minutes=60),
    ]
    assert day.lines[0].text == "Rapat koordinasi persiapan musrenbang tingkat\nkecamatan 2 jam"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        # A joining word opens the line.
        (
            "Rapat koordinasi\ndgn lurah dan kepling 2 jam\nApel 30 menit",
            "Rapat koordinasi dgn lurah dan kepling",
        ),
        # The line above ends unfinished.
        (
            "Rapat koordinasi dengan\nLurah dan kepling 2 jam\nApel 30 menit",
            "Rapat koordinasi dengan Lurah dan kepling",
        ),
        ("Rapat dgn lurah,\nsekcam 2 jam\nApel 30 menit", "Rapat dgn lurah, sekcam"),
        # A bracket goes on with the line above.
        (
            "Rapat koordinasi\n(bersama Babinsa) 2 jam\nApel 30 menit",
            "Rapat koordinasi (bersama Babinsa)",
        ),
        # Under a list marker, unmarked lines belong to the item until it has a duration.
        (
            "1. Rapat koordinasi persiapan\nMusrenbang kelurahan 2 jam\n2. Apel 30 menit",
            "Rapat koordinasi persiapan Musrenbang kelurahan",
        ),
        # A duration on its own line after a blank line still belongs to the line above.
        ("Rapat koordinasi\n\n2 jam\nApel 30 menit", "Rapat koordinasi"),
    ],
)
def test_continuation_lines(text: str, first: str) -> None:
    day = parse_day(text, TODAY)
    assert readings(day) == [r(first, minutes=120), r("Apel", minutes=30)]


def test_an_unfinished_line_wins_over_heading_words() -> None:
    # "Lurah" alone could be a greeting's last word; after "dengan" it is who the meeting was with.
    day = parse_day("Rapat koordinasi dengan\nLurah\n2 jam\nApel 30 menit", TODAY)
    assert readings(day) == [r("Rapat koordinasi dengan Lurah", minutes=120), r("Apel", minutes=30)]
    assert day.headings == ()


def test_a_numbered_duration_alone_belongs_to_the_item_above() -> None:
    day = parse_day("1. Apel pagi\n2. 30 menit\n3. Rapat 2 jam", TODAY)
    assert readings(day) == [r("Apel pagi", minutes=30), r("Rapat", minutes=120)]
    assert [line.number for line in day.lines] == [1, 2]


def test_people_who_never_capitalise_give_no_wrap_signal() -> None:
    day = parse_day("apel pagi\nrapat 2 jam\ninput data 1 jam", TODAY)
    assert readings(day) == [r("apel pagi"), r("rapat", minutes=120), r("input data", minutes=60)]
    assert [line.needs_duration for line in day.lines] == [True, False, False]


def test_a_line_with_its_own_duration_never_continues() -> None:
    day = parse_day("1. Rapat 2 jam\nbersama lurah 1 jam", TODAY)
    assert readings(day) == [r("Rapat", minutes=120), r("bersama lurah", minutes=60)]


def test_a_duration_alone_after_a_timed_line_is_asked_about() -> None:
    day = parse_day("Rapat 2 jam\nApel 30 menit\n15 menit", TODAY)
    assert [line.problems for line in day.lines][2] == (ParseProblem("description_empty"),)
    assert day.lines[2].reading is None and not day.lines[2].needs_duration


# --- the day's flags --------------------------------------------------------------------------


def test_overlapping_time_ranges() -> None:
    day = parse_day(
        "1. Pelayanan KTP 08.00-11.00\n"
        "2. Rapat musrenbang jam 10 sampai jam 12\n"
        "3. Input data 13.00-15.00\n"
        "4. Zoom dgn Dukcapil pkl 14.00 sd 14.30",
        TODAY,
    )
    assert day.overlaps == ((1, 2), (3, 4))
    assert day.total_minutes == 180 + 120 + 120 + 30


def test_over_24_hours() -> None:
    day = parse_day("1. Lembur input data 16 jam\n2. Rapat 8 jam\n3. Apel 30 menit", TODAY)
    assert day.total_minutes == 1470
    assert day.over_24_hours
    exactly = parse_day("1. Lembur 16 jam\n2. Rapat 8 jam", TODAY)
    assert exactly.total_minutes == 1440 and not exactly.over_24_hours


def test_duplicates() -> None:
    day = parse_day(
        "1. Apel pagi 30 menit\n"
        "2. Rapat 2 jam\n"
        "3. apel pagi 30 mnt\n"
        "4. Pelayanan KTP 08.00-10.00\n"
        "5. Pelayanan KTP 13.00-15.00\n"
        "6. Rapat 1 jam",
        TODAY,
    )
    # Different times of day are two sessions; a different duration is still worth a look.
    assert day.duplicates == ((1, 3), (2, 6))


def test_mixed_good_and_bad_lines() -> None:
    day = parse_day(
        "1. Apel 30 menit\n2. Rapat 25 jam\n3. 🙏\n4. Input data\n5. Rapat 1.30 jam\n"
        "6. Input 20.000 data 2 jam",
        TODAY,
    )
    assert [line.number for line in day.lines] == [1, 2, 3, 4, 5, 6]
    assert [line.ready for line in day.lines] == [True, False, False, False, False, False]
    assert [[p.code for p in line.problems] for line in day.lines] == [
        [],
        ["duration_too_long"],
        ["description_empty"],
        [],
        ["duration_ambiguous"],
        ["quantity_too_large"],
    ]
    assert readings(day) == [
        r("Apel", minutes=30),
        r("Rapat"),  # the duration is left out and asked about
        None,
        r("Input data"),
        r("Rapat"),
        r("Input 20.000 data", minutes=120),  # the duration stands, the quantity is asked about
    ]
    assert [line.needs_duration for line in day.lines] == [False, True, False, True, True, False]
    assert day.total_minutes == 150


def test_a_five_activity_day_pasted_from_notes() -> None:
    text = (
        "Selamat sore Pak Lurah, izin lapor kegiatan hari ini\n"
        "\n"
        "1. Apel pagi di kantor camat 07.30-08.00\n"
        "2. Pelayanan KTP-el & KK di loket,\n"
        "   15 pemohon, jam 8 sampai jam 11\n"
        "3. Rapat persiapan musrenbang dgn LPM dan kepling 11.00 - 12.30 wib\n"
        "4. Input data DTKS 1.250 data ke aplikasi SIKS-NG 2 jm\n"
        "5. Antar 12 undangan posyandu ke kepling stgh jam\n"
        "\n"
        "Trims 🙏"
    )
    day = parse_day(text, TODAY)
    assert day.headings == ("Selamat sore Pak Lurah, izin lapor kegiatan hari ini", "Trims 🙏")
    assert readings(day) == [
        r("Apel pagi di kantor camat", minutes=30, span=("07.30", "08.00")),
        r("Pelayanan KTP-el & KK di loket, 15 pemohon", 15, "pemohon", 180, ("08.00", "11.00")),
        r("Rapat persiapan musrenbang dgn LPM dan kepling", minutes=90, span=("11.00", "12.30")),
        r("Input data DTKS 1.250 data ke aplikasi SIKS-NG", 1250, "data", 120),
        r("Antar 12 undangan posyandu ke kepling", 12, "undangan", 30),
    ]
    assert (
        day.lines[1].text == "2. Pelayanan KTP-el & KK di loket,\n15 pemohon, jam 8 sampai jam 11"
    )
    assert day.total_minutes == 450
    assert day.overlaps == day.duplicates == ()
    assert day.work_date == TODAY
    assert all(line.ready for line in day.lines)


# --- single lines stay what they were ---------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), LINES, ids=[text for text, _ in LINES])
def test_a_single_line_reads_as_a_quick_log(text: str, expected: object) -> None:
    day = parse_day(text, TODAY)
    single = parse_quick_log(text)
    assert len(day.lines) == 1 and day.lines[0].text == text
    if isinstance(single, ParseProblem):
        assert day.lines[0].problems[0] == single
    else:
        assert day.lines[0].reading == single and day.lines[0].problems == ()


def test_empty_message() -> None:
    day = parse_day("", TODAY)
    assert day.lines == (DayLine(1, "", None, (ParseProblem("description_empty"),)),)


def test_limits_are_parameters() -> None:
    day = parse_day(
        "1. Rapat 3 jam\n2. Cek 30 berkas 1 jam", TODAY, max_minutes=120, max_quantity=20
    )
    assert [[p.code for p in line.problems] for line in day.lines] == [
        ["duration_too_long"],
        ["quantity_too_large"],
    ]
    with pytest.raises(ValueError):
        parse_day("Rapat 1 jam", TODAY, window_days=-1)


def test_time_range_overlap_rule() -> None:
    assert TimeRange(480, 600).overlaps(TimeRange(540, 660))
    assert not TimeRange(480, 600).overlaps(TimeRange(600, 660))
    assert TimeRange(480, 720).overlaps(TimeRange(540, 600))
    assert TimeRange(480, 630).minutes == 150


def test_long_messages_are_read_line_by_line() -> None:
    # As long as Telegram allows (4096 characters); a regular expression that backtracks
    # badly would hang here.
    durations = parse_day("- 1 jam\n" * 500, TODAY)
    assert all(line.problems == (ParseProblem("description_empty"),) for line in durations.lines)
    assert len(durations.lines) == 500
    semicolons = parse_day("Rapat " + "; 1 jam" * 580, TODAY)
    assert len(semicolons.lines) == 580  # the first "1 jam" is how long "Rapat" took
    assert semicolons.lines[0].text == "Rapat; 1 jam"
    many = "\n".join(f"{n}. Rapat dgn lurah, pkl 08.00 sd 09.00 ({n} berkas)" for n in range(1, 80))
    day = parse_day(many, TODAY)
    assert len(day.lines) == 79 and len(day.overlaps) == 79 * 78 // 2


def test_every_worklog_problem_has_a_text() -> None:
    for language in ("id", "en"):
        for problem in WORKLOG_PROBLEM_CODES:
            assert texts(language).has(f"worklog.{problem}"), (language, problem)
