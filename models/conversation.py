"""Storage of multi-step conversations (see ``Conversation`` in ``models.tables``)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.files import stored_relative
from models import audit
from models.db import Database, after_commit, rows_changed, upsert
from models.files import FileCount, delete_files, draft_files, referenced, stored_before
from models.one_trip import Outcome, Prepared, Step, prepared_upsert, run
from models.schedule import claim_run
from models.tables import Conversation, FlowReceipt
from models.types import as_loaded, utcnow

# The quick log's statements, built once: SQLAlchemy's cache then serves their compiled form
# without building a statement, or its cache key, per update (bench/paths.py).
_CONVERSATIONS = Conversation.metadata.tables["conversation"]  # SQLModel does not type __table__
_RECEIPTS = FlowReceipt.metadata.tables["flow_receipt"]
_PERSON = ("chat_id", "user_id")
_END = delete(_CONVERSATIONS).where(
    _CONVERSATIONS.c.chat_id == bindparam("chat"), _CONVERSATIONS.c.user_id == bindparam("user")
)
_END_VERSION = _END.where(_CONVERSATIONS.c.version == bindparam("version"))
_MOVE = update(_CONVERSATIONS).where(
    _CONVERSATIONS.c.id == bindparam("was_id"),
    _CONVERSATIONS.c.version == bindparam("was_version"),
    _CONVERSATIONS.c.step == bindparam("was_step"),
)
# The busiest of them in one trip each (``models.one_trip``): a person's conversation read, begun
# (replacing any other) or moved on in a transaction of its own.
_LOAD = Prepared(
    select(*_CONVERSATIONS.c).where(
        _CONVERSATIONS.c.chat_id == bindparam("chat"), _CONVERSATIONS.c.user_id == bindparam("user")
    )
)
_RECEIPT = Prepared(
    select(*_RECEIPTS.c).where(
        _RECEIPTS.c.chat_id == bindparam("chat"), _RECEIPTS.c.user_id == bindparam("user")
    )
)
_MOVE_ALONE = Prepared(
    _MOVE.values(
        {
            name: bindparam(name, type_=_CONVERSATIONS.c[name].type)
            for name in ("step", "data", "last_update_id", "updated_at", "version")
        }
    )
)


_END_ALONE = Prepared(_END)
_END_VERSION_ALONE = Prepared(_END_VERSION)


class StaleStep(Exception):
    """Another update already moved this conversation on (a double tap, a redelivery)."""


class FlowEnd(NamedTuple):
    """Which conversation a save ends, and how to confirm that save again: the update that
    saved it and what its confirmation shows (``receipt``). Unpacks like the older
    ``(chat_id, user_id, version)`` tuple."""

    chat_id: int
    user_id: int
    version: int
    update_id: int | None = None
    receipt: dict[str, Any] | None = None
    flow: str = ""
    callback_data: str | None = None


async def finish_in(
    session: AsyncSession,
    chat_id: int | None,
    user_id: int | None,
    version: int | None,
    update_id: int | None = None,
    receipt: dict[str, Any] | None = None,
    flow: str = "",
    callback_data: str | None = None,
) -> bool:
    """End the flow in the same transaction as the save (of an activity, a complaint, an
    assessment, an answer), so that a second Save (a double tap) finds no flow and can create
    no second row; False if it had ended already. With
    ``update_id`` the save leaves a receipt, so the same update delivered again after a kill
    (before its confirmation went out) is confirmed again rather than called stale."""
    if chat_id is None or user_id is None:
        return True
    memory = _memory_of(session)
    key = (chat_id, user_id)
    if memory is not None:
        memory.open.pop(key, None)  # read from the database until the commit says
    person = {"chat": chat_id, "user": user_id}
    if version is None:
        ended = await rows_changed(session, _END, person)
    else:
        ended = await rows_changed(session, _END_VERSION, person | {"version": version})
    if not ended:
        return False
    if update_id is not None:
        end = FlowEnd(chat_id, user_id, version or 0, update_id, receipt, flow, callback_data)
        await leave_receipt(session, end, receipt or {})
    elif memory is not None:
        after_commit(session, lambda: memory.ended(key, None))
    return True


class Ending(NamedTuple):
    """:func:`finish_in` as statements of the save's own trip (``models.one_trip.run``):
    ``steps[0]`` ends the flow and is the trip's guard (no row: it had ended already, and
    nothing of the save is written); ``committed`` tells this process's memory once the trip
    has committed."""

    steps: list[Step]
    committed: Callable[[], None]


def ending(db: Database, end: FlowEnd | tuple[int, int, int]) -> Ending | None:
    """The statements that end ``end``'s flow and leave its receipt (as :func:`finish_in` with
    ``end``'s fields); None when there is no flow to end (no chat or person)."""
    end = FlowEnd(*end)
    if end.chat_id is None or end.user_id is None:
        return None
    memory = _memory_of_db(db)
    key = (end.chat_id, end.user_id)
    if memory is not None:
        memory.open.pop(key, None)  # read from the database until the commit says
    person = {"chat": end.chat_id, "user": end.user_id}
    steps: list[Step] = [
        (_END_ALONE, person)
        if end.version is None
        else (_END_VERSION_ALONE, person | {"version": end.version})
    ]
    values: dict[str, Any] | None = None
    if end.update_id is not None:
        values = _receipt_values(end, end.receipt or {})
        steps.append((prepared_upsert(db.dialect, _RECEIPTS, _PERSON), values))

    def committed() -> None:
        if memory is not None:
            memory.ended(key, _receipt(values) if values is not None else None)

    return Ending(steps, committed)


