"""More of the work log: SKP targets in the flow and /skp, stale summaries, big files, holidays."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import col

from domain.skp import read_targets
from models.tables import Activity, SkpTarget
from models.targets import import_targets
from tests.conftest import EXAMPLES
from tests.e2e.harness import eventually
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"


async def _with_targets(office) -> None:
    result = await import_targets(
        office.db,
        read_targets(EXAMPLES / "skp_targets_belawan.csv"),
        dry_run=False,
        actor="test",
        now=office.clock.now(),
        current_year=2026,
    )
    assert not result.problems and result.new == 31


async def test_linking_an_activity_to_an_skp_target(office) -> None:
    await _with_targets(office)
    agus = await office.employee(AGUS)
    await agus.send("/lapor")
    await agus.wait_for(1)
    await agus.send("Verifikasi berkas KK")
    await agus.wait_for(1)
    await agus.send("12 berkas")
    await agus.wait_for(1)
    await agus.press("2j")
    [ask] = await agus.wait_for(1)
    assert "target SKP" in ask.text and len(ask.button_texts) == 5  # 4 targets + skip
    await agus.press(ask.button_texts[0])
    await agus.wait_for(1)  # the evidence step
    await agus.press("Lewati")
    [summary] = await agus.wait_for(1)
    assert f"Target SKP: {ask.button_texts[0]}" in summary.text
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    async with office.db.read() as session:
        [activity] = (await session.execute(select(Activity))).scalars().all()
    assert activity.target_id is not None
    await agus.send("/skp")
    [skp] = await agus.wait_for(1)
    assert "Target SKP 2026" in skp.text and "12/" in skp.text and "disetujui 0" in skp.text


async def test_forged_target_of_someone_else_is_refused(office) -> None:
    await _with_targets(office)
    agus = await office.employee(AGUS)
    await agus.send("/lapor")
    await agus.wait_for(1)
    await agus.send("Rapat")
    await agus.wait_for(1)
    await agus.send("1 kegiatan")
    await agus.wait_for(1)
    await agus.press("1j")
    [ask] = await agus.wait_for(1)
    version = ask.buttons[0][0][1].split(":")[1]
    own = {data.split(":")[-1] for row in ask.buttons for _, data in row}
    async with office.db.read() as session:
        others = (await session.execute(select(col(SkpTarget.id)))).scalars().all()
    foreign = next(t for t in others if str(t) not in own)
    await agus.press(
        callback_data=f"f:{version}:t:{foreign}", message_id=ask.message_id, forge=True
    )
    [reply] = await agus.wait_for(1)
    assert "tidak berlaku" in reply.text


async def test_save_on_an_old_summary_is_stale(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("Rapat pagi 1 jam")
    [first] = await agus.wait_for(1)
    # Typing while the summary waits for a button shows the summary again.
    await agus.send("Rapat siang 2 jam")
    hint, again = await agus.wait_for(2)
    assert "pilih salah satu tombol" in hint.text and "Rapat pagi" in again.text
    await agus.press("✖️ Bukan kegiatan")
    await agus.wait_for(1)
    await agus.send("Rapat siang 2 jam")
    await agus.wait_for(1)
    # The first summary's buttons belong to a flow that ended.
    await agus.press("✅ Simpan", message_id=first.message_id, forge=True)
    await eventually(lambda: len(agus.callback_answers) == 2)
    assert "tidak berlaku" in agus.callback_answers[-1]["text"]
    await agus.press("✅ Simpan")
    saved = await wait_for_saved(agus)
    assert "1 kegiatan, total 2 jam" in saved.text
    async with office.db.read() as session:
        rows = (await session.execute(select(col(Activity.description)))).scalars().all()
    assert rows == ["Rapat siang"]


async def test_a_file_over_20_mb_is_refused_politely(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("/lapor")
    await agus.wait_for(1)
    await agus.send("Dokumentasi kegiatan")
    await agus.wait_for(1)
    await agus.send("1 laporan")
    await agus.wait_for(1)
    await agus.press("4j")
    await agus.wait_for(1)
    await agus.send_document(
        b"%PDF", file_name="besar.pdf", mime_type="application/pdf", file_size=21_000_000
    )
    [reply] = await agus.wait_for(1)
    assert "lebih dari 20 MB" in reply.text
    await agus.send_document(b"%PDF-1.4 small", file_name="kecil.pdf", mime_type="application/pdf")
    [reply] = await agus.wait_for(1)
    assert "Bukti diterima" in reply.text


async def test_recap_shows_holidays_by_name(office) -> None:
    office.clock.set(datetime(2026, 12, 25, 3, 0, tzinfo=UTC))  # Christmas, a Friday
    agus = await office.employee(AGUS)
    await agus.send("/rekap")
    [recap] = await agus.wait_for(1)
    assert "Kam 24/12: libur — Cuti Bersama Hari Raya Natal" in recap.text
    assert "Jum 25/12: libur — Hari Raya Natal" in recap.text
    assert "Sen 21/12: belum ada kegiatan" in recap.text
