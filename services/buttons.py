"""The data of the buttons that jobs send and handlers answer.

The scheduler may not import the handlers, so the few buttons it puts under its messages are
written here, below both: the reminder's "log now" and "not today", and the supervisor nudge's
"open the approvals". The handlers' ``CallbackData`` families (``handlers.reminders``,
``handlers.approvals``) read exactly these strings; ``tests/unit/test_routes.py`` checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from models.daylog import Routine
from texts import Texts
from texts.format import duration

OPEN_APPROVALS = "apv:open"
# Under the reminder too (``handlers.worklog.routines``): log a routine again with one tap,
# or copy the last working day's entries into a summary to edit.
COPY_YESTERDAY = "wl:copy"


REPEAT_ALL = "wl:all"
LABEL_LIMIT = 40


def repeat_activity(activity_id: int) -> str:
    return f"wl:rep:{activity_id}"


def routine_rows(
    tr: Texts, routines: Sequence[Routine], yesterday_logged: bool
) -> list[list[tuple[str, str]]]:
    """The routines' buttons, the same under /lapor and under the reminder: one "Ulangi" per
    routine with its latest duration, then "all routines" and "copy yesterday"."""

    def label(text: str) -> str:
        return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"

    rows = [
        [
            (
                tr.plain(
                    "day.button_repeat",
                    description=label(r.description),
                    duration=duration(r.minutes, tr.language),
                ),
                repeat_activity(r.activity_id),
            )
        ]
        for r in routines
    ]
    extra = []
    if len(routines) > 1:
        extra.append((tr.plain("day.button_repeat_all", count=len(routines)), REPEAT_ALL))
    if yesterday_logged:
        extra.append((tr.plain("day.button_copy"), COPY_YESTERDAY))
    return rows + ([extra] if extra else [])


def reminder_log(day: date) -> str:
    """ "Log now" under the reminder for ``day``: the day travels with the button, so a press
    on an old reminder acts on its own day, never on whatever day it is pressed."""
    return f"rem:log:{day:%Y%m%d}"


def reminder_snooze(day: date) -> str:
    """ "Not today" under the reminder for ``day``."""
    return f"rem:snooze:{day:%Y%m%d}"


def survey_offer(complaint_id: int) -> str:
    """Under the SKM invitation queued when a complaint closes (``services.survey``)."""
    return f"svy:c:{complaint_id}"


#: The durations offered under a complaint-work offer (``services.complaint_work``), minutes.
WORK_MINUTES = (15, 30, 60, 120)


def work_offer_save(offer_id: int, minutes: int) -> str:
    """Save the offered complaint work with this duration (``handlers.worklog.complaint_work``)."""
    return f"cwk:s:{offer_id}:{minutes}"


def work_offer_skip(offer_id: int) -> str:
    return f"cwk:x:{offer_id}"