def _receipt_values(end: FlowEnd, receipt: dict[str, Any]) -> dict[str, Any]:
    return {
        "chat_id": end.chat_id,
        "user_id": end.user_id,
        "flow": end.flow,
        "update_id": end.update_id,
        "callback_data": end.callback_data,
        "data": receipt,
        "finished_at": utcnow(),
    }


def _receipt(values: dict[str, Any]) -> FlowReceipt:
    """The receipt row ``values`` wrote (``models.types.as_loaded``)."""
    return as_loaded(FlowReceipt, {"id": None, **values})


async def leave_receipt(session: AsyncSession, end: FlowEnd, receipt: dict[str, Any]) -> None:
    """The receipt of a save, in its transaction: :func:`finish_in` leaves it when the receipt
    is known beforehand; a save whose confirmation needs what the save made (a complaint's
    tracking number) ends the flow with ``finish_in(session, *end[:3])`` and leaves the
    receipt once it has it."""
    if end.update_id is None:
        return
    values = _receipt_values(end, receipt)
    # One row per person: the last save's receipt replaces the one before.
    await session.execute(upsert(session.get_bind().dialect.name, _RECEIPTS, _PERSON), values)
    row = _receipt(values)
    memory = _memory_of(session)
    if memory is not None:
        key = (end.chat_id, end.user_id)
        memory.receipts.pop(key, None)  # unknown until the commit says which is true
        after_commit(session, lambda: memory.ended(key, row))


async def leave_counts(session: AsyncSession, end: FlowEnd | None, **counts: int) -> None:
    """The receipt of an import applied from a chat preview (``models.roster``,
    ``models.targets``, the complaint categories): what the handler put in ``end.receipt``
    and what the import counted, so that a second press is told the same counts."""
    if end is not None:
        await leave_receipt(session, end, {**(end.receipt or {}), **counts})


async def receipt_for(
    db: Database, chat_id: int, user_id: int, update_id: int, callback_data: str | None = None
) -> FlowReceipt | None:
    """The receipt of this person's last save if this update made it (it is being delivered
    again) or presses the button that made it (again: its confirmation may have been lost)."""
    memory = _memory_of_db(db)
    key = (chat_id, user_id)
    if memory is not None and key in memory.receipts:
        receipt = memory.receipts[key]
    else:
        saved = memory.saved if memory is not None else 0
        # Read once per person (then remembered): a citizen's first message asks it, and
        # through the ORM's session it cost as much as the rest of that message's reads.
        (read,) = await run(db, [(_RECEIPT, {"chat": chat_id, "user": user_id})], write=False)
        receipt = _receipt_of(read)
        if memory is not None and memory.saved == saved:  # no save overlapped the read
            memory.remember_receipt(key, receipt)
    if receipt is None:
        return None
    again = callback_data is not None and receipt.callback_data == callback_data
    return receipt if receipt.update_id == update_id or again else None


def _receipt_of(read: Outcome) -> FlowReceipt | None:
    if not read.rows:
        return None
    names = (column.name for column in _RECEIPTS.c)
    return _receipt(dict(zip(names, read.rows[0], strict=True)))


