"""What the complaint functions raise when the rules say no; callers turn each into an answer."""

from __future__ import annotations

from datetime import datetime

from models.tables import Complaint


class Banned(Exception):
    """This account may not file complaints."""


class LimitReached(Exception):
    """Too many complaints from this account in the last 24 hours."""


class ComplaintClosed(Exception):
    """The complaint is closed (or its personal data purged): nothing more can be added."""


class AlreadyRecorded(Exception):
    """This incoming Telegram message was stored before: Telegram (or the polling inbox)
    delivered it again after a crash. ``relayed`` says whether it also reached the other side
    then; if not, the process died between storing and relaying, and the relay is owed."""

    def __init__(self, complaint: Complaint, relayed: bool) -> None:
        super().__init__(complaint.id)
        self.complaint = complaint
        self.relayed = relayed


class MessageLimit(Exception):
    """The citizen sent the most messages allowed about this complaint in an hour."""

    def __init__(self, tracking_number: str, again: datetime) -> None:
        super().__init__(tracking_number)
        self.tracking_number, self.again = tracking_number, again


class ReopenExpired(Exception):
    """The citizen answered "belum selesai" after the reopening window."""


class PromptUsed(Exception):
    """The bot's question for a move's reason was answered already (the move is not made)."""


class Rollback(Exception):
    """Leave the transaction without saving (a dry run, or bad rows)."""
