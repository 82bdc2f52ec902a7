"""Core tables: units, employees, Telegram accounts and their link, invites, audit log, and the
state of multi-step conversations.

Roles (see ``domain.access``): employee, supervisor, complaint_handler, admin. They are stored as
a comma-separated set because the vocabulary is small and fixed and every query that needs one
filters by unit first.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import TelegramId, UTCDateTime, utcnow


def _ts() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Unit(SQLModel, table=True):
    """An organisational unit (unit kerja): the kecamatan, a section, a kelurahan."""

    __tablename__ = "unit"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=120)
    timezone: str = Field(default="Asia/Jakarta", max_length=64)
    parent_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("unit.id", ondelete="SET NULL")]
    )
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Employee(SQLModel, table=True):
    """An ASN (PNS or PPPK) from the roster; NIP is the natural key."""

    __tablename__ = "employee"

    id: int | None = Field(default=None, primary_key=True)
    nip: str = Field(max_length=18, unique=True, index=True)
    name: str = Field(max_length=120)
    position: str = Field(default="", max_length=160)
    unit_id: int = Field(sa_column_args=[ForeignKey("unit.id")], index=True)
    supervisor_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("employee.id", ondelete="SET NULL")], index=True
    )
    roles: str = Field(default="employee", max_length=80)
    active: bool = Field(default=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class TelegramUser(SQLModel, table=True):
    """Anyone who talked to the bot and whose preference or state we must remember.

    A row is written only when there is something to keep (a language choice, a block, a link),
    never on every update: a write per update halves throughput (perf-notes.md).
    """

    __tablename__ = "telegram_user"

    id: int = Field(sa_type=TelegramId, primary_key=True, sa_column_kwargs={"autoincrement": False})
    first_name: str = Field(default="", max_length=128)
    username: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=5)
    # Set when Telegram answers 403 for this chat; nothing more is sent until they write again.
    blocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class TelegramLink(SQLModel, table=True):
    """The one-to-one link between an employee and their Telegram account."""

    __tablename__ = "telegram_link"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(
        sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")], unique=True
    )
    telegram_user_id: int = Field(sa_type=TelegramId, unique=True, index=True)
    invite_id: int | None = Field(default=None, sa_column_args=[ForeignKey("invite.id")])
    linked_at: datetime = _ts()


class Invite(SQLModel, table=True):
    """A one-time invite; only the SHA-256 of the token is kept, so a leaked database does not
    leak usable links."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")])
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    used_by: int | None = Field(default=None, sa_type=TelegramId, nullable=True)


