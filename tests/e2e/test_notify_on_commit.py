"""Notifications for someone else leave when their transaction commits, not at the next poll.

Every test here runs the bot with the outbox sender's poll set to an hour, and never drives the
sender itself: a notice that goes through the outbox can only arrive because the commit that
queued it woke the sender (in this process, through the after-commit hook; from another process,
through LISTEN/NOTIFY on PostgreSQL or the indexed poll on SQLite). Each arrives once.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.complaints import DEFAULT_CATEGORIES
from models import complaints, survey
from models.outbox import OutboxMessage
from tests.conftest import EXAMPLES
from tests.e2e.harness import OPERATOR_ID, Harness, eventually, start_harness, stop_harness
from tests.e2e.saved_edit import wait_for_saved
from tests.e2e.test_complaints import STORY, file_complaint, install_desk

AGUS = "197508121999031007"
FITRIANI = "198407222009012003"
DEWI = "199401202021012008"  # complaint handler of BLW-PU
AN_HOUR = "3600"


@pytest.fixture
async def town(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    running = await start_harness(
        db_url, SIGAP_DATA_DIR=str(tmp_path / "data"), SIGAP_OUTBOX_POLL_SECONDS=AN_HOUR
    )
    try:
        assert running.scheduler.sender is not None
        assert running.scheduler.sender._poll_interval == 3600
        await running.import_roster(EXAMPLES / "roster_belawan.csv")
        await complaints.import_categories(
            running.db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=running.clock.now()
        )
        yield running
    finally:
        await stop_harness(running)


async def _outbox(town: Harness) -> list[OutboxMessage]:
    async with town.db.read() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def _all_sent(town: Harness) -> None:
    """Until no row waits: after this, anything sent twice would already be in the chat."""
    for _ in range(500):
        if all(row.status == "sent" for row in await _outbox(town)):
            return
        await asyncio.sleep(0.01)
    raise AssertionError([(row.key, row.status) for row in await _outbox(town)])


def _with(person, words: str) -> int:
    return sum(words in message.text for message in person.messages)


async def test_an_approval_reaches_the_employee_when_it_commits(town: Harness) -> None:
    fitri = await town.employee(FITRIANI, first_name="Fitri")
    agus = await town.employee(AGUS, first_name="Agus")
    await agus.send("Verifikasi 15 berkas KTP 1,5 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)

    await fitri.send("/persetujuan")
    await fitri.wait_for(1)
    await fitri.press("Agus Salim Daulay (1)")
    await fitri.wait_for_edit()
    await fitri.press("✅ 1")
    await fitri.wait_for_edit()
    [told] = await agus.wait_for(1)
    assert "disetujui oleh" in told.text and "Verifikasi 15 berkas KTP" in told.text

    await _all_sent(town)
    assert _with(agus, "disetujui oleh") == 1
    assert [row.kind for row in await _outbox(town)] == ["review"]


async def test_a_complaint_travels_between_citizen_and_desk_at_once(town: Harness) -> None:
    await survey.seed_default_services(town.db)
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    siti = town.user(first_name="Siti")

    # Filed: the ticket reaches the desk.
    number = await file_complaint(siti)
    [ticket] = await desk.wait_for(1)
    assert number in ticket.text
    # A status change on the desk: the citizen is told.
    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    await desk.wait_for_edit()
    [verified] = await siti.wait_for(1)
    assert "sudah diverifikasi" in verified.text
    # A staff answer (a reply to the ticket): relayed to the citizen.
    await dewi.send("Mohon kirim foto KK Anda.", chat=desk, reply_to=ticket)
    [answer] = await siti.wait_for(1)
    assert "Mohon kirim foto KK Anda." in answer.text
    # Done, and the citizen agrees: the survey invitation goes through the outbox.
    await dewi.press("⚙️ Proses", chat=desk, message_id=ticket.message_id)
    await desk.wait_for_edit()
    await siti.wait_for(1)
    await dewi.press("🏁 Selesai", chat=desk, message_id=ticket.message_id)
    [question] = await desk.wait_for(1)
    await dewi.send("KTP sudah dicetak.", chat=desk, reply_to=question)
    [done] = await desk.wait_for(1)
    assert f"Aduan {number}: Selesai" in done.text, done.text
    [solved] = await siti.wait_for(1)
    assert "KTP sudah dicetak" in solved.text
    await siti.press("✅ Sudah selesai")
    await siti.wait_for(1)
    await eventually(lambda: any("📝 Isi survei" in m.button_texts for m in siti.messages))

    await _all_sent(town)
    assert sum("📝 Isi survei" in m.button_texts for m in siti.messages) == 1
    assert _with(siti, "sudah diverifikasi") == 1
    assert _with(siti, "Mohon kirim foto KK Anda.") == 1
    assert sum(STORY[:40] in m.text for m in desk.messages) == 1  # one ticket
    # With the move that caused it, each piece of Dewi's work was offered to her as an
    # activity (verified, answered, processed, resolved), once each.
    assert sorted(row.kind for row in await _outbox(town)) == ["survey"] + ["work_offer"] * 4
    assert _with(dewi, "Catat sebagai kegiatan") == 4


async def test_a_desk_hint_reaches_staff_when_it_commits(town: Harness) -> None:
    """Staff who write in the desk group without replying to a ticket are told once how to
    answer; the hint is queued in the outbox and leaves with its commit."""
    group = town.emulator.group("Meja Aduan PU", privacy_mode=False)
    operator = town.user(first_name="Operator", user_id=OPERATOR_ID + 7)
    town.settings.admin_ids.append(operator.id)
    await operator.send("/pasang_meja BLW-PU", chat=group)
    await group.wait_for(1)
    dewi = await town.employee(DEWI, first_name="Dewi")
    await dewi.send("Siapa yang piket hari ini?", chat=group)
    [hint] = await group.wait_for(1)
    assert "Dewi" in hint.text and "tidak sampai ke pelapor" in hint.text, hint.text
    await dewi.send("Saya saja.", chat=group)
    await _all_sent(town)
    assert _with(group, "tidak sampai ke pelapor") == 1


@pytest.mark.slow
async def test_rows_from_another_process_go_out_within_seconds(town: Harness) -> None:
    """``sigap jobs run reminders`` in a process of its own: the running bot delivers its
    reminders although its own poll would wait an hour."""
    agus = await town.employee(AGUS, first_name="Agus")
    env = {
        **os.environ,
        "DATABASE_URL": town.settings.resolved_database_url,
        "TELEGRAM_BOT_TOKEN": town.settings.require_token(),
    }
    sigap = Path(sys.executable).with_name("sigap")
    process = await asyncio.create_subprocess_exec(
        str(sigap),
        "jobs",
        "run",
        "reminders",
        "--date",
        "2026-11-24T14:05",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    [reminder] = await agus.wait_for(1, timeout=10)
    assert "kegiatan" in reminder.text.lower()
    await _all_sent(town)
    assert [row.kind for row in await _outbox(town)] == ["reminder"]
    assert len([m for m in agus.messages if m.button_texts and "rem:log" in str(m.raw)]) == 1
