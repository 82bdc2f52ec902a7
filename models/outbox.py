"""The outbox: every notification that is not a direct reply, as a row with a unique key.

A scheduled job or a handler writes its rows with :func:`enqueue` inside the transaction that
records why it notifies, so a notification exists exactly when its cause does;
``scheduler.outbox.OutboxSender`` delivers them, woken when that transaction commits
(``models/outbox_wake.py``). The key names the notification (``reminder:<employee id>:<date>:<n>``,
``digest:<supervisor id>:<iso week>``), so a job that runs twice, or is retried after a crash,
cannot queue the same message twice.

Life of a row::

    pending ──claim──▶ sending ──▶ sent
       ▲                  │   ├──▶ blocked   (403: blocked, kicked, deactivated; the whole chat)
       └──── retry ───────┘   ├──▶ failed    (400, or transient errors past the attempt limit)
                              └──▶ unknown   (in flight when the sender died: never resent)

The payload is what the Bot API call needs, as JSON (build it with :func:`text_payload`,
:func:`photo_payload`, :func:`document_payload` or, for a person's command menu,
:func:`menu_payload`). Files are named by a path relative to the
data folder, not stored in the row: a chart or XLSX is written once and may be large.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import JSON, Column, Index, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from models import outbox_wake
from models.db import Database, insert_new
from models.types import TelegramId, UTCDateTime, utcnow

SEND_METHODS = ("sendMessage", "sendPhoto", "sendDocument")
# A person's command menu (``BotCommandScopeChat`` of the row's chat): not a message, but a
# call about one chat that must follow a change durably and paced like one (``menu_payload``).
MENU_METHODS = ("setMyCommands", "deleteMyCommands")
FILE_METHODS = {"sendPhoto": "photo", "sendDocument": "document"}
MAX_KEY_LENGTH = 200
MAX_ERROR_LENGTH = 500
_MARKUP_KINDS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNKNOWN = "unknown"


class OutboxMessage(SQLModel, table=True):
    """One notification to one chat."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The sender's scan: pending rows in id order.
        Index("ix_outbox_message_status_id", "status", "id"),
        # Blocking a chat marks its other pending rows.
        Index("ix_outbox_message_chat_status", "chat_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=MAX_KEY_LENGTH, unique=True)
    chat_id: int = Field(sa_type=TelegramId)
    kind: str = Field(max_length=40)  # reminder / digest / nudge / escalation ...
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=10)
    # Calls that may have reached Telegram; a 429 refusal gives its attempt back.
    attempts: int = Field(default=0)
    # Not to be sent before this moment; NULL means as soon as possible. NULL rather than "now"
    # so that rows written under one clock are due under any other (tests move their clocks).
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_error: str | None = Field(default=None, max_length=MAX_ERROR_LENGTH)
    telegram_message_id: int | None = Field(default=None, sa_type=TelegramId, nullable=True)


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A due row as the sender holds it in memory."""

    id: int
    key: str
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


# --- payloads ------------------------------------------------------------------------------


def text_payload(
    text: str,
    *,
    parse_mode: str | None = "HTML",
    reply_markup: dict[str, Any] | None = None,
    disable_notification: bool = False,
    disable_link_preview: bool = True,
) -> dict[str, Any]:
    """A sendMessage; ``reply_markup`` as the Bot API dict (``InlineKeyboardMarkup.to_dict()``)."""
    payload: dict[str, Any] = {"method": "sendMessage", "text": text}
    _common(payload, parse_mode, reply_markup, disable_notification)
    if disable_link_preview:
        payload["disable_link_preview"] = True
    validate_payload(payload)
    return payload


def photo_payload(
    path: str,
    *,
    caption: str | None = None,
    filename: str | None = None,
    parse_mode: str | None = "HTML",
    reply_markup: dict[str, Any] | None = None,
    disable_notification: bool = False,
) -> dict[str, Any]:
    """A sendPhoto of a file under the data folder (``path`` relative to it, with ``/``)."""
    return _file_payload(
        "sendPhoto", path, caption, filename, parse_mode, reply_markup, disable_notification
    )


def document_payload(
    path: str,
    *,
    caption: str | None = None,
    filename: str | None = None,
    parse_mode: str | None = "HTML",
    reply_markup: dict[str, Any] | None = None,
    disable_notification: bool = False,
) -> dict[str, Any]:
    """A sendDocument of a file under the data folder; ``filename`` is what the person sees."""
    return _file_payload(
        "sendDocument", path, caption, filename, parse_mode, reply_markup, disable_notification
    )


def menu_payload(commands: Sequence[dict[str, str]] | None) -> dict[str, Any]:
    """The command menu of the row's chat: ``commands`` (``BotCommand.to_dict()`` each), or
    None to remove the chat's own menu, so that Telegram shows the default one again."""
    payload: dict[str, Any] = (
        {"method": "deleteMyCommands"}
        if commands is None
        else {"method": "setMyCommands", "commands": [dict(c) for c in commands]}
    )
    validate_payload(payload)
    return payload


