"""/persetujuan: a supervisor approves their reports' entries.

People with waiting entries (ten a page) → one person's days → one person-day (six entries a
message) with Setujui / Minta revisi / Tolak / bukti per entry and "Setujui semua" with a
confirmation. A revision note or a rejection reason is the supervisor's next message (a
one-step flow). Every decision goes through ``models.approvals``, which checks the supervisor's
reach and notifies the employee in the same transaction.

The package: ``pages`` renders what the supervisor sees (and holds the ``apv:`` buttons),
``decisions`` handles the buttons and the decisions. This module assembles the route table and
names what ``handlers.team`` uses (the same pages and note prompts for its own reviews).
"""

from __future__ import annotations

from domain.access import Audience
from handlers.approvals.decisions import approvals_button, cancel_note, note_refused
from handlers.approvals.pages import BUTTONS, OPEN, approvals_command, show
from handlers.routes import Button, Command, Route

__all__ = ["BUTTONS", "OPEN", "ROUTES", "cancel_note", "note_refused", "show"]

ROUTES: list[Route] = [
    Command(
        "persetujuan",
        approvals_command,
        "commands.approvals",
        (Audience.SUPERVISOR,),
        english="approvals",
    ),
    Button(BUTTONS, approvals_button),
]