def _conversation(columns: dict[str, Any]) -> Conversation:
    """A ``Conversation`` of these values, every column given (``models.types.as_loaded``): a
    free-text update of a citizen or an employee makes two or three of them (read, moved on),
    which through ``Conversation(**columns)`` cost as much as its write."""
    return as_loaded(Conversation, columns)


class _Memory:
    """What this process knows of the conversations and receipts in one database.

    ``keys``: who is known to have no conversation open. Most updates (a citizen's question, an
    employee's one-line log) come from people with no flow open, and reading that from the
    database was a query per update: with aiosqlite, four thread hand-offs, the largest cost of
    the citizen's path (bench/paths.py). Only :func:`begin` opens a conversation and only the
    one bot process per database runs flows (``bot.lifecycle.only_instance``), so "none" stays
    true until ``begin`` here says otherwise; finishing, expiring or purging a conversation only
    makes it truer, and a save that ends one says so once it has committed. A read that
    overlapped a ``begin`` is not remembered (``opened`` moved on meanwhile).

    ``receipts``: each person's last :class:`FlowReceipt` (or None), read once and then kept
    as :func:`finish_in` replaces it, after its commit: an employee's next one-line log asks
    whether it was the update that saved the last one, and need not ask the database. A read
    that overlapped a save is not remembered (``saved`` moved on).

    ``open``: the conversation this process last wrote for a person (:func:`begin`,
    :func:`set_state`), as committed, so that the press on a summary just sent need not read
    it back. Kept as its columns and its data as JSON, so that what a handler does to the
    object it is given never changes what is remembered. Forgotten before any write that
    ends it and after the sweep of abandoned drafts; trusted for ``OPEN_SECONDS`` only, far
    less than the days a draft stays before another process (``sigap complaints-purge``) may
    remove it.

    SQLite only: on PostgreSQL several webhook receivers may take one person's updates in turn
    (``bot.leadership``), and a flow begun or saved by another process would go unseen here.
    """

    __slots__ = ("keys", "open", "opened", "receipts", "saved")
    LIMIT = 100_000
    OPEN_SECONDS = 600.0

    def __init__(self) -> None:
        self.keys: set[tuple[int, int]] = set()
        self.open: dict[tuple[int, int], tuple[dict[str, Any], str, float]] = {}
        self.opened = 0
        self.receipts: dict[tuple[int, int], FlowReceipt | None] = {}
        self.saved = 0

    def remember_open(self, conversation: Conversation) -> None:
        """``conversation`` is what the database holds for its person (just committed)."""
        if len(self.open) >= self.LIMIT:
            self.open.clear()
        columns = {name: getattr(conversation, name) for name in _REMEMBERED}
        key = (conversation.chat_id, conversation.user_id)
        self.open[key] = (columns, json.dumps(conversation.data), time.monotonic())

    def open_conversation(self, key: tuple[int, int]) -> Conversation | None:
        found = self.open.get(key)
        if found is None:
            return None
        columns, data, written = found
        if time.monotonic() - written > self.OPEN_SECONDS:
            del self.open[key]
            return None
        return _conversation({**columns, "data": json.loads(data)})

    def ended(self, key: tuple[int, int], receipt: FlowReceipt | None) -> None:
        """A save that ended this person's conversation committed."""
        self.saved += 1
        self.open.pop(key, None)
        if len(self.keys) >= self.LIMIT:
            self.keys.clear()
        self.keys.add(key)
        if receipt is not None:
            self.remember_receipt(key, receipt)

    def remember_receipt(self, key: tuple[int, int], receipt: FlowReceipt | None) -> None:
        if len(self.receipts) >= self.LIMIT:
            self.receipts.clear()
        self.receipts[key] = receipt

    def forget_receipts(self) -> None:
        self.saved += 1
        self.receipts.clear()


_REMEMBERED = (
    "id",
    "chat_id",
    "user_id",
    "flow",
    "step",
    "last_update_id",
    "version",
    "started_at",
    "updated_at",
)
_memories: weakref.WeakKeyDictionary[Database, _Memory] = weakref.WeakKeyDictionary()


def _absent_of(db: Database) -> _Memory:
    found = _memories.get(db)
    if found is None:
        found = _memories[db] = _Memory()
    return found