class AuditEntry(SQLModel, table=True):
    """Security-relevant actions: who did what to what, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor: str = Field(max_length=64)  # "tg:<user id>", "cli", "system"
    action: str = Field(max_length=64, index=True)
    subject: str = Field(default="", max_length=128)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Conversation(SQLModel, table=True):
    """The step a person is at in a multi-step flow and the answers given so far.

    Kept in the database (not in process memory or PTB persistence, which is read only at start-up,
    PTB #4452/#5225) so that any bot process, after a crash or behind a load balancer, continues the
    flow where it was. ``last_update_id`` makes a redelivered update a no-op.
    """

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("chat_id", "user_id", name="uq_conversation_chat_user"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=TelegramId)
    user_id: int = Field(sa_type=TelegramId)
    flow: str = Field(max_length=40)
    step: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    last_update_id: int = Field(default=0, sa_type=TelegramId)
    # Bumped on every step so that buttons of an older step can be recognised as stale.
    version: int = Field(default=1)
    started_at: datetime = _ts()
    updated_at: datetime = _ts()


class FlowReceipt(SQLModel, table=True):
    """The last flow a person finished by saving, kept after its conversation ended: the update
    that saved it and what its confirmation needs. A bot killed after the save committed but
    before the confirmation went out gets that update again (from the inbox, or from Telegram in
    webhook mode) and answers it with the same confirmation instead of "this button is old".
    One row per person and chat, replaced by the next save; removed with abandoned drafts."""

    __tablename__ = "flow_receipt"
    __table_args__ = (UniqueConstraint("chat_id", "user_id", name="uq_flow_receipt_chat_user"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=TelegramId)
    user_id: int = Field(sa_type=TelegramId)
    flow: str = Field(max_length=40)
    update_id: int = Field(sa_type=TelegramId)
    # The button that saved it: pressed again on the same message (its confirmation lost on
    # the way, so the person tries again), it gets the confirmation again.
    callback_data: str | None = Field(default=None, max_length=64)
    # Only what the confirmation shows (a date, a tracking number), never the answers.
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    finished_at: datetime = _ts()


# --- Work log (issue: employees log their daily work) -------------------------------------


class SkpTarget(SQLModel, table=True):
    """One row of an employee's SKP (Sasaran Kinerja Pegawai): an RHK (Rencana Hasil Kerja)
    with its indicator and yearly target quantity; ``kind`` is "utama" or "tambahan"."""

    __tablename__ = "skp_target"
    __table_args__ = (
        UniqueConstraint("employee_id", "year", "rhk", "indicator", name="uq_skp_target_row"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(
        sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")], index=True
    )
    year: int
    rhk: str = Field(max_length=500)
    indicator: str = Field(max_length=500)
    target_quantity: int
    unit: str = Field(max_length=40)
    kind: str = Field(default="utama", max_length=10)
    # The target that complaint work counts towards (column "Aduan" of the targets file): the
    # activities offered after desk work link to it (``models.complaints.work``).
    complaint_work: bool = Field(default=False)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Activity(SQLModel, table=True):
    """A "progres harian" entry: what an employee did on a work date, as evidence for SKP."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_employee_date", "employee_id", "work_date"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")])
    work_date: date
    description: str = Field(max_length=1000)
    quantity: int | None = Field(default=None)
    output_unit: str | None = Field(default=None, max_length=40)
    minutes: int
    target_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("skp_target.id", ondelete="SET NULL")]
    )
    # submitted / approved / revision_requested / rejected
    status: str = Field(default="submitted", max_length=20, index=True)
    reviewer_id: int | None = Field(default=None, sa_column_args=[ForeignKey("employee.id")])
    review_note: str | None = Field(default=None, max_length=1000)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    late: bool = Field(default=False)
    source: str = Field(default="guided", max_length=10)  # guided / quick
    # Competency development (pengembangan kompetensi), counted in JP (jam pelajaran).
    training_jp: int | None = Field(default=None)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ActivityEvidence(SQLModel, table=True):
    """A photo or document backing an activity: Telegram's file id plus our own copy on disk,
    so the evidence survives the bot token being replaced."""

    __tablename__ = "activity_evidence"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(
        sa_column_args=[ForeignKey("activity.id", ondelete="CASCADE")], index=True
    )
    kind: str = Field(max_length=10)  # photo / document
    telegram_file_id: str = Field(max_length=200)
    file_unique_id: str = Field(max_length=100)
    file_name: str | None = Field(default=None, max_length=200)
    mime_type: str | None = Field(default=None, max_length=100)
    size: int | None = Field(default=None)
    stored_path: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()


