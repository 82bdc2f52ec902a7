"""Complaint deadlines: late complaints reach the desk and the unit head once per stage;
an unanswered "selesai" closes as resolved after the reopen window."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from models.tables import Complaint
from tests.e2e.harness import Harness
from tests.e2e.test_complaints import (
    complaint_rows,
    file_complaint,
    install_desk,
    town,  # noqa: F401 (fixture)
)

NURHAYATI = "198009112006042011"  # head of BLW-PU, also a complaint handler


async def _tick(office: Harness, when: datetime) -> dict[str, int]:
    office.clock.set(when)
    written = await office.scheduler.tick()
    await office.sender.run_until_idle()
    return written


async def test_late_verification_is_escalated_once(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    head = await town.employee(NURHAYATI, first_name="Nur")
    siti = town.user(first_name="Siti")
    number = await file_complaint(siti)  # Tuesday 24 Nov: verification due Fri 27 Nov
    await desk.wait_for(1)
    [complaint] = await complaint_rows(town)
    assert complaint.verification_due.isoformat() == "2026-11-27"
    # Still in time on the due date itself.
    assert (await _tick(town, datetime(2026, 11, 27, 9, tzinfo=UTC)))["complaint_deadlines"] == 0
    # Monday 30 Nov: one day late → the desk and the unit head are told, once.
    written = await _tick(town, datetime(2026, 11, 30, 2, tzinfo=UTC))
    assert written["complaint_deadlines"] == 2
    [alert] = await desk.wait_for(1)
    assert f"Aduan {number} belum diverifikasi" in alert.text
    assert "Jumat, 27 November 2026" in alert.text
    alerts = [m.text for m in head.messages if f"Aduan {number} belum diverifikasi" in m.text]
    assert len(alerts) == 1
    assert (await _tick(town, datetime(2026, 11, 30, 3, tzinfo=UTC)))["complaint_deadlines"] == 0
    # The citizen learns nothing of the internal alert.
    assert all("belum diverifikasi" not in m.text for m in siti.messages)


async def test_unanswered_resolution_closes_as_resolved(town: Harness) -> None:  # noqa: F811
    await install_desk(town)
    siti = town.user(first_name="Siti")
    number = await file_complaint(siti)
    async with town.db.write() as session:
        await session.execute(
            update(Complaint).values(status="selesai", reopen_until=datetime(2026, 12, 8).date())
        )
    assert (await _tick(town, datetime(2026, 12, 8, 3, tzinfo=UTC)))["complaint_deadlines"] == 0
    await _tick(town, datetime(2026, 12, 9, 3, tzinfo=UTC))
    [complaint] = await complaint_rows(town)
    assert (complaint.status, complaint.outcome) == ("ditutup", "selesai")
    notice = [m.text for m in siti.messages if number in m.text and "kami tutup" in m.text]
    assert len(notice) == 1