def _memory_of_db(db: Database) -> _Memory | None:
    """The process's memory of ``db`` where it may be trusted (SQLite), else None."""
    return _absent_of(db) if db.is_sqlite else None


def _memory_of(session: AsyncSession) -> _Memory | None:
    db = session.info.get("database")
    return _memory_of_db(db) if isinstance(db, Database) else None


async def load(db: Database, chat_id: int, user_id: int) -> Conversation | None:
    absent = _absent_of(db)
    key = (chat_id, user_id)
    if key in absent.keys:
        return None
    remember = db.is_sqlite
    if remember and (known := absent.open_conversation(key)) is not None:
        return known
    opened, saved = absent.opened, absent.saved
    person = {"chat": chat_id, "user": user_id}
    steps: list[Step] = [(_LOAD, person)]
    if remember and key not in absent.receipts:
        # With no conversation open, the update asks next whether it saved the last one
        # (``receipt_for``, ``handlers.flow``): the same hand-off reads that too.
        steps.append((_RECEIPT, person))
    read, *receipt = await run(db, steps, write=False)
    if receipt and absent.saved == saved:  # no save overlapped the read
        absent.remember_receipt(key, _receipt_of(receipt[0]))
    found = None
    if read.rows:
        names = (column.name for column in _CONVERSATIONS.c)
        found = _conversation(dict(zip(names, read.rows[0], strict=True)))
    if found is None and remember and absent.opened == opened:
        if len(absent.keys) >= absent.LIMIT:
            absent.keys.clear()
        absent.keys.add(key)
    return found


async def begin(
    db: Database,
    chat_id: int,
    user_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    update_id: int,
    now: datetime,
) -> Conversation:
    """Start a flow, replacing any flow this person had open in this chat."""
    absent = _absent_of(db)
    absent.opened += 1  # before and after: a read overlapping any of it is not remembered
    key = (chat_id, user_id)
    absent.keys.discard(key)
    absent.open.pop(key, None)
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "user_id": user_id,
        "flow": flow,
        "step": step,
        "data": data,
        "last_update_id": update_id,
        # A random start: buttons of an earlier conversation in this chat carry a version
        # that the new one will not reach, so an old summary's Save cannot save a new draft.
        "version": secrets.randbelow(2**30) + 1,
        "started_at": now,
        "updated_at": now,
    }
    # One statement, a transaction by itself: the person's conversation replaced (or begun).
    statement = prepared_upsert(db.dialect, _CONVERSATIONS, _PERSON, returning=("id",))
    (written,) = await run(db, [(statement, values)], write=True)
    [(conversation_id,)] = written.rows
    conversation = _conversation({"id": conversation_id, **values})
    absent.opened += 1
    absent.keys.discard(key)
    if db.is_sqlite:
        absent.remember_open(conversation)
    return conversation


async def _compare_and_set(db: Database, current: Conversation, **state: Any) -> Conversation:
    """``set_state`` in a transaction of its own, in one trip (``models.one_trip``)."""
    memory = _memory_of_db(db)
    if memory is not None:
        memory.open.pop((current.chat_id, current.user_id), None)  # as ``set_state``
    was = {"was_id": current.id, "was_version": current.version, "was_step": current.step}
    values = {
        "step": state["step"],
        "data": state["data"],
        "last_update_id": state["update_id"],
        "updated_at": state["now"],
        "version": state["version"],
    }
    (changed,) = await run(db, [(_MOVE_ALONE, was | values)], write=True)
    if changed.rowcount != 1:
        raise StaleStep()
    moved = _moved(current, **state)
    if memory is not None:
        memory.remember_open(moved)  # committed
    return moved


async def set_state(
    session: AsyncSession,
    current: Conversation,
    *,
    step: str,
    version: int,
    data: dict[str, Any],
    update_id: int,
    now: datetime,
) -> Conversation:
    """Write the new state only if the row still has the version (and step) that was read:
    a double tap or a second process that got there first makes this raise ``StaleStep``.
    In the caller's transaction, so the state can move with what the step wrote (a whole day
    saved and the next question), or neither does."""
    memory = _memory_of(session)
    key = (current.chat_id, current.user_id)
    if memory is not None:
        memory.open.pop(key, None)  # read from the database until the commit says
    state = {"step": step, "data": data, "last_update_id": update_id, "updated_at": now}
    was = {"was_id": current.id, "was_version": current.version, "was_step": current.step}
    changed = await rows_changed(session, _MOVE, state | was | {"version": version})
    if changed != 1:
        raise StaleStep()
    moved = _moved(current, step=step, version=version, data=data, update_id=update_id, now=now)
    if memory is not None:
        after_commit(session, lambda: memory.remember_open(moved))
    return moved


