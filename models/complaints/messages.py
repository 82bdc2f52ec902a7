"""Messages about a complaint between the citizen and the desk, and the Telegram messages that
route them: each incoming message stored once (a delivery again after a crash is recognised
and its owed relay finished), the hourly limit, tickets and the questions asked as replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.complaints import FINAL, Status
from models.activities import EvidenceDraft
from models.complaints.errors import AlreadyRecorded, Banned, ComplaintClosed, MessageLimit
from models.complaints.filing import add_attachments
from models.complaints.limits import banned_in
from models.complaints.work import WorkOffer, offer_work
from models.db import Database, insert_once, rows_changed
from models.one_trip import Prepared, Step, prepared_insert, run
from models.tables import Complaint, ComplaintEvent, ComplaintMessage, TelegramUser, Unit
from models.types import utcnow

_MESSAGES = ComplaintMessage.metadata.tables["complaint_message"]  # SQLModel: __table__ untyped
_REMEMBER = prepared_insert(_MESSAGES, [c.name for c in _MESSAGES.c if c.name != "id"])
_RELAYED = Prepared(
    update(_MESSAGES)
    .where(
        _MESSAGES.c.chat_id == bindparam("chat"),
        _MESSAGES.c.message_id == bindparam("message"),
        _MESSAGES.c.kind == "received",
    )
    .values(detail=bindparam("detail", value={"relayed": True}, type_=_MESSAGES.c.detail.type))
)
_COMPLAINTS = Complaint.metadata.tables["complaint"]
_TICKET = Prepared(
    update(_COMPLAINTS)
    .where(_COMPLAINTS.c.id == bindparam("complaint"))
    .values(desk_chat_id=bindparam("chat"), ticket_message_id=bindparam("message"))
)


async def add_message(
    db: Database,
    complaint_id: int,
    *,
    side: str,
    text: str | None,
    attachments: Sequence[EvidenceDraft] = (),
    actor: str,
    now: datetime,
    employee_id: int | None = None,
    reporter_telegram_id: int | None = None,
    source: tuple[int, int] | None = None,
    per_hour: int | None = None,
    work: WorkOffer | None = None,
) -> tuple[Complaint, ComplaintEvent]:
    """A message from the citizen (``side="citizen"``) or from staff, stored with the
    complaint (a staff answer offers its writer the work as an activity: ``work``). Raises
    ``ComplaintClosed`` on closed complaints, ``LookupError`` if the
    reporter does not match, ``AlreadyRecorded`` when ``source`` (the incoming message's chat
    and message id) was stored before, ``MessageLimit`` past ``per_hour`` citizen messages."""
    async with db.write() as session:
        complaint = await _open_complaint(session, complaint_id, reporter_telegram_id)
        again = None
        if source is not None and not await _claim_incoming(session, complaint_id, source, now):
            received = (
                await session.execute(
                    select(col(ComplaintMessage.detail)).where(
                        col(ComplaintMessage.chat_id) == source[0],
                        col(ComplaintMessage.message_id) == source[1],
                    )
                )
            ).scalar_one()
            # Rows from before the mark existed were relayed in the same update. Raised after
            # the block: an exception inside it would roll back and detach ``complaint``.
            again = AlreadyRecorded(complaint, relayed=received.get("relayed", True))
        else:
            if per_hour is not None:
                await _check_limit(session, complaint, now, per_hour)
            event = ComplaintEvent(
                complaint_id=complaint_id,
                at=now,
                actor=actor,
                employee_id=employee_id,
                action=f"{side}_message",
                note=text,
            )
            session.add(event)
            await session.flush()
            add_attachments(session, complaint, event, attachments, now)
            complaint.updated_at = now
            if work is not None:
                await offer_work(session, complaint, "answer", work, now)
    if again is not None:
        raise again
    return complaint, event


async def check_citizen_message(
    db: Database,
    complaint_id: int,
    *,
    reporter_telegram_id: int,
    now: datetime,
    per_hour: int,
    source: tuple[int, int] | None = None,
) -> None:
    """Whether ``add_message`` would take this citizen's message, asked before anything is
    downloaded for it: raises ``Banned``, ``LookupError``, ``ComplaintClosed`` or
    ``MessageLimit`` as it would. A message stored before (delivered again) passes."""
    async with db.read() as session:
        if await banned_in(session, reporter_telegram_id):
            raise Banned()
        complaint = await _open_complaint(session, complaint_id, reporter_telegram_id)
        if source is not None:
            known = await session.execute(
                select(col(ComplaintMessage.id)).where(
                    col(ComplaintMessage.chat_id) == source[0],
                    col(ComplaintMessage.message_id) == source[1],
                )
            )
            if known.first() is not None:
                return
        await _check_limit(session, complaint, now, per_hour)


async def _open_complaint(
    session: AsyncSession, complaint_id: int, reporter_telegram_id: int | None
) -> Complaint:
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None or (
        reporter_telegram_id is not None and complaint.reporter_telegram_id != reporter_telegram_id
    ):
        raise LookupError(complaint_id)
    if Status(complaint.status) in FINAL or complaint.purged_at is not None:
        raise ComplaintClosed()
    return complaint


async def _check_limit(
    session: AsyncSession, complaint: Complaint, now: datetime, per_hour: int
) -> None:
    """At most ``per_hour`` citizen messages about a complaint in any hour: each one reaches
    the unit's group, and a group takes about 20 messages a minute from the bot in all."""
    hour = timedelta(hours=1)
    sent = list(
        (
            await session.execute(
                select(col(ComplaintEvent.at))
                .where(
                    col(ComplaintEvent.complaint_id) == complaint.id,
                    col(ComplaintEvent.action) == "citizen_message",
                    col(ComplaintEvent.at) > now - hour,
                )
                .order_by(col(ComplaintEvent.at))
            )
        ).scalars()
    )
    if len(sent) >= per_hour:
        raise MessageLimit(complaint.tracking_number, sent[len(sent) - per_hour] + hour)


