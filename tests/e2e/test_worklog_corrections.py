"""Correcting a saved entry by replying to the bot's "Tersimpan" message."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlmodel import col

from models.tables import Activity, ActivityHistory
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"


async def _activities(office) -> list[Activity]:
    async with office.db.read() as session:
        return list((await session.execute(select(Activity).order_by(col(Activity.id)))).scalars())


async def test_a_reply_corrects_duration_day_and_count_with_history(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("Rapat koordinasi 1 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    saved = await wait_for_saved(agus)
    assert "Tersimpan" in saved.text

    await agus.send("2 jm", reply_to=saved.raw)
    [changed] = await agus.wait_for(1)
    assert "Diubah: Rapat koordinasi — 1 jam → 2 jam" in changed.text
    await agus.send("kemarin", reply_to=saved.raw)
    [moved] = await agus.wait_for(1)
    assert "Selasa, 24 November 2026 → Senin, 23 November 2026" in moved.text
    # A correction's own confirmation takes a reply as well.
    await agus.send("15 berkas", reply_to=moved.raw)
    [counted] = await agus.wait_for(1)
    assert "1 kegiatan → 15 berkas" in counted.text
    await agus.send("15", reply_to=saved.raw)  # minutes, hours or files? Asked, not guessed.
    [asked] = await agus.wait_for(1)
    assert "menit, jam, atau jumlah" in asked.text

    [entry] = await _activities(office)
    assert (entry.minutes, entry.work_date, entry.quantity, entry.output_unit, entry.late) == (
        120,
        date(2026, 11, 23),
        15,
        "berkas",
        True,
    )
    async with office.db.read() as session:
        history = (
            (await session.execute(select(ActivityHistory).order_by(col(ActivityHistory.id))))
            .scalars()
            .all()
        )
    assert [h.action for h in history] == ["created", "edited", "edited", "edited"]
    assert history[1].before["minutes"] == 60
    assert history[2].before["work_date"] == "2026-11-24"
    assert history[3].before["quantity"] == 1


async def test_an_approved_entry_is_not_changed_by_a_reply(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("Apel pagi 30 menit")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    saved = await wait_for_saved(agus)
    async with office.db.write() as session:
        await session.execute(update(Activity).values(status="approved"))
    await agus.send("1 jam", reply_to=saved.raw)
    [refused] = await agus.wait_for(1)
    assert "sudah disetujui" in refused.text
    [entry] = await _activities(office)
    assert entry.minutes == 30


async def test_a_reply_under_a_day_names_its_line(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("1. Apel pagi 30 menit\n2. Rapat koordinasi 2 jam\n3. Input data 1 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan semua")
    saved = await wait_for_saved(agus)  # the summary, edited: a reply to it corrects
    await agus.send("1 jam", reply_to=saved.raw)
    [which] = await agus.wait_for(1)
    assert "baris 1, 2, 3" in which.text and "2: 1 jam" in which.text
    await agus.send("2: 1 jam", reply_to=saved.raw)
    [changed] = await agus.wait_for(1)
    assert "Rapat koordinasi — 2 jam → 1 jam" in changed.text
    assert [a.minutes for a in await _activities(office)] == [30, 60, 60]
    # A plain message that replies to nothing of ours is still read as an activity.
    await agus.send("Rapat evaluasi 1 jam", reply_to=which.raw)
    [summary] = await agus.wait_for(1)
    assert "Rapat evaluasi" in summary.text and "✅ Simpan" in summary.button_texts
