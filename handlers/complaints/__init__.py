"""Citizens file complaints and follow them (/aduan, /status).

The package, by concern:

- ``filing``: the /aduan flow, from the type of complaint to Submit; ``sharing`` holds its two
  questions answered by sharing from the phone (location, phone number).
- ``follow_up``: /status and one complaint's history, the citizen's replies and the buttons under
  the notices about a complaint (add information, confirm it solved, reopen it).
- ``shared``: what these share.

The desk's side of a complaint (tickets, the relay to and from the unit) is ``handlers.desk``.
This module assembles the route table and names what ``handlers.start`` uses.
"""

from __future__ import annotations

from domain.access import Audience
from handlers.complaints.filing import complaint_command
from handlers.complaints.follow_up import citizen_reply, complaint_button, status_command
from handlers.desk.render import CITIZEN_BUTTONS
from handlers.routes import Button, Command, Key, Route

__all__ = ["ROUTES", "citizen_reply"]

ROUTES: list[Route] = [
    Command(
        "aduan",
        complaint_command,
        "complaint_commands.complaint",
        (Audience.CITIZEN,),
        english="complaint",
    ),
    Command("status", status_command, "complaint_commands.status", (Audience.CITIZEN,)),
    Button(CITIZEN_BUTTONS, complaint_button),
    Key("complaint", complaint_command),
    Key("status", status_command),
]