async def _claim_incoming(
    session: AsyncSession, complaint_id: int, source: tuple[int, int], now: datetime
) -> bool:
    """Remember an incoming message under the (chat, message) key that routes replies; False if
    it was remembered before. Kind ``received`` is never a reply target."""
    values = {
        "complaint_id": complaint_id,
        "chat_id": source[0],
        "message_id": source[1],
        "kind": "received",
        "detail": {"relayed": False},
        "created_at": now,
    }
    return await insert_once(session, ComplaintMessage, values, key=["chat_id", "message_id"])


async def mark_relayed(db: Database, source: tuple[int, int]) -> None:
    """The incoming message ``source`` has been passed on (to the desk or to the citizen)."""
    await record(db, [relayed(source)])


async def set_ticket(
    db: Database,
    complaint_id: int,
    chat_id: int,
    message_id: int,
    *,
    disclosed: Step | None = None,
) -> None:
    """Link a posted ticket; ``disclosed``: the audit record of the reporter's identity shown
    by it (``models.complaints.disclosure``), committed with the link."""
    steps: list[Step] = [
        (_TICKET, {"complaint": complaint_id, "chat": chat_id, "message": message_id}),
        *remembered(complaint_id, chat_id, [message_id], "ticket"),
    ]
    if disclosed is not None:
        steps.append(disclosed)
    await run(db, steps, write=True)


LATEST_SEARCHED = 12  # a notice and its attachments (at most 10) fit


async def remember_messages(
    db: Database,
    complaint_id: int,
    chat_id: int,
    message_ids: Sequence[int],
    kind: str,
    **options: Any,
) -> None:
    """Messages sent about a complaint, so that replies to them are routed (``options``: those
    of :func:`remembered`)."""
    await record(db, remembered(complaint_id, chat_id, message_ids, kind, **options))


