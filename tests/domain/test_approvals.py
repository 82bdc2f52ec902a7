"""Paging, day codes, message splitting and the person view's four weeks."""

from __future__ import annotations

from datetime import date

from domain.approvals import (
    DayFigures,
    chunks,
    clip,
    first_day,
    last_weeks,
    paginate,
    parse_day,
)
from domain.calendar import CalendarOverride, Leave, WorkCalendar

TUESDAY = date(2026, 11, 24)


def test_paginate_clamps_and_counts() -> None:
    items = list(range(23))
    first = paginate(items, 0, 10)
    assert first.items == list(range(10)) and first.count == 3
    assert not first.has_previous and first.has_next
    last = paginate(items, 2, 10)
    assert last.items == [20, 21, 22] and last.has_previous and not last.has_next
    # A stale page number (the list shrank since the button was drawn) shows the last page.
    assert paginate(items, 9, 10).number == 2
    assert paginate([], 3, 10).items == [] and paginate([], 3, 10).count == 1


def test_clip_and_parse_day() -> None:
    assert clip("pendek") == "pendek"
    assert clip("x" * 10, 5) == "xxxx…" and len(clip("x" * 400)) == 300
    assert parse_day("20261124") == TUESDAY
    assert parse_day("20261131") is None and parse_day("2026112") is None
    assert parse_day("2026112a") is None


def test_chunks_keep_blocks_whole_and_messages_short() -> None:
    blocks = [f"{n}:" + "x" * 900 for n in range(10)]
    messages = chunks(blocks)
    assert all(len(m) <= 4000 for m in messages)
    assert "\n".join(messages) == "\n".join(blocks)
    assert len(messages) == 3  # four blocks of 903 characters (plus separators) per message
    assert chunks(["a", "b"]) == ["a\nb"]
    assert chunks([]) == []


def test_last_weeks_by_hand() -> None:
    """The same month as tests/e2e/test_team.py, plus a local holiday and a leave day."""
    days = {
        date(2026, 11, 24): DayFigures(1, 60, {"submitted": 1}),
        date(2026, 11, 23): DayFigures(1, 120, {"approved": 1, "rejected": 1}),
        date(2026, 11, 16): DayFigures(1, 90, {"approved": 1}),
        date(2026, 11, 17): DayFigures(1, 45, {"revision_requested": 1}),
        date(2026, 11, 14): DayFigures(1, 60, {"approved": 1}),  # a Saturday
        date(2026, 11, 10): DayFigures(0, 0, {"rejected": 2}),  # only rejected: not logged
    }
    calendar = WorkCalendar([CalendarOverride(date(2026, 11, 4), "holiday", "Hari jadi")])
    leaves = [Leave(date(2026, 11, 18), date(2026, 11, 22), "cuti")]
    weeks = last_weeks(TUESDAY, days, calendar, leaves)
    assert [(w.start, w.end) for w in weeks] == [
        (date(2026, 11, 23), TUESDAY),
        (date(2026, 11, 16), date(2026, 11, 22)),
        (date(2026, 11, 9), date(2026, 11, 15)),
        (date(2026, 11, 2), date(2026, 11, 8)),
    ]
    running, second, third, fourth = weeks
    assert (running.expected, running.logged, running.minutes) == (2, 2, 180)
    assert (running.approved, running.waiting, running.revision, running.rejected) == (1, 1, 0, 1)
    # Leave on Wed–Fri (the weekend days of the leave are not working days anyway).
    assert (second.expected, second.logged, second.leave_days, second.minutes) == (2, 2, 3, 135)
    assert (second.approved, second.revision) == (1, 1)
    assert (third.expected, third.logged, third.minutes, third.rejected) == (5, 1, 60, 2)
    assert (fourth.expected, fourth.logged, fourth.minutes) == (4, 0, 0)  # the local holiday
    assert first_day(TUESDAY) == date(2026, 11, 2)


def test_last_weeks_on_a_monday_counts_only_today() -> None:
    monday = date(2026, 11, 30)
    [running, *_] = last_weeks(monday, {}, WorkCalendar())
    assert (running.start, running.end, running.expected) == (monday, monday, 1)