class ActivityHistory(SQLModel, table=True):
    """Every change to an activity, with the values before it (the audit trail of the log)."""

    __tablename__ = "activity_history"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(
        sa_column_args=[ForeignKey("activity.id", ondelete="CASCADE")], index=True
    )
    at: datetime = _ts()
    actor: str = Field(max_length=64)
    action: str = Field(max_length=20)  # created / edited / deleted / reviewed
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SavedMessage(SQLModel, table=True):
    """The bot's "Tersimpan" message in a chat and the entries it confirmed, in the order it
    lists them, so that a reply to it ("2 jam", "kemarin") corrects those very entries."""

    __tablename__ = "saved_message"

    chat_id: int = Field(
        sa_type=TelegramId, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    message_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    position: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    activity_id: int = Field(
        sa_column_args=[ForeignKey("activity.id", ondelete="CASCADE")], index=True
    )
    created_at: datetime = _ts()


class Leave(SQLModel, table=True):
    """Cuti, sakit, izin, dinas luar or tugas belajar: days the employee is not expected to log."""

    __tablename__ = "leave"
    __table_args__ = (Index("ix_leave_employee_start", "employee_id", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")])
    kind: str = Field(max_length=20)
    start: date
    end: date
    note: str | None = Field(default=None, max_length=500)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = _ts()


class CalendarOverride(SQLModel, table=True):
    """A local decision about one day: an extra holiday, or a working day the national calendar
    does not know (``sigap calendar add|remove``)."""

    __tablename__ = "calendar_override"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)
    kind: str = Field(default="holiday", max_length=10)  # holiday / workday
    name: str = Field(max_length=120)
    created_at: datetime = _ts()


# --- Complaints (issue: citizens file and follow complaints; units handle them) ----------


class ComplaintCategory(SQLModel, table=True):
    """What a complaint is about, and the unit it goes to (``sigap complaints categories``)."""

    __tablename__ = "complaint_category"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    name: str = Field(max_length=120)
    name_en: str = Field(default="", max_length=120)
    unit_id: int = Field(sa_column_args=[ForeignKey("unit.id")])
    position: int = Field(default=0)
    active: bool = Field(default=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ComplaintDesk(SQLModel, table=True):
    """The Telegram group where a unit works its complaints (``/pasang_meja``)."""

    __tablename__ = "complaint_desk"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(sa_column_args=[ForeignKey("unit.id", ondelete="CASCADE")], unique=True)
    chat_id: int = Field(sa_type=TelegramId, index=True)
    title: str = Field(default="", max_length=255)
    installed_by: int = Field(sa_type=TelegramId)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Complaint(SQLModel, table=True):
    """A pengaduan, aspirasi or permintaan informasi, with its status and due dates.

    Personal data (reporter's Telegram id and name, contact, location, the story) is removed by
    ``sigap complaints purge`` after the retention period; the rest stays for statistics.
    """

    __tablename__ = "complaint"
    __table_args__ = (
        UniqueConstraint("period", "sequence", name="uq_complaint_period_sequence"),
        Index("ix_complaint_reporter_created", "reporter_telegram_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tracking_number: str = Field(max_length=20, unique=True)
    period: str = Field(max_length=4)  # YYMM of the tracking number
    sequence: int
    kind: str = Field(max_length=12)  # pengaduan / aspirasi / informasi
    category_id: int = Field(sa_column_args=[ForeignKey("complaint_category.id")])
    unit_id: int = Field(sa_column_args=[ForeignKey("unit.id")], index=True)
    story: str = Field(max_length=2500)
    location_text: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    privacy: str = Field(max_length=10)  # biasa / rahasia / anonim
    reporter_alias: int  # "Pelapor #<n>" for anonymous reports; unrelated to any identity
    reporter_telegram_id: int | None = Field(default=None, sa_type=TelegramId, nullable=True)
    reporter_name: str | None = Field(default=None, max_length=255)
    contact_phone: str | None = Field(default=None, max_length=32)
    contact_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    status: str = Field(default="baru", max_length=20, index=True)
    outcome: str | None = Field(default=None, max_length=20)
    assignee_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("employee.id", ondelete="SET NULL")]
    )
    verification_due: date
    follow_up_due: date | None = Field(default=None)
    reopen_until: date | None = Field(default=None)
    resolution_note: str | None = Field(default=None, max_length=1000)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    # Where the ticket of the unit now handling it stands (set once posted to its desk).
    desk_chat_id: int | None = Field(default=None, sa_type=TelegramId, nullable=True)
    ticket_message_id: int | None = Field(default=None)
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ComplaintCounter(SQLModel, table=True):
    """The last sequence number handed out per month: its row lock makes concurrent
    submissions on PostgreSQL wait for each other instead of taking the same number."""

    __tablename__ = "complaint_counter"

    period: str = Field(max_length=4, primary_key=True)
    last: int = Field(default=0)


class ComplaintEvent(SQLModel, table=True):
    """The history of a complaint: every status change, assignment and message, with who and
    when. ``actor`` is "citizen", "system" or "tg:<id>" of the staff member, whose employee id
    is kept apart so the citizen is never shown who it was."""

    __tablename__ = "complaint_event"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(
        sa_column_args=[ForeignKey("complaint.id", ondelete="CASCADE")], index=True
    )
    at: datetime = _ts()
    actor: str = Field(max_length=64)
    employee_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("employee.id", ondelete="SET NULL")]
    )
    # submitted, a domain Move (verify, forward, ...), citizen_message or staff_message
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=4096)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ComplaintAttachment(SQLModel, table=True):
    """A photo or document sent with a complaint or a message about it."""

    __tablename__ = "complaint_attachment"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(
        sa_column_args=[ForeignKey("complaint.id", ondelete="CASCADE")], index=True
    )
    event_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("complaint_event.id", ondelete="CASCADE")]
    )
    kind: str = Field(max_length=10)  # photo / document
    telegram_file_id: str = Field(max_length=200)
    file_unique_id: str = Field(max_length=100)
    file_name: str | None = Field(default=None, max_length=200)
    mime_type: str | None = Field(default=None, max_length=100)
    size: int | None = Field(default=None)
    stored_path: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()