def remembered(
    complaint_id: int,
    chat_id: int,
    message_ids: Sequence[int],
    kind: str,
    *,
    move: str | None = None,
    employee_id: int | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> list[Step]:
    """:func:`remember_messages` as statements for :func:`record`."""
    common = {
        "complaint_id": complaint_id,
        "chat_id": chat_id,
        "kind": kind,
        "move": move,
        "employee_id": employee_id,
        "detail": detail or {},
        "created_at": now or utcnow(),
    }
    return [(_REMEMBER, {**common, "message_id": message_id}) for message_id in message_ids]


def relayed(source: tuple[int, int]) -> Step:
    """:func:`mark_relayed` as a statement for :func:`record`."""
    return (_RELAYED, {"chat": source[0], "message": source[1]})


async def record(db: Database, steps: Sequence[Step]) -> None:
    """Messages remembered and marks set, in one transaction sent to SQLite in one trip
    (``models.one_trip``): one of these follows every notice and ticket, and through the ORM
    each held the one writer's lock for a trip through a busy event loop per statement
    (bench/notify_latency.py)."""
    if steps:
        await run(db, steps, write=True)


async def latest_notice(db: Database, complaint_id: int, chat_id: int) -> int | None:
    """The newest notice sent to the citizen about this complaint with buttons under it
    (remembered with ``detail={"buttons": True}``): the one whose buttons are to go when a
    newer notice brings its own."""
    async with db.read() as session:
        return await _latest_notice(session, complaint_id, chat_id)


class NoticeState(NamedTuple):
    """What a notice to the reporter needs first (``notice_state``)."""

    language: str | None  # the language they chose
    blocked: bool  # they blocked the bot (``citizen_chat_state``)
    earlier: int | None  # ``latest_notice``; None when blocked
    unit_name: str  # the name of the complaint's unit, which most notices give


_USERS = TelegramUser.metadata.tables["telegram_user"]
_UNITS = Unit.metadata.tables["unit"]
_CHAT_STATE = Prepared(
    select(_USERS.c.language, _USERS.c.blocked_at).where(_USERS.c.id == bindparam("chat"))
)
_LATEST_NOTICES = Prepared(
    select(_MESSAGES.c.message_id, _MESSAGES.c.detail)
    .where(
        _MESSAGES.c.complaint_id == bindparam("complaint"),
        _MESSAGES.c.chat_id == bindparam("chat"),
        _MESSAGES.c.kind == "citizen",
    )
    .order_by(_MESSAGES.c.message_id.desc())
    .limit(LATEST_SEARCHED)
)
_UNIT_NAME = Prepared(select(_UNITS.c.name).where(_UNITS.c.id == bindparam("unit")))


async def notice_state(db: Database, complaint: Complaint, chat_id: int) -> NoticeState:
    """What a notice to the reporter needs first, in one trip (``models.one_trip``): one
    precedes every notice, and before it the unit's name took a session of its own."""
    user, notices, unit = await run(
        db,
        [
            (_CHAT_STATE, {"chat": chat_id}),
            (_LATEST_NOTICES, {"complaint": complaint.id, "chat": chat_id}),
            (_UNIT_NAME, {"unit": complaint.unit_id}),
        ],
        write=False,
    )
    language, blocked_at = user.rows[0] if user.rows else (None, None)
    unit_name = unit.rows[0][0] if unit.rows else ""
    if blocked_at is not None:
        return NoticeState(language, True, None, unit_name)
    return NoticeState(language, False, _with_buttons(notices.rows), unit_name)


def _with_buttons(rows: Sequence[tuple[Any, ...]]) -> int | None:
    return next((message_id for message_id, detail in rows if detail.get("buttons")), None)


async def _latest_notice(session: AsyncSession, complaint_id: int, chat_id: int) -> int | None:
    rows = (
        await session.execute(
            select(col(ComplaintMessage.message_id), col(ComplaintMessage.detail))
            .where(
                col(ComplaintMessage.complaint_id) == complaint_id,
                col(ComplaintMessage.chat_id) == chat_id,
                col(ComplaintMessage.kind) == "citizen",
            )
            .order_by(col(ComplaintMessage.message_id).desc())
            .limit(LATEST_SEARCHED)
        )
    ).all()
    return _with_buttons(rows)


async def find_message(db: Database, chat_id: int, message_id: int) -> ComplaintMessage | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(ComplaintMessage).where(
                    col(ComplaintMessage.chat_id) == chat_id,
                    col(ComplaintMessage.message_id) == message_id,
                )
            )
        ).scalar_one_or_none()


