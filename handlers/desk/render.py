"""How a complaint reads at its desk and to its citizen: the ticket's text and buttons (the
reporter shown only as the privacy choice allows), the buttons under a notice to the citizen,
and the names, dates and office settings they are written with.

Nothing here sends: ``relay`` posts and edits, the handlers answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardMarkup

from domain.access import DeskRefusal
from domain.complaints import (
    Deadlines,
    Move,
    Privacy,
    Status,
    identity_shown,
    is_final,
    possible_moves,
)
from handlers.callback import CallbackData
from handlers.common import buttons
from models import complaints
from models.complaints import TicketDetails
from models.db import Database
from models.tables import Complaint, Employee, Unit
from services import Services
from texts import Texts, escape, texts
from texts.format import format_date

# A ticket's buttons: ``desk:<move>:<complaint>[:<assignee or unit>]``, ``desk:contact|back:<id>``.
# ``desk:lapor:<id>``: the complaint exported for SP4N-LAPOR! (``export``).
BUTTONS = CallbackData(
    "desk", {m.value: "nn?" for m in Move} | {"contact": "n", "back": "n", "lapor": "n"}
)
# Under the notices to a citizen (answered by ``handlers.complaints``): ``cmp:<what>:<id>``.
CITIZEN_BUTTONS = CallbackData("cmp", {"show": "n", "ok": "n", "no": "n", "note": "n"})

# The ticket's buttons, in rows; only the moves the status allows are shown.
_BUTTON_ROWS: tuple[tuple[Move, ...], ...] = (
    (Move.VERIFY, Move.PROCESS),
    (Move.ASSIGN, Move.RESOLVE),
    (Move.FORWARD, Move.REJECT),
    (Move.CLOSE,),
)


def deadlines(services: Services) -> Deadlines:
    """The office's complaint deadlines (``SIGAP_COMPLAINT_*_DAYS``)."""
    settings = services.settings
    return Deadlines(
        verify_days=settings.complaint_verify_days,
        follow_up_days=settings.complaint_follow_up_days,
        reopen_days=settings.complaint_reopen_days,
    )


def desk_texts(services: Services) -> Texts:
    """Desks are shared by several people: they read the office's default language."""
    return texts(services.settings.default_language)


def refusal_text(refusal: DeskRefusal, unit_name: str, tr: Texts) -> str:
    return tr.plain(f"desk.refused_{refusal.value}", unit=unit_name)


def status_name(status: str, tr: Texts) -> str:
    return tr.plain(f"complaint_status.{status}")


def category_name(name: str, name_en: str, tr: Texts) -> str:
    return name_en if tr.language == "en" and name_en else name


def due_line(complaint: Complaint, tr: Texts) -> str:
    """The date that matters now: verification, follow-up, the citizen's answer; or the
    outcome once closed."""
    status = Status(complaint.status)
    if is_final(status):
        outcome = complaint.outcome or ("ditolak" if status is Status.DITOLAK else "selesai")
        return tr.t("complaint.line_outcome", outcome=tr.plain(f"complaint_outcome.{outcome}"))
    day: date | None
    if status in (Status.BARU, Status.DIALIHKAN):
        day, key = complaint.verification_due, "complaint.line_due_verify"
    elif status is Status.SELESAI:
        day, key = complaint.reopen_until, "complaint.line_due_confirm"
    else:
        day, key = complaint.follow_up_due, "complaint.line_due_follow_up"
    if day is None:
        return ""
    return tr.t(key, date=format_date(day, tr.language))


def reporter_line(complaint: Complaint, tr: Texts, *, handling: bool) -> str:
    privacy = Privacy(complaint.privacy)
    if privacy is Privacy.ANONIM or complaint.reporter_name is None:
        return tr.t("desk.reporter_alias", alias=complaint.reporter_alias)
    if not identity_shown(privacy, handling_unit=handling):
        return tr.t("desk.reporter_hidden")
    return tr.t("desk.reporter_named", name=complaint.reporter_name)


def reporter_label(complaint: Complaint, tr: Texts) -> str:
    """How the reporter is named in relayed messages (plain text, escaped by the caller)."""
    if Privacy(complaint.privacy) is Privacy.ANONIM or complaint.reporter_name is None:
        return tr.plain("desk.alias", alias=complaint.reporter_alias)
    return complaint.reporter_name


