"""The data of the buttons that jobs send and handlers answer.

The scheduler may not import the handlers, so the few buttons it puts under its messages are
written here, below both: the reminder's "log now" and "not today", and the supervisor nudge's
"open the approvals". The handlers' ``CallbackData`` families (``handlers.reminders``,
``handlers.approvals``) read exactly these strings; ``tests/unit/test_routes.py`` checks it.
"""

from __future__ import annotations

REMINDER_LOG = "rem:log"
REMINDER_SNOOZE = "rem:snooze"
OPEN_APPROVALS = "apv:open"


def survey_offer(complaint_id: int) -> str:
    """Under the SKM invitation queued when a complaint closes (``services.survey``)."""
    return f"svy:c:{complaint_id}"
