"""Employees log their daily work ("progres harian").

- ``guided``: /lapor step by step (description → output → duration → SKP target → evidence →
  summary), and the same summary for one activity typed in one message or edited from
  /hariini.
- ``day``: a whole day in one message (a list) as one summary, saved with one tap.
- ``routines``: one-tap "Ulangi" of what is done most days, "Salin kemarin", "Ulangi semua".
- ``corrections``: a reply to a "Tersimpan" message ("2 jam", "kemarin") corrects the entry.
- ``complaint_work``: the activity offered after work on a complaint ticket, saved with one tap.
- ``entry``: where each of these starts (/lapor, a plain message, a reply).

Every save ends or moves the conversation in the transaction that writes the entries, so a
second tap cannot save twice.
"""

from __future__ import annotations

from domain.access import Audience
from handlers.routes import Button, Command, Key, Route
from handlers.worklog.complaint_work import BUTTONS as WORK_OFFER_BUTTONS
from handlers.worklog.complaint_work import work_offer_button
from handlers.worklog.entry import lapor_command, quick_log_or_not_understood, start_quick_log
from handlers.worklog.guided import LOG_FLOW, summary_text
from handlers.worklog.routines import BUTTONS, routine_button
from handlers.worklog.shared import BACKDATE_WINDOW_DAYS, problem_text

__all__ = [
    "BACKDATE_WINDOW_DAYS",
    "BUTTONS",
    "LOG_FLOW",
    "ROUTES",
    "lapor_command",
    "problem_text",
    "quick_log_or_not_understood",
    "start_quick_log",
    "summary_text",
]

ROUTES: list[Route] = [
    Command("lapor", lapor_command, "commands.log", (Audience.EMPLOYEE,), english="log"),
    Key("log", lapor_command),
    Button(BUTTONS, routine_button),
    Button(WORK_OFFER_BUTTONS, work_offer_button),
]