class ComplaintWorkOffer(SQLModel, table=True):
    """A ready activity offered to a handler in their private chat after work on a ticket
    (verified, processed, answered, closed...): one per person, complaint, day and kind of
    work. ``activity_id`` is set by the one save a tap makes, so a second tap (or the same tap
    delivered again after a kill) finds it and confirms the same entry."""

    __tablename__ = "complaint_work_offer"
    __table_args__ = (
        UniqueConstraint(
            "employee_id", "complaint_id", "work_date", "action", name="uq_complaint_work_offer"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")])
    complaint_id: int = Field(sa_column_args=[ForeignKey("complaint.id", ondelete="CASCADE")])
    action: str = Field(max_length=20)  # a staff Move, or "answer"
    work_date: date
    description: str = Field(max_length=1000)
    target_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("skp_target.id", ondelete="SET NULL")]
    )
    quantity: int | None = Field(default=None)
    output_unit: str | None = Field(default=None, max_length=40)
    activity_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("activity.id", ondelete="SET NULL")]
    )
    created_at: datetime = _ts()
    saved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ComplaintMessage(SQLModel, table=True):
    """A Telegram message the bot sent about a complaint, so that a reply to it can be routed:
    the ticket and its follow-ups in a desk, a question waiting for a reason, or a notice in
    the citizen's chat."""

    __tablename__ = "complaint_message"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id", name="uq_complaint_message_chat_message"),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(
        sa_column_args=[ForeignKey("complaint.id", ondelete="CASCADE")], index=True
    )
    chat_id: int = Field(sa_type=TelegramId)
    message_id: int
    kind: str = Field(max_length=10)  # ticket / desk / prompt / citizen / received (incoming)
    # For a prompt: the move waiting for its note, who was asked, and e.g. the target unit.
    move: str | None = Field(default=None, max_length=20)
    employee_id: int | None = Field(default=None)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()


class ComplaintBan(SQLModel, table=True):
    """A Telegram account that may no longer file complaints (abuse), set by an operator."""

    __tablename__ = "complaint_ban"

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_type=TelegramId, unique=True)
    reason: str = Field(max_length=500)
    banned_by: str = Field(max_length=64)
    created_at: datetime = _ts()


# --- Supervision (issue 6: approvals, team view, feedback notes) ----------------------------


class FeedbackNote(SQLModel, table=True):
    """A "catatan kinerja": continuous feedback a supervisor writes to one employee
    (PermenPANRB 6/2022 "dialog kinerja"), kept as the record and delivered to the employee."""

    __tablename__ = "feedback_note"
    __table_args__ = (Index("ix_feedback_note_employee_created", "employee_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(sa_column_args=[ForeignKey("employee.id", ondelete="CASCADE")])
    supervisor_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("employee.id", ondelete="SET NULL")]
    )
    text: str = Field(max_length=2000)
    created_at: datetime = _ts()
