"""The invariants the chaos driver checks after each kill and restart, against the database
and what the emulator's chats received. Each returns its violations (descriptions); the driver
counts them. Target: none.

* lost: something a person saw acknowledged ("Tersimpan", a tracking number, the survey's
  thanks) is not in the database;
* twice: an activity, complaint, relay, decision or notification exists twice (rows, or a
  notification delivered twice to its chat);
* stuck: a conversation did not continue at its step after a restart (the step's answer never
  came; recorded by ``steps.step``);
* numbers: a tracking number held by two complaints or shown to two people for two stories.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import col

from emulator import BotApiEmulator
from models.db import Database
from models.outbox import OutboxMessage, OutboxStatus
from models.survey import SurveyResponse
from models.tables import Activity, Complaint, ComplaintEvent
from tests.e2e.chaos.steps import Expect, InFlight, Tally

NAMES = ("lost", "twice", "stuck", "numbers")


async def check(db: Database, emulator: BotApiEmulator, tally: Tally) -> dict[str, list[str]]:
    async with db.read() as session:
        descriptions = Counter((await session.execute(select(col(Activity.description)))).scalars())
        numbers = Counter((await session.execute(select(col(Complaint.tracking_number)))).scalars())
        stories = Counter((await session.execute(select(col(Complaint.story)))).scalars())
        events = Counter(
            (row.complaint_id, row.action, row.to_status, row.note)
            for row in (await session.execute(select(ComplaintEvent))).scalars()
        )
        surveys = int(
            (await session.execute(select(func.count()).select_from(SurveyResponse))).scalar_one()
        )
        outbox = list((await session.execute(select(OutboxMessage))).scalars())
    lost = [f"activity {d!r}" for d in tally.activities if descriptions[d] == 0]
    lost += [f"complaint {n}" for n in tally.numbers if numbers[n] == 0]
    if surveys < tally.surveys:
        lost.append(f"surveys: {tally.surveys} thanked, {surveys} stored")
    twice = [f"activity {d!r} x{n}" for d, n in descriptions.items() if n > 1]
    twice += [f"complaint story {s[:40]!r} x{n}" for s, n in stories.items() if n > 1]
    twice += [f"complaint event {e} x{n}" for e, n in events.items() if n > 1]
    twice += notified_twice(emulator, outbox)
    clashes = [f"number {n} x{k}" for n, k in numbers.items() if k > 1]
    return {
        "lost": lost,
        "twice": twice,
        "stuck": list(tally.lost_steps),
        "numbers": clashes + tally_clashes(tally),
    }


def tally_clashes(tally: Tally) -> list[str]:
    """The same number shown in two receipts (``Tally.numbers`` keeps only the last)."""
    return [f"number {n} shown twice" for n, k in Counter(tally.shown).items() if k > 1]


@dataclass(frozen=True)
class Queued:
    """An outbox row as its chat would have shown it."""

    text: str
    button_texts: list[str]


def in_flight_checker(db: Database) -> InFlight:
    """Whether a notification for ``chat_id`` that ``expect`` accepts is among the outbox's
    ``unknown`` rows: in flight when the bot was killed, so never sent again (at most once)."""

    async def was_in_flight(chat_id: int, expect: Expect) -> bool:
        async with db.read() as session:
            rows = (
                await session.execute(
                    select(OutboxMessage).where(
                        col(OutboxMessage.chat_id) == chat_id,
                        col(OutboxMessage.status) == OutboxStatus.UNKNOWN,
                    )
                )
            ).scalars()
            return any(expect(queued(row)) for row in rows)

    return was_in_flight


def queued(row: OutboxMessage) -> Queued:
    markup = row.payload.get("reply_markup") or {}
    buttons = [b.get("text", "") for line in markup.get("inline_keyboard", []) for b in line]
    text = row.payload.get("text") or row.payload.get("caption") or ""
    return Queued(plain(text), buttons)


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def notified_twice(emulator: BotApiEmulator, rows: Sequence[OutboxMessage]) -> list[str]:
    """Notifications written twice (two rows for one chat with one text), or one row delivered
    twice (its text arrived twice in its chat)."""
    texts = Counter(
        (row.chat_id, plain(row.payload["text"]))
        for row in rows
        if row.payload.get("method") == "sendMessage"
    )
    found = [f"{kind} row x{n} in chat {chat}" for (chat, kind), n in texts.items() if n > 1]
    chats = {user.id: user for user in emulator.users()} | {g.chat_id: g for g in emulator.groups()}
    arrived: dict[int, Counter[str]] = {}
    for chat_id, text in texts:
        if chat_id not in arrived:
            chat = chats.get(chat_id)
            arrivals = chat.arrivals if chat is not None else []
            arrived[chat_id] = Counter(plain(m.text or "") for m in arrivals)
        if arrived[chat_id][text] > 1:
            found.append(f"notification {text[:50]!r} arrived x{arrived[chat_id][text]}")
    return found
