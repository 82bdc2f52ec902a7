"""Who is who: Telegram accounts, their link to an employee, and one-time invites."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.access import Actor, parse_roles
from models import audit
from models.db import Database, in_lists
from models.tables import Employee, Invite, TelegramLink, TelegramUser, Unit
from models.types import stored_id

# Deep-link payloads allow 64 characters of [A-Za-z0-9_-]; 32 random bytes would not fit after
# base64, 24 bytes (192 bits) do and cannot be guessed.
TOKEN_BYTES = 24


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Identity:
    """What the database knows about a Telegram account (the cacheable part of an Actor)."""

    language: str | None = None
    blocked: bool = False
    employee_id: int | None = None
    employee_name: str | None = None
    nip: str | None = None
    unit_id: int | None = None
    unit_code: str | None = None
    roles: frozenset[str] = frozenset()


_IDENTITY = (
    select(
        col(TelegramUser.id),
        col(TelegramUser.language),
        col(TelegramUser.blocked_at),
        Employee,
        col(Unit.code),
    )
    .select_from(TelegramUser)
    .outerjoin(TelegramLink, col(TelegramLink.telegram_user_id) == TelegramUser.id)
    .outerjoin(Employee, (col(Employee.id) == TelegramLink.employee_id) & col(Employee.active))
    .outerjoin(Unit, col(Unit.id) == Employee.unit_id)
)


async def fetch_identity(db: Database, telegram_id: int) -> Identity:
    """Everything handlers need about the sender, in one round trip."""
    stmt = _IDENTITY.where(col(TelegramUser.id) == telegram_id)
    async with db.read() as session:
        row = (await session.execute(stmt)).first()
    if row is None:
        return Identity()
    return _identity(*row[1:])


async def identities_in(
    session: AsyncSession, telegram_ids: Collection[int]
) -> dict[int, Identity]:
    """``fetch_identity`` for many accounts, as the caller's transaction sees them."""
    found: dict[int, Identity] = {}
    for some in in_lists(telegram_ids):
        stmt = _IDENTITY.where(col(TelegramUser.id).in_(some))
        for telegram_id, language, blocked_at, employee, unit_code in (
            await session.execute(stmt)
        ).all():
            found[int(telegram_id)] = _identity(language, blocked_at, employee, unit_code)
    return found


def _identity(
    language: str | None,
    blocked_at: datetime | None,
    employee: Employee | None,
    unit_code: str | None,
) -> Identity:
    blocked = blocked_at is not None
    if employee is None:
        return Identity(language=language, blocked=blocked)
    return Identity(
        language=language,
        blocked=blocked,
        employee_id=employee.id,
        employee_name=employee.name,
        nip=employee.nip,
        unit_id=employee.unit_id,
        unit_code=unit_code,
        roles=parse_roles(employee.roles),
    )


def actor_from(
    identity: Identity,
    telegram_id: int,
    *,
    first_name: str,
    default_language: str,
    operators: Collection[int],
) -> Actor:
    return Actor(
        telegram_id=telegram_id,
        language=identity.language or default_language,
        language_chosen=identity.language is not None,
        first_name=first_name,
        employee_id=identity.employee_id,
        employee_name=identity.employee_name,
        nip=identity.nip,
        unit_id=identity.unit_id,
        unit_code=identity.unit_code,
        roles=identity.roles,
        is_operator=telegram_id in operators,
    )


