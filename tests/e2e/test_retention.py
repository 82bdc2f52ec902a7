"""Retention (UU 27/2022) as an operator runs it: the purge finds the files wherever it is run
from, removes every kind of personal data and says what it removed; abandoned /aduan drafts
expire with their files, daily by the scheduler and by the purge command."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.complaints import DEFAULT_CATEGORIES
from models import complaints
from models.schedule import JobRun
from models.tables import Conversation
from tests.conftest import EXAMPLES
from tests.e2e.harness import Harness, count, start_harness, stop_harness
from tests.e2e.test_complaints import (
    audited,
    file_complaint,
    install_desk,
    start_complaint,
    town,  # noqa: F401 (fixture)
)
from tests.e2e.test_desk import DEWI, _sigap


async def _abandon_a_draft(office: Harness, name: str) -> None:
    """A citizen tells the story, sends a photo, and never comes back."""
    person = office.user(first_name=name)
    await start_complaint(person)
    await person.send_photo(b"\xff\xd8\xff " + name.encode())
    await person.wait_for(1)


def _files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "complaints").rglob("*") if p.is_file())


async def test_purge_from_another_folder_with_a_relative_data_dir(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot runs in one folder with ``SIGAP_DATA_DIR=data``; the operator purges from
    another, naming the same folder relatively. Every file goes, and the report counts each
    kind of data removed."""
    (tmp_path / "bot").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "bot")
    office = await start_harness(db_url, SIGAP_DATA_DIR="data")
    try:
        assert office.settings.data_dir == tmp_path / "bot" / "data"
        await office.import_roster(EXAMPLES / "roster_belawan.csv")
        await complaints.import_categories(
            office.db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=office.clock.now()
        )
        desk = await install_desk(office)
        dewi = await office.employee(DEWI, first_name="Dewi")
        siti = office.user(first_name="Siti")
        await file_complaint(siti, photos=1, location="Jl. Stasiun No. 5")
        ticket, _photo = await desk.wait_for(2)
        await dewi.press("⛔ Tolak", chat=desk, message_id=ticket.message_id)
        [question] = await desk.wait_for(1)
        await dewi.send("Bukan wewenang kecamatan.", chat=desk, reply_to=question)
        await desk.wait_for(1)
        await siti.wait_for(1)
        await _abandon_a_draft(office, "Budi")
        data_dir = office.settings.data_dir
        assert len(_files(data_dir)) == 2
        monkeypatch.chdir(tmp_path / "elsewhere")

        code, out, err = await _sigap(
            office,
            tmp_path / "elsewhere",
            *("complaints", "purge", "--older-than", "0"),
            env={"SIGAP_DATA_DIR": "../bot/data", "SIGAP_DRAFT_RETENTION_DAYS": "1"},
        )
        assert code == 0, err
        for line in (
            "aduan (data pribadi pelapor): 1",
            "isi riwayat (pesan, alasan, jawaban): 1",
            "lampiran: 1",
            "draf yang ditinggalkan: 1",
            "berkas di disk: 2",
        ):
            assert line in out, out
        assert "Perhatian" not in err
        assert _files(data_dir) == []
        [complaint] = await complaints.complaints_of(office.db, siti.id) or [None]  # type: ignore[list-item]
        assert complaint is None  # the reporter's link is gone
        assert await count(office.db, Conversation) == 0
    finally:
        await stop_harness(office)


async def test_abandoned_drafts_expire_daily(town: Harness) -> None:  # noqa: F811
    """With the scheduler's (injected) clock: a draft idle for SIGAP_DRAFT_RETENTION_DAYS is
    deleted with its photo, once a day; a draft still in use stays."""
    data_dir = town.settings.data_dir
    await _abandon_a_draft(town, "Ani")
    [photo] = _files(data_dir)
    town.clock.advance(timedelta(days=29))
    await _abandon_a_draft(town, "Budi")
    await town.scheduler.tick()
    assert await count(town.db, Conversation) == 2 and len(_files(data_dir)) == 2
    town.clock.advance(timedelta(days=2))
    await town.scheduler.tick()
    await town.scheduler.tick()  # the same day: nothing more
    assert await count(town.db, Conversation) == 1
    assert photo not in _files(data_dir) and len(_files(data_dir)) == 1
    assert await audited(town, "drafts.expired") == [""]
    async with town.db.read() as session:
        periods = (
            await session.execute(
                select(col(JobRun.period)).where(col(JobRun.job) == "draft_expiry")
            )
        ).scalars()
        # Keyed by the unit's local day: a second tick (or process) the same day claims nothing.
        assert {"2026-12-23", "2026-12-25"} <= set(periods)
