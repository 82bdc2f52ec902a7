"""Supervisor lines from the sample roster: chains, reports, unit heads."""

from __future__ import annotations

from sqlalchemy import select

from domain.roster import read_roster
from models.db import Database
from models.roster import import_roster
from models.supervision import is_unit_head, reports_of, supervisor_chain
from models.tables import Employee
from models.types import stored_id, utcnow
from tests.conftest import EXAMPLES

CAMAT = "198105142003121002"
SEKCAM = "197203181998032004"
KASUBBAG = "198407222009012003"
STAFF = "197508121999031007"


async def _ids(db: Database) -> dict[str, int]:
    await import_roster(
        db, read_roster(EXAMPLES / "roster_belawan.csv"), dry_run=False, actor="t", now=utcnow()
    )
    async with db.read() as session:
        return {e.nip: stored_id(e.id) for e in (await session.scalars(select(Employee))).all()}


async def test_chain_reports_and_heads(db: Database) -> None:
    ids = await _ids(db)
    async with db.read() as session:
        assert await supervisor_chain(session, ids[STAFF]) == [
            ids[KASUBBAG],
            ids[SEKCAM],
            ids[CAMAT],
        ]
        assert await supervisor_chain(session, ids[CAMAT]) == []
        direct = {e.nip for e in await reports_of(session, ids[SEKCAM])}
        everyone = {e.nip for e in await reports_of(session, ids[SEKCAM], indirect=True)}
        assert KASUBBAG in direct and STAFF not in direct
        assert {KASUBBAG, STAFF} <= everyone and SEKCAM not in everyone
        assert len(await reports_of(session, ids[CAMAT], indirect=True)) == len(ids) - 1
        assert await is_unit_head(session, ids[CAMAT])
        assert await is_unit_head(session, ids[SEKCAM])  # the camat works in another unit
        assert not await is_unit_head(session, ids[STAFF])