def _file_payload(
    method: str,
    path: str,
    caption: str | None,
    filename: str | None,
    parse_mode: str | None,
    reply_markup: dict[str, Any] | None,
    disable_notification: bool,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"method": method, "file": path}
    if filename:
        payload["filename"] = filename
    if caption:
        payload["caption"] = caption
    _common(payload, parse_mode, reply_markup, disable_notification)
    validate_payload(payload)
    return payload


def _common(
    payload: dict[str, Any],
    parse_mode: str | None,
    reply_markup: dict[str, Any] | None,
    disable_notification: bool,
) -> None:
    if parse_mode:
        payload["parse_mode"] = parse_mode
    if reply_markup:
        payload["reply_markup"] = reply_markup
    if disable_notification:
        payload["disable_notification"] = True


def validate_payload(payload: dict[str, Any]) -> None:
    """Raise ValueError for a payload the sender could not send.

    Checked when the row is written, so that a job's bug fails the job (visible, with its
    stack) instead of becoming a ``failed`` row discovered later.
    """
    method = payload.get("method")
    if method in MENU_METHODS:
        _validate_menu(payload)
        return
    if method not in SEND_METHODS:
        raise ValueError(f"outbox payload method must be one of {SEND_METHODS}, not {method!r}")
    if method == "sendMessage":
        if not isinstance(payload.get("text"), str) or not payload["text"].strip():
            raise ValueError("a sendMessage payload needs a non-empty text")
    else:
        file = payload.get("file")
        if not isinstance(file, str) or not file:
            raise ValueError(f"a {method} payload needs a file path under the data folder")
        relative = PurePosixPath(file)
        if relative.is_absolute() or ".." in relative.parts or "\\" in file:
            raise ValueError(f"outbox file paths are relative to the data folder: {file!r}")
    markup = payload.get("reply_markup")
    if markup is not None and not (
        isinstance(markup, dict) and any(kind in markup for kind in _MARKUP_KINDS)
    ):
        raise ValueError("reply_markup must be a Bot API markup dict (e.g. inline_keyboard)")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"outbox payload is not JSON: {exc}") from None


def _validate_menu(payload: dict[str, Any]) -> None:
    if payload["method"] == "deleteMyCommands":
        return
    commands = payload.get("commands")
    if not isinstance(commands, list) or not all(
        isinstance(c, dict) and isinstance(c.get("command"), str) and c.get("description")
        for c in commands
    ):
        raise ValueError("a setMyCommands payload needs a list of commands with descriptions")


# --- writing -------------------------------------------------------------------------------


