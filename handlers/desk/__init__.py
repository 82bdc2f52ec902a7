"""The unit side of complaints, and the relay between a unit and the citizen.

An admin turns a unit's Telegram group into its complaint desk (``/pasang_meja BLW-PU``). Each
new complaint of that unit is posted there as a *ticket* (photos and location as replies to
it), with the reporter shown only as the privacy choice allows. The unit's complaint handlers
press the ticket's buttons (Verifikasi, Proses, Tugaskan, Selesai, Bukan wewenang, Tolak,
Tutup); moves that need a reason ask for it as a reply in the group. Replying to a ticket
answers the citizen: the bot relays it in the unit's name, never the staff member's.

The package, by concern:

- ``render``: the ticket's text and buttons per privacy choice, the buttons under a notice to
  the citizen, status and category names, the date that matters.
- ``relay``: posting and updating tickets, the citizen's messages into the desk and every notice
  to the citizen, what follows a move; it takes a bot and the services (``Relay``), so the
  outbox sender's hooks use it outside any update. A send that meets an upgraded group moves the
  desk there.
- ``lifecycle``: ``/pasang_meja`` (also moving a desk to another group), ``/lepas_meja``, a group
  upgraded to a supergroup, the bot removed from a group, and the outbox sender's hooks.
- ``tickets``: the ticket's buttons (status moves, assignment, forwarding, contact) and the
  reasons asked for as replies.
- ``replies``: replies in the group: answers relayed to the citizen, reasons given.
- ``export``: "📤 Ekspor LAPOR!", the complaint as a ZIP for SP4N-LAPOR! (group, or privately
  for a rahasia complaint).

A move or an answer also offers its handler the work as an activity in their private chat, in
the same transaction (``tickets.work_offer``, ``models.complaints.work``); the offer is saved
by ``handlers.worklog.complaint_work``.

Imports go one way inside it: render ← relay ← export ← tickets ← replies, lifecycle; this
module only assembles the route table and names what ``bot.app`` and the other handlers use.
"""

from __future__ import annotations

from domain.access import Audience
from handlers.desk.lifecycle import (
    UNINSTALL,
    blocked_hook,
    bot_left_group,
    chat_migrated,
    install_desk_command,
    migrated_hook,
    ticket_sent_hook,
    uninstall_button,
    uninstall_desk_command,
    unlinked_tickets_hook,
)
from handlers.desk.render import BUTTONS
from handlers.desk.replies import group_message, group_reply
from handlers.desk.tickets import desk_button
from handlers.routes import Button, Command, Route

__all__ = [
    "ROUTES",
    "blocked_hook",
    "bot_left_group",
    "chat_migrated",
    "group_message",
    "group_reply",
    "migrated_hook",
    "ticket_sent_hook",
    "unlinked_tickets_hook",
]

ROUTES: list[Route] = [
    Command(
        "pasang_meja",
        install_desk_command,
        "complaint_commands.install_desk",
        (Audience.ADMIN,),
        english="install_desk",
    ),
    Command(
        "lepas_meja",
        uninstall_desk_command,
        "desk_lifecycle.command",
        (Audience.ADMIN,),
        english="uninstall_desk",
    ),
    Button(BUTTONS, desk_button),
    Button(UNINSTALL, uninstall_button),
]