async def ticket_text(
    db: Database, complaint: Complaint, tr: Texts, *, handling: bool = True
) -> str:
    return render_ticket(complaint, await complaints.ticket_details(db, complaint), tr, handling)


def render_ticket(
    complaint: Complaint, details: TicketDetails, tr: Texts, handling: bool = True
) -> str:
    """The ticket from what is known already (the Open311 API renders it inside the
    transaction that files the complaint)."""
    status = Status(complaint.status)
    lines = [
        tr.t(
            "desk.ticket_title",
            number=complaint.tracking_number,
            kind=tr.plain(f"complaint_kind.{complaint.kind}"),
        ),
        tr.t(
            "desk.ticket_category",
            category=category_name(details.category.name, details.category.name_en, tr),
            unit=details.unit.name,
        ),
        tr.t("desk.ticket_status", status=status_name(status, tr)),
    ]
    due = due_line(complaint, tr)
    if due:
        lines.append(due)
    if details.assignee is not None and not is_final(status):
        lines.append(tr.t("desk.ticket_assignee", name=details.assignee.name))
    if details.forwarded_from is not None and status is Status.DIALIHKAN:
        source, reason = details.forwarded_from
        lines.append(tr.t("desk.ticket_forwarded", unit=source, reason=short(reason or "—")))
    lines.append(reporter_line(complaint, tr, handling=handling))
    if Privacy(complaint.privacy) is Privacy.RAHASIA:
        lines.append(tr.t("desk.ticket_secret"))
    if complaint.location_text:
        lines.append(tr.t("desk.ticket_location", location=complaint.location_text))
    elif complaint.latitude is not None:
        lines.append(tr.t("desk.ticket_map"))
    if details.attachments:
        lines.append(tr.t("desk.ticket_attachments", count=details.attachments))
    lines.append("")
    lines.append(escape(complaint.story))
    if handling and not is_final(status):
        lines.append("")
        lines.append(tr.t("desk.ticket_reply_hint"))
    return "\n".join(lines)


def short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ticket_keyboard(complaint: Complaint, tr: Texts) -> InlineKeyboardMarkup | None:
    possible = set(possible_moves(Status(complaint.status)))
    rows: list[list[tuple[str, str]]] = []
    for row in _BUTTON_ROWS:
        shown = [m for m in row if m in possible]
        if shown:
            rows.append(
                [
                    (tr.plain(f"desk.button_{m.value}"), BUTTONS.pack(m.value, complaint.id))
                    for m in shown
                ]
            )
    if (
        complaint.contact_phone
        and identity_shown(Privacy(complaint.privacy))
        and not is_final(Status(complaint.status))
    ):
        rows.append([(tr.plain("desk.button_contact"), BUTTONS.pack("contact", complaint.id))])
    if rows:
        rows.append([(tr.plain("lapor.button"), BUTTONS.pack("lapor", complaint.id))])
    return buttons(rows) if rows else None


def citizen_keyboard(complaint: Complaint, tr: Texts) -> InlineKeyboardMarkup | None:
    """Under a notice to the citizen: confirm or reopen after "selesai", else add information."""
    status = Status(complaint.status)
    if status is Status.SELESAI:
        return buttons(
            [
                [
                    (tr.plain("complaint.button_solved"), CITIZEN_BUTTONS.pack("ok", complaint.id)),
                    (
                        tr.plain("complaint.button_not_solved"),
                        CITIZEN_BUTTONS.pack("no", complaint.id),
                    ),
                ]
            ]
        )
    if is_final(status):
        return None
    return buttons(
        [[(tr.plain("complaint.button_add"), CITIZEN_BUTTONS.pack("note", complaint.id))]]
    )


def choice_keyboard(
    complaint: Complaint, move: Move, choices: Sequence[Employee | Unit], tr: Texts
) -> InlineKeyboardMarkup:
    """The people to assign, or the units to forward to, in place of the ticket's buttons."""
    rows = [
        [(choice.name, BUTTONS.pack(move.value, complaint.id, choice.id))] for choice in choices
    ]
    rows.append([(tr.plain("desk.button_back"), BUTTONS.pack("back", complaint.id))])
    return buttons(rows)