async def enqueue(
    session: AsyncSession,
    key: str,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    not_before: datetime | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """Queue one notification in the caller's transaction (use inside ``db.write()``).

    Returns False, and changes nothing, when a row with this key already exists, whatever its
    status: the key says "this notification", and it is sent at most once. Nothing is committed
    here; the row commits or rolls back with whatever caused it.
    """
    return bool(await enqueue_many(session, [(key, chat_id, payload)], kind, not_before, now=now))


# Rows per INSERT in enqueue_many: each statement binds many values, so it runs on aiosqlite's
# thread (``models.sqlite_driver``) and the event loop has a turn between two; 200 rows are a
# few milliseconds of the loop's time (checks, and SQLAlchemy's binding), not a wave's 50.
_ROWS_PER_INSERT = 200


async def enqueue_many(
    session: AsyncSession,
    rows: Sequence[tuple[str, int, dict[str, Any]]],
    kind: str,
    not_before: datetime | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """:func:`enqueue` for many ``(key, chat id, payload)`` rows of one kind, a few statements
    for all of them: a job queuing a wave (a weekly digest for every supervisor) holds the
    database's writer for milliseconds instead of a statement per row. Returns how many rows
    were new; a key already queued is skipped as :func:`enqueue` skips it. A row that fails
    :func:`validate_payload` raises before its statement, and the caller's transaction rolls
    back the rows written before it."""
    if not_before is not None and not_before.tzinfo is None:
        raise ValueError("not_before must be timezone-aware")
    stamp = now or utcnow()
    written = 0
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        values = []
        for key, chat_id, payload in rows[start : start + _ROWS_PER_INSERT]:
            if not key or len(key) > MAX_KEY_LENGTH:
                raise ValueError(f"outbox key must be 1..{MAX_KEY_LENGTH} characters: {key!r}")
            validate_payload(payload)
            values.append(
                {
                    "key": key,
                    "chat_id": chat_id,
                    "kind": kind,
                    "payload": payload,
                    "status": OutboxStatus.PENDING.value,
                    "attempts": 0,
                    "not_before": not_before,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        # On PostgreSQL the same statement NOTIFYs the other processes' senders.
        written += len(
            await insert_new(
                session, OutboxMessage, values, key=["key"], notify=outbox_wake.CHANNEL
            )
        )
    if written:
        # Whoever delivers in this process is woken when this transaction commits
        # (models/outbox_wake.py).
        outbox_wake.mark(session)
    return written


def _short(error: str) -> str:
    return error if len(error) <= MAX_ERROR_LENGTH else error[: MAX_ERROR_LENGTH - 1] + "…"


async def claim_for_sending(session: AsyncSession, message_id: int, now: datetime) -> bool:
    """pending → sending, attempts + 1; False if the row is no longer pending."""
    return message_id in await claim_many(session, [message_id], now)


async def claim_many(session: AsyncSession, message_ids: Sequence[int], now: datetime) -> set[int]:
    """pending → sending, attempts + 1, for several rows in one statement: the ids claimed.

    The condition on ``status`` is what makes a second sender (or a stale in-memory copy) unable
    to send the same row again.
    """
    if not message_ids:
        return set()
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(message_ids),
            col(OutboxMessage.status) == OutboxStatus.PENDING,
        )
        .values(
            status=OutboxStatus.SENDING,
            attempts=col(OutboxMessage.attempts) + 1,
            updated_at=now,
        )
        .returning(col(OutboxMessage.id))
    )
    return {i for i in (await session.execute(statement)).scalars() if i is not None}


_ROWS = OutboxMessage.metadata.tables["outbox_message"]  # SQLModel: __table__ untyped
# ``unknown`` too: if another process's start-up marked our in-flight row, the truth (it was
# delivered) still wins.
_SENT = (
    update(_ROWS)
    .where(
        _ROWS.c.id == bindparam("row"),
        or_(_ROWS.c.status == OutboxStatus.SENDING, _ROWS.c.status == OutboxStatus.UNKNOWN),
    )
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("now"),
        telegram_message_id=bindparam("telegram"),
        last_error=None,
        updated_at=bindparam("now"),
    )
)


async def mark_sent_many(
    session: AsyncSession, sent: Sequence[tuple[int, int | None, datetime]]
) -> None:
    """Rows sent (id, Telegram's message id, when) marked ``sent`` in one trip."""
    if sent:
        rows = [{"row": row, "telegram": telegram, "now": at} for row, telegram, at in sent]
        await session.execute(_SENT, rows)


async def release(
    session: AsyncSession,
    message_id: int,
    now: datetime,
    *,
    error: str | None,
    refund_attempt: bool,
) -> None:
    """sending → pending, to be tried again. ``refund_attempt`` for calls Telegram refused
    outright (429): they do not count towards the attempt limit."""
    values: dict[str, Any] = {"status": OutboxStatus.PENDING, "updated_at": now}
    if error is not None:
        values["last_error"] = _short(error)
    if refund_attempt:
        values["attempts"] = col(OutboxMessage.attempts) - 1
    await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == OutboxStatus.SENDING
        )
        .values(**values)
    )


async def mark_failed(session: AsyncSession, message_id: int, error: str, now: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(status=OutboxStatus.FAILED, last_error=_short(error), updated_at=now)
    )


async def block_chat(session: AsyncSession, chat_id: int, error: str, now: datetime) -> int:
    """Telegram refused the chat (403): this row and every other pending row of the chat become
    ``blocked``. Returns how many rows changed."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(status=OutboxStatus.BLOCKED, last_error=_short(error), updated_at=now)
        .returning(col(OutboxMessage.id))
    )
    return len(result.all())


async def move_chat(
    session: AsyncSession, old_chat_id: int, new_chat_id: int, now: datetime
) -> int:
    """A group became a supergroup and got a new id: its unsent rows (including the one whose
    call told us) go to the new id, as pending."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == old_chat_id,
            col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(
            chat_id=new_chat_id,
            status=OutboxStatus.PENDING,
            last_error=f"group migrated from {old_chat_id}",
            updated_at=now,
        )
        .returning(col(OutboxMessage.id))
    )
    return len(result.all())