class IdentityCache:
    """Identities for a short time, in this process.

    Every update needs its sender's identity, and on SQLite each lookup costs several thread
    round trips (about 1 ms here): more than the rest of handling a /start. Changes made by this
    process (language, linking) evict the entry at once; changes made elsewhere (a roster import
    by the CLI, another bot process) apply within ``ttl`` seconds. ``ttl`` 0 turns it off.
    """

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 50_000
    ) -> None:
        self._ttl, self._clock, self._max = ttl, clock, max_entries
        self._entries: dict[int, tuple[float, Identity]] = {}

    async def get(self, db: Database, telegram_id: int) -> Identity:
        now = self._clock()
        cached = self._entries.get(telegram_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        identity = await fetch_identity(db, telegram_id)
        if self._ttl > 0:
            if len(self._entries) >= self._max:
                self._entries.clear()  # rare; simpler than LRU bookkeeping on every hit
            self._entries[telegram_id] = (now + self._ttl, identity)
        return identity

    def forget(self, telegram_id: int) -> None:
        self._entries.pop(telegram_id, None)

    def forget_all(self) -> None:
        """After a roster change in this process: roles, units and supervisors may all differ."""
        self._entries.clear()


async def remember_user(
    session: AsyncSession, telegram_id: int, first_name: str, username: str | None, now: datetime
) -> TelegramUser:
    user = await session.get(TelegramUser, telegram_id)
    if user is None:
        user = TelegramUser(
            id=telegram_id, first_name=first_name[:128], username=username, created_at=now
        )
        session.add(user)
    else:
        user.first_name, user.username, user.updated_at = first_name[:128], username, now
        # Writing to us again means they unblocked the bot.
        user.blocked_at = None
    user.updated_at = now
    return user


async def set_language(
    db: Database,
    telegram_id: int,
    first_name: str,
    username: str | None,
    language: str,
    now: datetime,
) -> None:
    async with db.write() as session:
        user = await remember_user(session, telegram_id, first_name, username, now)
        user.language = language


async def mark_blocked(db: Database, chat_id: int, now: datetime) -> None:
    """Telegram answered 403 for this private chat: stop sending to it."""
    async with db.write() as session:
        user = await session.get(TelegramUser, chat_id)
        if user is None:
            session.add(TelegramUser(id=chat_id, blocked_at=now, created_at=now))
        elif user.blocked_at is None:
            user.blocked_at = now


async def mark_unblocked(db: Database, chat_id: int) -> None:
    async with db.write() as session:
        user = await session.get(TelegramUser, chat_id)
        if user is not None:
            user.blocked_at = None


@dataclass(frozen=True)
class IssuedInvite:
    employee: Employee
    unit_code: str
    token: str
    expires_at: datetime


async def issue_invites(
    db: Database,
    *,
    now: datetime,
    ttl: timedelta,
    actor: str,
    unit_code: str | None = None,
    nip: str | None = None,
    include_linked: bool = False,
) -> list[IssuedInvite]:
    """New invites for the selected active employees; earlier unused invites stop working,
    so only the newest link handed out is valid."""
    stmt = (
        select(Employee, col(Unit.code))
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .where(col(Employee.active))
        .order_by(col(Unit.code), col(Employee.name))
    )
    if unit_code:
        stmt = stmt.where(col(Unit.code) == unit_code)
    if nip:
        stmt = stmt.where(col(Employee.nip) == nip)
    if not include_linked:
        stmt = stmt.where(~col(Employee.id).in_(select(col(TelegramLink.employee_id))))
    issued: list[IssuedInvite] = []
    async with db.write() as session:
        rows = (await session.execute(stmt)).all()
        ids = [employee.id for employee, _ in rows]
        if ids:
            await session.execute(
                update(Invite)
                .where(
                    col(Invite.employee_id).in_(ids),
                    col(Invite.used_at).is_(None),
                    col(Invite.expires_at) > now,
                )
                .values(expires_at=now)
            )
        for employee, code in rows:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            session.add(
                Invite(
                    employee_id=stored_id(employee.id),
                    token_hash=hash_token(token),
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            issued.append(IssuedInvite(employee, code, token, now + ttl))
        if issued:
            audit.record(
                session,
                actor,
                "invites.create",
                unit_code or nip or "all",
                at=now,
                count=len(issued),
            )
    return issued


class LinkOutcome(StrEnum):
    LINKED = "linked"
    INVALID = "invalid"
    USED = "used"
    EXPIRED = "expired"
    ACCOUNT_TAKEN = "account_taken"  # this Telegram account already belongs to an employee
    EMPLOYEE_TAKEN = "employee_taken"  # that employee already has a Telegram account
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    employee_name: str | None = None
    nip: str | None = None
    replaced_telegram_id: int | None = None  # the account that lost the link (re-linking)


async def redeem_invite(
    db: Database,
    token: str,
    *,
    telegram_id: int,
    first_name: str,
    username: str | None,
    now: datetime,
) -> LinkResult:
    token_hash = hash_token(token)
    actor = audit.telegram_actor(telegram_id)
    async with db.write() as session:
        # The claim is atomic: the row lock makes a second redemption of the same link wait
        # until this one commits, and then read the invite as used (PostgreSQL; SQLite's writers
        # are serialised by BEGIN IMMEDIATE already). Without it, two accounts opening one link
        # at once were both linked, the second unlinking the first.
        invite = (
            await session.execute(
                select(Invite).where(col(Invite.token_hash) == token_hash).with_for_update()
            )
        ).scalar_one_or_none()
        if invite is None:
            # Forged or mistyped tokens are worth a trace: someone may be probing.
            audit.record(session, actor, "invite.rejected", at=now, reason="invalid")
            return LinkResult(LinkOutcome.INVALID)
        employee = await session.get(Employee, invite.employee_id)
        assert employee is not None
        if invite.used_by == telegram_id and await _linked_by(session, invite, telegram_id):
            # The same person with the same link again: a second tap, or the update delivered
            # again after a restart before its answer went out. They are linked; say so again
            # and change nothing.
            return LinkResult(LinkOutcome.LINKED, employee.name, employee.nip)
        result = await _check_invite(session, invite, employee, telegram_id, now)
        if result is not None:
            audit.record(
                session,
                actor,
                "invite.rejected",
                employee.nip,
                at=now,
                reason=result.value,
                invite_id=invite.id,
            )
            return LinkResult(result, employee.name, employee.nip)
        await remember_user(session, telegram_id, first_name, username, now)
        invite.used_at, invite.used_by = now, telegram_id
        replaced = await _unlink_previous(session, employee, invite, actor, now)
        session.add(
            TelegramLink(
                employee_id=stored_id(employee.id),
                telegram_user_id=telegram_id,
                invite_id=invite.id,
                linked_at=now,
            )
        )
        audit.record(session, actor, "account.linked", employee.nip, at=now, invite_id=invite.id)
        try:
            await session.flush()
        except IntegrityError:
            # Two taps on the same link at once: the unique constraints decide, not a race.
            raise LinkRace() from None
        return LinkResult(LinkOutcome.LINKED, employee.name, employee.nip, replaced)


class LinkRace(Exception):
    """The same link was redeemed concurrently; the caller re-checks."""


async def _unlink_previous(
    session: AsyncSession, employee: Employee, invite: Invite, actor: str, now: datetime
) -> int | None:
    """Re-linking with a newer invite: the old account stops being this employee. Returns
    that account's id, None if the employee had no link."""
    previous = (
        await session.execute(
            select(TelegramLink).where(col(TelegramLink.employee_id) == employee.id)
        )
    ).scalar_one_or_none()
    if previous is None:
        return None
    audit.record(
        session,
        actor,
        "account.unlinked",
        employee.nip,
        at=now,
        old_telegram_id=previous.telegram_user_id,
        invite_id=invite.id,
    )
    replaced = previous.telegram_user_id
    await session.delete(previous)
    await session.flush()
    return replaced


async def _linked_by(session: AsyncSession, invite: Invite, telegram_id: int) -> bool:
    link = (
        await session.execute(
            select(col(TelegramLink.id)).where(
                col(TelegramLink.invite_id) == invite.id,
                col(TelegramLink.telegram_user_id) == telegram_id,
            )
        )
    ).scalar_one_or_none()
    return link is not None


async def _check_invite(
    session: AsyncSession, invite: Invite, employee: Employee, telegram_id: int, now: datetime
) -> LinkOutcome | None:
    if invite.used_at is not None:
        return LinkOutcome.USED
    if invite.expires_at <= now:
        return LinkOutcome.EXPIRED
    if not employee.active:
        return LinkOutcome.INACTIVE
    account = (
        await session.execute(
            select(col(TelegramLink.employee_id)).where(
                col(TelegramLink.telegram_user_id) == telegram_id
            )
        )
    ).scalar_one_or_none()
    if account is not None:
        return LinkOutcome.ACCOUNT_TAKEN
    taken = (
        await session.execute(
            select(TelegramLink).where(col(TelegramLink.employee_id) == employee.id)
        )
    ).scalar_one_or_none()
    if taken is not None and invite.created_at <= taken.linked_at:
        # Only an invite issued after the current link may move it (a new phone); an older
        # one is a leftover.
        return LinkOutcome.EMPLOYEE_TAKEN
    return None


async def find_employee(db: Database, nip: str) -> tuple[Employee, str, bool] | None:
    """An employee by NIP with their unit code and whether they have linked Telegram."""
    stmt = (
        select(Employee, col(Unit.code), col(TelegramLink.id))
        .join(Unit, col(Unit.id) == Employee.unit_id)
        .outerjoin(TelegramLink, col(TelegramLink.employee_id) == Employee.id)
        .where(col(Employee.nip) == nip)
    )
    async with db.read() as session:
        row = (await session.execute(stmt)).first()
    if row is None:
        return None
    employee, code, link_id = row
    return employee, code, link_id is not None


@dataclass(frozen=True)
class Contact:
    """Where and in which language to write to a linked employee."""

    telegram_id: int
    language: str | None


async def employee_contact(session: AsyncSession, employee_id: int) -> Contact | None:
    """The employee's linked Telegram chat and language; None when not linked."""
    row = (
        await session.execute(
            select(col(TelegramLink.telegram_user_id), col(TelegramUser.language))
            .outerjoin(TelegramUser, col(TelegramUser.id) == TelegramLink.telegram_user_id)
            .where(col(TelegramLink.employee_id) == employee_id)
        )
    ).one_or_none()
    return None if row is None else Contact(int(row[0]), row[1])


async def contact_of(db: Database, employee_id: int) -> Contact | None:
    async with db.read() as session:
        return await employee_contact(session, employee_id)