def _moved(
    current: Conversation,
    *,
    step: str,
    version: int,
    data: dict[str, Any],
    update_id: int,
    now: datetime,
) -> Conversation:
    """``current`` as ``set_state`` leaves it."""
    return _conversation(
        {
            "id": current.id,
            "chat_id": current.chat_id,
            "user_id": current.user_id,
            "flow": current.flow,
            "step": step,
            "data": data,
            "last_update_id": update_id,
            "version": version,
            "started_at": current.started_at,
            "updated_at": now,
        }
    )


async def advance(
    db: Database,
    current: Conversation,
    step: str,
    data: dict[str, Any],
    update_id: int,
    now: datetime,
) -> Conversation:
    """Move to ``step``; the new version makes the buttons of the previous step stale."""
    return await _compare_and_set(
        db, current, step=step, version=current.version + 1, data=data, update_id=update_id, now=now
    )


async def save_data(
    db: Database, current: Conversation, data: dict[str, Any], update_id: int, now: datetime
) -> Conversation:
    """Store answers within the same step; the version stays, so the step's buttons stay
    valid."""
    return await _compare_and_set(
        db,
        current,
        step=current.step,
        version=current.version,
        data=data,
        update_id=update_id,
        now=now,
    )


async def finish(db: Database, chat_id: int, user_id: int) -> bool:
    _absent_of(db).open.pop((chat_id, user_id), None)
    async with db.write() as session:
        return bool(await rows_changed(session, _END, {"chat": chat_id, "user": user_id}))


@dataclass
class DraftExpiry:
    """What ``expire_drafts`` removed; ``ran`` is False when this period's run happened before."""

    ran: bool = True
    drafts: int = 0
    files: FileCount = field(default_factory=FileCount)


async def expire_drafts(
    db: Database,
    *,
    now: datetime,
    idle: timedelta,
    data_dir: Path,
    actor: str,
    period: str | None = None,
    dry_run: bool = False,
) -> DraftExpiry:
    """Delete flows nobody answered for ``idle`` (abandoned /aduan drafts with their story,
    phone number and files), and the files that nothing points to any more in month folders
    that ended ``idle`` ago (a cancelled flow's, a failed save's). ``period``: the scheduler's
    once-a-day key (``job_run``)."""
    result = DraftExpiry()
    cutoff = now - idle
    # The last file of a month folder may have been downloaded just before it ended.
    old_months = (cutoff - timedelta(days=1)).strftime("%Y-%m")
    unused: set[PurePosixPath] = set()
    swept = await asyncio.to_thread(_files_before, data_dir, old_months)
    try:
        async with db.write() as session:
            if period is not None and not await claim_run(session, "draft_expiry", period, now):
                return DraftExpiry(ran=False)
            stale = col(Conversation.updated_at) < cutoff
            drafts = (await session.execute(select(col(Conversation.data)).where(stale))).scalars()
            candidates = {
                relative
                for data in drafts
                for relative in map(stored_relative, draft_files(data))
                if relative is not None
            }
            candidates |= swept
            result.drafts = await rows_changed(session, delete(Conversation).where(stale))
            # A receipt only matters for the minutes a redelivery can take.
            await session.execute(delete(FlowReceipt).where(col(FlowReceipt.finished_at) < cutoff))
            memory = _memory_of(session)
            if memory is not None:
                after_commit(session, memory.forget_receipts)
                after_commit(session, memory.open.clear)
            if result.drafts:
                audit.record(session, actor, "drafts.expired", at=now, drafts=result.drafts)
            unused = candidates - await referenced(session, candidates)
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    result.files = await asyncio.to_thread(delete_files, data_dir, unused, dry_run=dry_run)
    return result


class _DryRun(Exception):
    """Leave the transaction without saving: only counting."""


def _files_before(data_dir: Path, month: str) -> set[PurePosixPath]:
    return set(stored_before(data_dir, month))