async def mark_in_flight_unknown(db: Database, now: datetime) -> list[OutboxMessage]:
    """Start-up: rows still ``sending`` were in flight when the previous sender stopped.

    Telegram may or may not have delivered them and cannot be asked, so they become ``unknown``
    and are never sent again (at most once for them; see scheduler/outbox/). Returns them, as
    they were, for the log.
    """
    async with db.write() as session:
        rows = list(
            (
                await session.execute(
                    select(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.SENDING)
                )
            ).scalars()
        )
        if rows:
            await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.status) == OutboxStatus.SENDING)
                .values(
                    status=OutboxStatus.UNKNOWN,
                    last_error="in flight when the sender stopped; not resent",
                    updated_at=now,
                )
            )
    return rows


# --- reading -------------------------------------------------------------------------------


def _due(now: datetime) -> Any:
    return (col(OutboxMessage.status) == OutboxStatus.PENDING) & or_(
        col(OutboxMessage.not_before).is_(None),
        col(OutboxMessage.not_before) <= now,
    )


def _due_statement(now: datetime, limit: int, per_chat: int) -> Any:
    ranked = (
        select(
            col(OutboxMessage.id),
            col(OutboxMessage.key),
            col(OutboxMessage.chat_id),
            col(OutboxMessage.kind),
            col(OutboxMessage.payload),
            col(OutboxMessage.attempts),
            func.row_number()
            .over(partition_by=col(OutboxMessage.chat_id), order_by=col(OutboxMessage.id))
            .label("rank"),
        )
        .where(_due(now))
        .subquery()
    )
    return (
        select(
            ranked.c.id,
            ranked.c.key,
            ranked.c.chat_id,
            ranked.c.kind,
            ranked.c.payload,
            ranked.c.attempts,
        )
        .where(ranked.c.rank <= per_chat)
        .order_by(ranked.c.id)
        .limit(limit)
    )


def _upcoming_statement(now: datetime) -> Any:
    return select(func.min(col(OutboxMessage.not_before))).where(
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.not_before) > now,
    )


async def due_messages(
    db: Database, now: datetime, *, limit: int, per_chat: int
) -> list[QueuedMessage]:
    """Pending rows due at ``now``, oldest first, at most ``per_chat`` of any one chat.

    The per-chat cap keeps one chat with a long backlog (a group at 20 messages a minute) from
    filling the batch and holding back everybody queued after it.
    """
    return (await due_and_upcoming(db, now, limit=limit, per_chat=per_chat))[0]


_ROWS_PER_TURN = 250


async def due_and_upcoming(
    db: Database, now: datetime, *, limit: int, per_chat: int
) -> tuple[list[QueuedMessage], datetime | None]:
    """:func:`due_messages`, and when the earliest pending row not yet due becomes due, in one
    session: the sender's re-read, which a notice committed meanwhile waits for (one
    connection and transaction instead of two: a few round trips less on PostgreSQL)."""
    due: list[QueuedMessage] = []
    async with db.read() as session:
        result = await session.execute(_due_statement(now, limit, per_chat))
        # Each row's payload is parsed as it is read, in Python on the event loop: a digest
        # wave's 1,000 rows were one step of 10-40 ms, now a few of a quarter of that.
        for rows in result.partitions(_ROWS_PER_TURN):
            due.extend(QueuedMessage(*row) for row in rows)
            await asyncio.sleep(0)
        upcoming = (await session.execute(_upcoming_statement(now))).scalar_one_or_none()
    return due, upcoming


async def status_counts(db: Database) -> dict[str, int]:
    """How many rows are in each status (for operators and tests)."""
    statement = select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
    async with db.read() as session:
        return {status: count for status, count in (await session.execute(statement)).all()}


async def pending_summary(db: Database) -> tuple[int, datetime | None]:
    """Rows waiting to be sent and when the oldest of them became due (its ``not_before``, or
    when it was written): how far behind the sender is (the operator's figures)."""
    due_since = func.coalesce(col(OutboxMessage.not_before), col(OutboxMessage.created_at))
    statement = select(func.count(), func.min(due_since, type_=UTCDateTime)).where(
        col(OutboxMessage.status) == OutboxStatus.PENDING
    )
    async with db.read() as session:
        count, oldest = (await session.execute(statement)).one()
    return int(count), oldest


async def ensure_outbox_table(db: Database) -> None:
    """Tests and benchmarks call this on databases they built themselves; migration 0004 makes
    the table everywhere else, so this only creates it when missing."""
    table = OutboxMessage.metadata.tables["outbox_message"]  # SQLModel does not type __table__
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda sync: table.create(sync, checkfirst=True))
