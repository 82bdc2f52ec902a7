"""Core tables: units, employees, Telegram accounts and their link, invites, audit log, and the
state of multi-step conversations.

Roles (see ``domain.access``): employee, supervisor, complaint_handler, admin. They are stored as
a comma-separated set because the vocabulary is small and fixed and every query that needs one
filters by unit first.
"""

from __future__ import annotations

from datetime import datetime
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
