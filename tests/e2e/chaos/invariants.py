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

from sqlalchemy import func, select
from sqlmodel import col

from emulator import BotApiEmulator
from models.db import Database
from models.outbox import OutboxMessage
from models.survey import SurveyResponse
from models.tables import Activity, Complaint, ComplaintEvent
from tests.e2e.chaos.steps import Tally

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
