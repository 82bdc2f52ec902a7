"""Open311 clients (a city dashboard, a partner app): who may file complaints through the
GeoReport v2 API (``handlers/web/open311.py``), each with its own api_key.

A key is a random token shown once, when created (``sigap open311 key create <name>``); only
its SHA-256 is stored, so a copy of the database lets nobody file in a client's name. SHA-256
rather than a slow password hash: the token has 256 random bits, nothing to guess, and the API
checks it on every request. A revoked key stops working at once and stays listed (who had it,
until when); creating and revoking are in the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Field, SQLModel, col

from models import audit
from models.db import Database, rows_changed
from models.types import UTCDateTime, stored_id

KEY_BYTES = 32
# Shown in listings so an operator can tell keys apart without the key itself.
PREFIX_LENGTH = 8
NAME_MAX = 80


class Open311Client(SQLModel, table=True):
    __tablename__ = "open311_client"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=PREFIX_LENGTH)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


@dataclass(frozen=True)
class ApiClient:
    """A client as the API knows it after checking its key (no hash kept around)."""

    id: int
    name: str


class ClientExists(Exception):
    """A client of that name exists already (revoked or not: names stay unique)."""


def key_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_client(db: Database, name: str, *, now: datetime, actor: str) -> str:
    """A new client and its key; the key is returned once and never stored."""
    token = secrets.token_urlsafe(KEY_BYTES)
    async with db.write() as session:
        taken = await session.execute(
            select(col(Open311Client.id)).where(col(Open311Client.name) == name)
        )
        if taken.scalar_one_or_none() is not None:
            raise ClientExists(name)
        session.add(
            Open311Client(
                name=name,
                key_hash=key_hash(token),
                key_prefix=token[:PREFIX_LENGTH],
                created_at=now,
            )
        )
        audit.record(session, actor, "open311.key_created", name, at=now)
    return token


async def list_clients(db: Database) -> list[Open311Client]:
    async with db.read() as session:
        stmt = select(Open311Client).order_by(col(Open311Client.name))
        return list((await session.execute(stmt)).scalars())


async def revoke_client(db: Database, name: str, *, now: datetime, actor: str) -> bool:
    """False when there is no such client, or its key was revoked already."""
    async with db.write() as session:
        changed = await rows_changed(
            session,
            update(Open311Client)
            .where(col(Open311Client.name) == name, col(Open311Client.revoked_at).is_(None))
            .values(revoked_at=now),
        )
        if changed:
            audit.record(session, actor, "open311.key_revoked", name, at=now)
    return bool(changed)


async def client_for_key(db: Database, token: str) -> ApiClient | None:
    """The client whose key this is, unless revoked; None for anything else."""
    if not token or len(token) > 200:
        return None
    async with db.read() as session:
        found = (
            await session.execute(
                select(Open311Client).where(
                    col(Open311Client.key_hash) == key_hash(token),
                    col(Open311Client.revoked_at).is_(None),
                )
            )
        ).scalar_one_or_none()
    if found is None:
        return None
    return ApiClient(stored_id(found.id), found.name)
