"""The data of the buttons that jobs send and handlers answer.

The scheduler may not import the handlers, so the few buttons it puts under its messages are
written here, below both: the reminder's "log now" and "not today", and the supervisor nudge's
"open the approvals". The handlers' ``CallbackData`` families (``handlers.reminders``,
``handlers.approvals``) read exactly these strings; ``tests/unit/test_routes.py`` checks it.
"""

from __future__ import annotations

from datetime import date

OPEN_APPROVALS = "apv:open"


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
