"""The digest's pure parts: weeks, the silent flag, totals, change, compliance, splitting."""

from __future__ import annotations

from datetime import date, timedelta

from domain.digest import (
    Change,
    PersonWeek,
    compliance_per_day,
    iso_week,
    previous_week,
    split_message,
    totals,
    trailing_silent_days,
    week_of,
)

MON, TUE, WED, THU, FRI = (date(2026, 11, 30), *(date(2026, 12, d) for d in range(1, 5)))


def test_weeks() -> None:
    assert week_of(date(2026, 12, 3)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert previous_week(date(2026, 12, 7)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert iso_week(date(2026, 11, 30)) == "2026-W49"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


def test_silent_days_count_back_from_the_last_expected_day() -> None:
    expected = [MON, TUE, WED, THU, FRI]
    assert trailing_silent_days(expected, [FRI]) == 0
    assert trailing_silent_days(expected, [MON, TUE]) == 3
    assert trailing_silent_days(expected, []) == 5
    # A day on leave is not expected, so it does not count as silence.
    assert trailing_silent_days([MON, TUE, THU, FRI], [TUE]) == 2
    silent = PersonWeek(1, "A", silent_days=3)
    quiet = PersonWeek(2, "B", silent_days=2)
    assert silent.silent and not quiet.silent


def test_totals_and_compliance() -> None:
    a = PersonWeek(1, "A", expected_days=4, days_with_entries=3, entries=4, minutes=300,
                   approved=2, waiting=1, revision=1, late=1, leave_days=1, silent_days=1,
                   expected_on=[MON, TUE, THU, FRI], logged_on=[MON, TUE, THU])  # fmt: skip
    b = PersonWeek(2, "B", expected_days=5, silent_days=5,
                   expected_on=[MON, TUE, WED, THU, FRI])  # fmt: skip
    t = totals([a, b])
    assert (t.people, t.expected_days, t.days_with_entries, t.entries) == (2, 9, 3, 4)
    assert (t.hours, t.approved, t.waiting, t.revision, t.late, t.silent) == (5.0, 2, 1, 1, 1, 1)
    assert t.compliance == 33
    assert compliance_per_day([a, b], [MON, WED, FRI]) == [50, 0, 0]
    assert totals([]).compliance == 0


def test_change() -> None:
    assert Change(4, 1).delta == 3 and Change(4, 1).percent == 300
    assert Change(2, 0).percent is None
    assert Change(1, 2).percent == -50


def test_split_message_keeps_blocks_and_stays_under_the_limit() -> None:
    blocks = [f"block {i} " + "x" * 900 for i in range(10)]
    messages = split_message(blocks)
    assert len(messages) == 3
    assert all(len(m) <= 4096 for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(blocks)
    assert split_message(["short", "also short"]) == ["short\n\nalso short"]
    huge = "\n".join("y" * 99 for _ in range(100))  # 9,999 characters in one block
    parts = split_message([huge])
    assert all(len(m) <= 4096 for m in parts) and len(parts) == 3


def test_digest_slots() -> None:
    from datetime import time

    from domain.digest import DigestMode, DigestSlot, digest_slot

    # Any day of the week of Mon 30 Nov – Sun 6 Dec 2026 names the same slot.
    for day in range(30, 37):
        d = date(2026, 11, 30) + timedelta(days=day - 30)
        assert digest_slot(DigestMode.MONDAY, d) == DigestSlot(
            date(2026, 11, 30), time(7, 0), date(2026, 11, 23), date(2026, 11, 29)
        )
        assert digest_slot(DigestMode.FRIDAY, d) == DigestSlot(
            date(2026, 12, 4), time(16, 0), date(2026, 11, 30), date(2026, 12, 6)
        )
    # Across the year boundary: ISO week 2026-W53 ends on Sunday 3 January 2027.
    assert digest_slot(DigestMode.MONDAY, date(2027, 1, 4)).start == date(2026, 12, 28)
    assert digest_slot(DigestMode.FRIDAY, date(2027, 1, 2)).send_on == date(2027, 1, 1)
