"""Invites are one-time: two accounts redeeming the same link at the same moment, on two
connections, get one link between them (seen on PostgreSQL, where both were told "linked" and
the second silently unlinked the first)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from domain.roster import read_roster
from models.db import Database
from models.identity import LinkOutcome, issue_invites, redeem_invite
from models.roster import import_roster
from models.tables import AuditEntry, TelegramLink
from models.types import utcnow
from tests.conftest import EXAMPLES

STAFF = "197508121999031007"
ROUNDS = 5  # each round its own invite: one lucky interleaving must not hide the race


async def test_two_accounts_claiming_one_invite_at_once_link_exactly_one(db: Database) -> None:
    now = utcnow()
    await import_roster(
        db, read_roster(EXAMPLES / "roster_belawan.csv"), dry_run=False, actor="t", now=now
    )
    for round_ in range(ROUNDS):
        now += timedelta(minutes=1)  # a newer invite may move the link (a new phone)
        [invite] = await issue_invites(
            db, now=now, ttl=timedelta(days=1), actor="t", nip=STAFF, include_linked=True
        )
        accounts = (1000 + 2 * round_, 1001 + 2 * round_)
        results = await asyncio.gather(
            *(
                redeem_invite(
                    db, invite.token, telegram_id=account, first_name="A", username=None, now=now
                )
                for account in accounts
            )
        )
        outcomes = sorted(r.outcome for r in results)
        assert outcomes == [LinkOutcome.LINKED, LinkOutcome.USED], (round_, outcomes)
        [winner] = [
            a for a, r in zip(accounts, results, strict=True) if r.outcome is LinkOutcome.LINKED
        ]
        async with db.read() as session:
            links = (await session.execute(select(TelegramLink))).scalars().all()
            unlinked = (
                (
                    await session.execute(
                        select(col(AuditEntry.detail)).where(
                            col(AuditEntry.action) == "account.unlinked"
                        )
                    )
                )
                .scalars()
                .all()
            )
        # The winner's link is the one there is; the loser never replaced it.
        assert [link.telegram_user_id for link in links] == [winner], round_
        assert not any(d.get("old_telegram_id") == winner for d in unlinked), round_
