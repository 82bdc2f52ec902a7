"""The Open311 data layer on both databases: a complaint filed through the API with its desk
ticket queued in the same transaction (none without a desk), the public reads' status notes,
and the purge taking the queued ticket's text with the complaint's personal data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from domain.complaints import Deadlines, Move
from models import complaints
from models.complaints import ComplaintDraft
from models.db import Database
from models.open311 import ApiClient
from models.open311_requests import RequestQuery, file_request, public_request, public_requests
from models.outbox import OutboxMessage
from models.tables import Complaint, ComplaintCategory, ComplaintEvent, Unit
from tests.data.test_complaints_data import CALENDAR, NOW, TODAY, _move, categories  # noqa: F401

CLIENT = ApiClient(1, "dashboard")


def _ticket(complaint: Complaint, category: ComplaintCategory, unit: Unit) -> tuple[str, Any]:
    return f"Tiket {complaint.tracking_number} {category.code} {unit.code}: {complaint.story}", None


async def _file(db: Database, category_id: int, **draft: Any) -> Complaint:
    values: dict[str, Any] = {
        "reporter_telegram_id": None,
        "reporter_name": "Rahmat",
        "kind": "pengaduan",
        "category_id": category_id,
        "story": "Jalan di depan pasar Belawan berlubang besar dan tergenang setiap hujan.",
        "privacy": "biasa",
    }
    return await file_request(
        db,
        CLIENT,
        ComplaintDraft(**(values | draft)),
        now=NOW,
        today=TODAY,
        calendar=CALENDAR,
        deadlines=Deadlines(),
        ticket=_ticket,
    )


async def _outbox(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def test_the_ticket_is_queued_with_the_complaint_and_purged_with_it(
    db: Database,
    categories: dict[str, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    without_desk = await _file(db, categories["adminduk"])
    assert await _outbox(db) == []  # posted when the unit gets a desk (``unposted``)
    assert [c.id for c in await complaints.unposted(db, without_desk.unit_id)] == [without_desk.id]

    await complaints.install_desk(db, "BLW-PU", -100123, "Meja PU", telegram_id=1, now=NOW)
    filed = await _file(db, categories["adminduk"])
    [row] = await _outbox(db)
    assert (row.key, row.chat_id, row.kind) == (f"ticket:{filed.id}", -100123, "ticket")
    assert row.payload["text"].startswith(f"Tiket {filed.tracking_number} adminduk BLW-PU")
    async with db.read() as session:
        actors = (
            await session.execute(
                select(col(ComplaintEvent.actor)).where(
                    col(ComplaintEvent.complaint_id) == filed.id,
                    col(ComplaintEvent.action) == "submitted",
                )
            )
        ).scalars()
        assert list(actors) == ["open311:dashboard"]

    # Rejected with a public reason, then purged: the queued ticket (the story, the name) goes.
    await _move(db, filed.id or 0, Move.REJECT, note="Bukan wewenang kecamatan.")
    found = await public_request(db, filed.tracking_number)
    assert found is not None and (found.open, found.public_note) == (
        False,
        "Bukan wewenang kecamatan.",
    )
    purge = await complaints.purge_personal_data(
        db, closed_before=NOW + timedelta(days=1), now=NOW, actor="cli", data_dir=tmp_path
    )
    assert (purge.complaints, purge.outbox) == (1, 1)
    assert await _outbox(db) == []
    [purged] = await public_requests(db, RequestQuery(numbers=(filed.tracking_number,)))
    assert (purged.description, purged.address, purged.latitude) == ("", None, None)
    async with db.read() as session:
        stored = (
            await session.execute(select(Complaint).where(col(Complaint.id) == filed.id))
        ).scalar_one()
    assert stored.reporter_name is None
