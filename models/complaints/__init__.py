"""Data functions for complaints: categories, unit desks, complaints with their history,
attachments and Telegram messages, bans, and the retention purge.

One transaction per acknowledged action: a submission, a status change or a message is
committed (with its history row) before anyone is told about it. Status rules live in
``domain.complaints`` and are checked inside the transaction, on the row as it is then, so a
double tap or two staff members pressing at once cannot both move a complaint.

The package, by concern (callers import the names below from ``models.complaints``):

- ``errors``: what the functions raise when the rules say no.
- ``limits``: bans and the count behind the daily filing limit.
- ``categories``: the categories a citizen chooses from, and their import.
- ``desks``: the units' desk groups (installed, moved, removed), the units and their handlers,
  the open complaints waiting for a desk.
- ``filing``: the draft, earlier stories that may be the same problem, the submission with the
  month's next tracking number.
- ``reading``: complaints by id, number or reporter, their history, attachments and ticket
  details; the counts a purge keeps.
- ``moves``: status moves with their history row.
- ``messages``: messages between citizen and desk, stored once each, the hourly limit, tickets
  and the questions asked as replies.
- ``work``: the handler's work on a ticket offered as a ready activity, and its one save.
- ``privacy``: disclosures written to the audit log, and the retention purge.

Inside the package, modules import their siblings (``errors`` and ``limits`` at the bottom),
never this module."""

from __future__ import annotations

from models.activities import AlreadySaved
from models.complaints.categories import (
    CategoryChoice,
    CategoryImport,
    active_categories,
    all_categories,
    category_choice,
    category_choices,
    import_categories,
)
from models.complaints.desks import (
    DeskInstall,
    DeskMove,
    DeskRemoval,
    desk_chat,
    desk_unit,
    employee_chat,
    get_unit,
    install_desk,
    move_desk,
    remove_desk,
    unit_codes,
    unit_handlers,
    units_with_desks,
    unposted,
)
from models.complaints.errors import (
    AlreadyRecorded,
    Banned,
    ComplaintClosed,
    LimitReached,
    MessageLimit,
    PromptUsed,
    ReopenExpired,
)
from models.complaints.filing import ComplaintDraft, recent_stories, submit_complaint
from models.complaints.limits import (
    DAY,
    FilingState,
    ban_reporter,
    filed_since,
    filing_state,
    is_banned,
    unban_reporter,
)
from models.complaints.messages import (
    NoticeState,
    add_message,
    check_citizen_message,
    find_message,
    find_message_with_complaint,
    latest_notice,
    mark_relayed,
    notice_state,
    prompt_asked_again,
    record,
    relayed,
    remember_messages,
    remembered,
    set_ticket,
    take_prompt,
    unannounced_move,
)
from models.complaints.moves import MoveResult, apply_move, move_again
from models.complaints.privacy import (
    PurgeResult,
    disclosure,
    purge_personal_data,
    record_disclosure,
)
from models.complaints.reading import (
    ComplaintRecord,
    TicketDetails,
    attachments_of,
    category_of,
    citizen_chat_state,
    complaint_record,
    complaints_of,
    find_by_number,
    get_complaint,
    history,
    status_counts,
    ticket_details,
)
from models.complaints.work import (
    SavedWork,
    WorkOffer,
    WorkOfferRender,
    get_offer,
    save_offered_work,
)

__all__ = [
    "DAY",
    "AlreadyRecorded",
    "AlreadySaved",
    "Banned",
    "CategoryChoice",
    "CategoryImport",
    "ComplaintClosed",
    "ComplaintDraft",
    "ComplaintRecord",
    "DeskInstall",
    "DeskMove",
    "DeskRemoval",
    "FilingState",
    "LimitReached",
    "MessageLimit",
    "MoveResult",
    "NoticeState",
    "PromptUsed",
    "PurgeResult",
    "ReopenExpired",
    "SavedWork",
    "TicketDetails",
    "WorkOffer",
    "WorkOfferRender",
    "active_categories",
    "add_message",
    "all_categories",
    "apply_move",
    "attachments_of",
    "ban_reporter",
    "category_choice",
    "category_choices",
    "category_of",
    "check_citizen_message",
    "citizen_chat_state",
    "complaint_record",
    "complaints_of",
    "desk_chat",
    "desk_unit",
    "disclosure",
    "employee_chat",
    "filed_since",
    "filing_state",
    "find_by_number",
    "find_message",
    "find_message_with_complaint",
    "get_complaint",
    "get_offer",
    "get_unit",
    "history",
    "import_categories",
    "install_desk",
    "is_banned",
    "latest_notice",
    "mark_relayed",
    "move_again",
    "move_desk",
    "notice_state",
    "prompt_asked_again",
    "purge_personal_data",
    "recent_stories",
    "record",
    "record_disclosure",
    "relayed",
    "remember_messages",
    "remembered",
    "remove_desk",
    "save_offered_work",
    "set_ticket",
    "status_counts",
    "submit_complaint",
    "take_prompt",
    "ticket_details",
    "unannounced_move",
    "unban_reporter",
    "unit_codes",
    "unit_handlers",
    "units_with_desks",
    "unposted",
]
