"""Complaint rules without Telegram or SQL: statuses, deadlines, tracking numbers, what
citizens type, duplicates, privacy, categories, and who may act on a ticket."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from domain.access import (
    Actor,
    DeskRefusal,
    Refusal,
    complaint_desk_refusal,
    complaint_owner_refusal,
    may_install_desk,
)
from domain.calendar import CalendarOverride, WorkCalendar
from domain.complaints import (
    DEFAULT_CATEGORIES,
    STAFF_MOVES,
    CategoryRow,
    Deadlines,
    Earlier,
    InvalidMove,
    Move,
    Privacy,
    Problem,
    Status,
    can_reopen,
    clean_text,
    contact_allowed,
    due_dates,
    find_duplicate,
    format_tracking_number,
    identity_shown,
    is_final,
    next_status,
    parse_coordinates,
    parse_tracking_number,
    period_of,
    possible_moves,
    read_categories,
    report_is_public,
    similarity,
    validate_address,
    validate_categories,
    validate_note,
    validate_story,
)

TUESDAY = date(2026, 11, 24)
CALENDAR = WorkCalendar()


# --- statuses ---------------------------------------------------------------------------------


def test_the_usual_path_and_its_outcomes() -> None:
    status = Status.BARU
    for move, expected in [
        (Move.VERIFY, Status.TERVERIFIKASI),
        (Move.ASSIGN, Status.TERVERIFIKASI),
        (Move.PROCESS, Status.DIPROSES),
        (Move.RESOLVE, Status.SELESAI),
        (Move.REOPEN, Status.DIBUKA_KEMBALI),
        (Move.PROCESS, Status.DIPROSES),
        (Move.RESOLVE, Status.SELESAI),
        (Move.CONFIRM, Status.DITUTUP),
    ]:
        status = next_status(status, move)
        assert status is expected, move
    assert is_final(status)


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (Status.BARU, Move.PROCESS),  # verify first
        (Status.BARU, Move.RESOLVE),
        (Status.TERVERIFIKASI, Move.VERIFY),  # a double tap
        (Status.DIPROSES, Move.FORWARD),  # too late to say "not ours"
        (Status.SELESAI, Move.RESOLVE),
        (Status.DIPROSES, Move.CONFIRM),  # only after "selesai"
        (Status.DITUTUP, Move.REOPEN),
        (Status.DITOLAK, Move.VERIFY),
        (Status.DITOLAK, Move.ASSIGN),
    ],
)
def test_moves_that_do_not_apply_are_refused(status: Status, move: Move) -> None:
    with pytest.raises(InvalidMove) as caught:
        next_status(status, move)
    assert (caught.value.move, caught.value.status) == (move, status)


def test_buttons_offered_per_status() -> None:
    assert possible_moves(Status.BARU) == [Move.VERIFY, Move.ASSIGN, Move.FORWARD, Move.REJECT]
    assert possible_moves(Status.DIALIHKAN) == possible_moves(Status.BARU)
    assert possible_moves(Status.TERVERIFIKASI) == [
        Move.PROCESS,
        Move.ASSIGN,
        Move.RESOLVE,
        Move.FORWARD,
        Move.REJECT,
        Move.CLOSE,
    ]
    assert possible_moves(Status.DIPROSES) == [Move.ASSIGN, Move.RESOLVE, Move.CLOSE]
    assert possible_moves(Status.SELESAI) == []  # waiting for the citizen
    for final in (Status.DITUTUP, Status.DITOLAK):
        assert possible_moves(final, Move) == []


def test_resolved_and_closed_without_fix_end_in_the_same_status_but_not_the_same_outcome() -> None:
    from domain.complaints import OUTCOMES, Outcome

    assert next_status(Status.SELESAI, Move.CONFIRM) is next_status(Status.DIPROSES, Move.CLOSE)
    assert OUTCOMES[Move.CONFIRM] is Outcome.RESOLVED
    assert OUTCOMES[Move.CLOSE] is Outcome.UNRESOLVED
    assert OUTCOMES[Move.REJECT] is Outcome.REJECTED
    assert Move.ASSIGN not in OUTCOMES and set(STAFF_MOVES) >= {Move.VERIFY, Move.CLOSE}


# --- deadlines --------------------------------------------------------------------------------


def test_due_dates_count_working_days() -> None:
    deadlines = Deadlines()
    assert due_dates(None, TUESDAY, CALENDAR, deadlines) == {"verification_due": date(2026, 11, 27)}
    friday = date(2026, 11, 27)
    assert due_dates(None, friday, CALENDAR, deadlines)["verification_due"] == date(2026, 12, 2)
    assert due_dates(Move.VERIFY, TUESDAY, CALENDAR, deadlines) == {
        "follow_up_due": date(2026, 12, 1),
        "reopen_until": None,
    }
    assert due_dates(Move.RESOLVE, TUESDAY, CALENDAR, deadlines) == {
        "reopen_until": date(2026, 12, 8)
    }
    assert due_dates(Move.FORWARD, TUESDAY, CALENDAR, deadlines) == {
        "verification_due": date(2026, 11, 27),
        "follow_up_due": None,
    }
    assert due_dates(Move.PROCESS, TUESDAY, CALENDAR, deadlines) == {}


def test_due_dates_skip_local_holidays_and_follow_settings() -> None:
    calendar = WorkCalendar([CalendarOverride(date(2026, 11, 26), "holiday", "Libur daerah")])
    deadlines = Deadlines(verify_days=1, follow_up_days=2, reopen_days=3)
    assert due_dates(None, date(2026, 11, 25), calendar, deadlines) == {
        "verification_due": date(2026, 11, 27)
    }
    assert due_dates(Move.VERIFY, TUESDAY, calendar, deadlines)["follow_up_due"] == date(
        2026, 11, 27
    )


def test_reopening_window_includes_its_last_day() -> None:
    last = date(2026, 12, 8)
    assert can_reopen(last, last)
    assert not can_reopen(last + timedelta(days=1), last)
    assert not can_reopen(TUESDAY, None)


# --- tracking numbers -------------------------------------------------------------------------


def test_tracking_numbers_are_short_and_typeable() -> None:
    assert period_of(TUESDAY) == "2611"
    assert format_tracking_number("2611", 42) == "BLW-2611-0042"
    assert format_tracking_number("2611", 12345) == "BLW-2611-12345"


@pytest.mark.parametrize(
    "typed",
    ["BLW-2611-0042", "blw 2611 42", "#BLW-2611-0042", " BLW/2611/042 ", "2611-42", "BLW26110042"],
)
def test_typed_tracking_numbers_are_understood(typed: str) -> None:
    assert parse_tracking_number(typed) == "BLW-2611-0042"


@pytest.mark.parametrize(
    "typed", ["", "42", "ABC-2611-0042", "BLW-2613-0001", "BLW-2611-0000", "BLW-2611", "hello"]
)
def test_other_text_is_not_a_tracking_number(typed: str) -> None:
    assert parse_tracking_number(typed) is None


# --- what citizens type -----------------------------------------------------------------------


def test_story_needs_what_when_where() -> None:
    short = validate_story("Jalan rusak")
    assert isinstance(short, Problem) and short.code == "story_too_short"
    assert isinstance(validate_story("a" * 40), Problem)  # one long word is no story
    too_long = validate_story("kata " * 700)
    assert isinstance(too_long, Problem) and too_long.code == "story_too_long"
    story = "  Lampu jalan   mati sejak Senin \n\n\n di depan masjid Jl. Stasiun  "
    assert validate_story(story) == "Lampu jalan mati sejak Senin\n\ndi depan masjid Jl. Stasiun"


def test_clean_text_keeps_paragraphs() -> None:
    assert clean_text("a\n\n\n\nb\n c ") == "a\n\nb\nc"


def test_addresses_and_notes() -> None:
    assert validate_address("  Jl.  Stasiun No. 5 ") == "Jl. Stasiun No. 5"
    assert isinstance(validate_address("Jl"), Problem)
    assert isinstance(validate_address("x" * 301), Problem)
    assert validate_note("Sudah diperbaiki") == "Sudah diperbaiki"
    assert isinstance(validate_note("ok"), Problem)
    note = validate_note("x" * 1001)
    assert isinstance(note, Problem) and note.params["limit"] == 1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.7781, 98.6832", (3.7781, 98.6832)),
        ("3.7781 98.6832", (3.7781, 98.6832)),
        ("-3.5;104.25", (-3.5, 104.25)),
        ("https://maps.google.com/?q=3.7781,98.6832", (3.7781, 98.6832)),
        ("https://www.google.com/maps/@3.7781,98.6832,17z", (3.7781, 98.6832)),
        ("95.0, 98.6", None),  # no such latitude
        ("Jl. Stasiun No. 5", None),
        ("3,7781, 98,6832", None),  # decimal commas are ambiguous: treated as an address
    ],
)
def test_locations_typed_as_text(text: str, expected: tuple[float, float] | None) -> None:
    assert parse_coordinates(text) == expected


# --- duplicates -------------------------------------------------------------------------------

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
STORY = "Lampu jalan di Jl. Stasiun depan masjid mati sejak Senin malam, jalan jadi gelap."


def test_near_identical_text_from_the_last_day_is_a_duplicate() -> None:
    earlier = [
        Earlier(1, "BLW-2611-0001", "Sampah menumpuk di pasar Belawan sejak seminggu.", NOW),
        Earlier(2, "BLW-2611-0002", STORY, NOW - timedelta(hours=3)),
    ]
    again = STORY.upper().replace(",", "").replace("gelap.", "gelap!!")
    assert similarity(STORY, again) == 1.0
    assert find_duplicate(again, earlier, NOW) == earlier[1]
    assert find_duplicate(STORY.replace("Senin", "Selasa"), earlier, NOW) == earlier[1]
    assert (
        find_duplicate("Jembatan di Sicanang retak di sisi utara, berbahaya.", earlier, NOW) is None
    )


def test_an_old_complaint_is_not_a_duplicate() -> None:
    old = [Earlier(2, "BLW-2611-0002", STORY, NOW - timedelta(hours=25))]
    assert find_duplicate(STORY, old, NOW) is None
    assert similarity("", STORY) == 0.0


# --- privacy ----------------------------------------------------------------------------------


def test_who_sees_the_reporter() -> None:
    assert identity_shown(Privacy.BIASA) and identity_shown(Privacy.BIASA, handling_unit=False)
    assert identity_shown(Privacy.RAHASIA)
    assert not identity_shown(Privacy.RAHASIA, handling_unit=False)
    assert not identity_shown(Privacy.ANONIM)
    assert not contact_allowed(Privacy.ANONIM) and contact_allowed(Privacy.RAHASIA)
    assert report_is_public(Privacy.ANONIM) and not report_is_public(Privacy.RAHASIA)


# --- who may act ------------------------------------------------------------------------------


def _actor(**kwargs: object) -> Actor:
    return Actor(telegram_id=5, language="id", **kwargs)  # type: ignore[arg-type]


def test_only_complaint_handlers_of_the_unit_work_its_tickets() -> None:
    handler = _actor(employee_id=1, unit_id=10, roles=frozenset({"employee", "complaint_handler"}))
    assert complaint_desk_refusal(handler, 10) is None
    assert complaint_desk_refusal(handler, 11) is DeskRefusal.OTHER_UNIT
    plain = _actor(employee_id=2, unit_id=10, roles=frozenset({"employee"}))
    assert complaint_desk_refusal(plain, 10) is DeskRefusal.NOT_HANDLER
    operator = _actor(is_operator=True)
    assert complaint_desk_refusal(operator, 10) is DeskRefusal.NOT_HANDLER
    assert may_install_desk(operator) and not may_install_desk(handler)
    citizen = _actor(
        roles=frozenset({"complaint_handler"})
    )  # roles without a link count for nothing
    assert complaint_desk_refusal(citizen, 10) is DeskRefusal.NOT_HANDLER


def test_citizens_see_their_own_complaints_only() -> None:
    me = _actor()
    assert complaint_owner_refusal(me, 5) is None
    assert complaint_owner_refusal(me, 6) is Refusal.NOT_FOUND
    assert complaint_owner_refusal(me, None) is Refusal.NOT_FOUND  # purged


# --- categories -------------------------------------------------------------------------------

UNITS = {"BLW-PU", "BLW-PM", "BLW-TRANTIB", "BLW-K01"}


def test_default_categories_fit_the_sample_roster() -> None:
    assert validate_categories(DEFAULT_CATEGORIES, UNITS) == []
    names = [c.name for c in DEFAULT_CATEGORIES]
    assert "Keamanan & Ketertiban" in names and names[-1] == "Lainnya"


def test_category_problems_are_listed_by_line() -> None:
    rows = [
        CategoryRow("jalan", "Jalan", "Roads", "BLW-PM", 1, line=2),
        CategoryRow("jalan", "Jalan lagi", "", "BLW-XX", 2, line=3),
        CategoryRow("Bad Code!", "", "", "BLW-PU", -1, line=4),
    ]
    problems = [(p.line, p.code) for p in validate_categories(rows, UNITS)]
    assert problems == [
        (3, "duplicate_code"),
        (3, "unknown_unit"),
        (4, "bad_code"),
        (4, "missing_name"),
        (4, "bad_position"),
    ]


def test_categories_file(tmp_path: Path) -> None:
    path = tmp_path / "kategori.csv"
    path.write_text(
        "Kode;Nama;Nama (EN);Kode Unit;Urutan\n"
        "jalan;Jalan & Drainase;Roads;blw-pm;3\n"
        "sampah;Kebersihan;;BLW-PM;\n"
        "x;Lain;;BLW-PU;satu\n",
        encoding="utf-8",
    )
    rows = read_categories(path)
    assert [(r.code, r.unit_code, r.position, r.line) for r in rows] == [
        ("jalan", "BLW-PM", 3, 2),
        ("sampah", "BLW-PM", 3, 3),  # blank: the file's order
        ("x", "BLW-PU", -1, 4),
    ]
    assert [p.code for p in validate_categories(rows, UNITS)] == ["bad_position"]