async def find_message_with_complaint(
    db: Database, chat_id: int, message_id: int
) -> tuple[ComplaintMessage, Complaint | None] | None:
    """``find_message`` and the complaint it belongs to (None if gone), in one statement: a
    reply in a desk group reads both before anything else (bench/notify_latency.py)."""
    async with db.read() as session:
        found = (
            await session.execute(
                select(ComplaintMessage, Complaint)
                .outerjoin(Complaint, col(Complaint.id) == ComplaintMessage.complaint_id)
                .where(
                    col(ComplaintMessage.chat_id) == chat_id,
                    col(ComplaintMessage.message_id) == message_id,
                )
            )
        ).one_or_none()
    return None if found is None else (found[0], found[1])


async def unannounced_move(
    db: Database, complaint_id: int, action: str, actor: str
) -> ComplaintEvent | None:
    """The complaint's latest event when it is ``action`` by ``actor`` and no notice to the
    citizen was remembered since: a move committed by a process killed before it told anyone,
    whose press has come round again."""
    async with db.read() as session:
        event = (
            await session.execute(
                select(ComplaintEvent)
                .where(col(ComplaintEvent.complaint_id) == complaint_id)
                .order_by(col(ComplaintEvent.id).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if event is None or (event.action, event.actor) != (action, actor):
            return None
        told = (
            await session.execute(
                select(col(ComplaintMessage.detail)).where(
                    col(ComplaintMessage.complaint_id) == complaint_id,
                    col(ComplaintMessage.kind) == "citizen",
                )
            )
        ).scalars()
        if any(detail.get("event") == event.id for detail in told):
            return None
        return event


async def prompt_asked_again(
    db: Database, chat_id: int, message_id: int, employee_id: int
) -> ComplaintMessage | None:
    """The first open question to ``employee_id`` in ``chat_id`` asked after ``message_id``: the
    same question again, when the process that asked it first was killed before it remembered
    it (the press came round again and was handled anew). The caller checks that the first
    one named the same complaint."""
    async with db.read() as session:
        return (
            await session.execute(
                select(ComplaintMessage)
                .where(
                    col(ComplaintMessage.chat_id) == chat_id,
                    col(ComplaintMessage.kind) == "prompt",
                    col(ComplaintMessage.employee_id) == employee_id,
                    col(ComplaintMessage.message_id) > message_id,
                )
                .order_by(col(ComplaintMessage.message_id))
                .limit(1)
            )
        ).scalar_one_or_none()


async def take_prompt(db: Database, prompt_id: int) -> bool:
    """Use a question once: True for the first answer, False for any later one."""
    async with db.write() as session:
        return await take_prompt_in(session, prompt_id)


async def take_prompt_in(session: AsyncSession, prompt_id: int) -> bool:
    """:func:`take_prompt` in the caller's transaction: the move it asked the reason for
    (``apply_move``), so that a kill between the two cannot use the question up and lose the
    move."""
    removed = await rows_changed(
        session,
        delete(ComplaintMessage).where(
            col(ComplaintMessage.id) == prompt_id, col(ComplaintMessage.kind) == "prompt"
        ),
    )
    return bool(removed)
