"""A whole working day in one message: one summary, one tap, lines asked about afterwards."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.polling import stop_bot
from models.inbox import InboxUpdate
from models.tables import Activity, Conversation
from tests.e2e.harness import eventually, idle, restart, start_again
from tests.e2e.saved_edit import wait_for_saved

AGUS = "197508121999031007"

DAY = (
    "Kegiatan hari ini:\n"
    "1. Rapat koordinasi 2 jam\n"
    "2. Input 40 berkas SIAK 3 jam\n"
    "- Apel pagi 30 menit\n"
    "4. Cek lapangan banjir"
)


async def _activities(office) -> list[Activity]:
    async with office.db.read() as session:
        return list((await session.execute(select(Activity).order_by(col(Activity.id)))).scalars())


async def test_a_list_is_one_summary_saved_with_one_tap(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send(DAY)
    [summary] = await agus.wait_for(1)
    text = summary.text
    assert "4 kegiatan untuk Selasa, 24 November 2026" in text
    assert "1. Rapat koordinasi — 2 jam" in text
    assert "2. Input 40 berkas SIAK — 40 berkas · 3 jam" in text
    assert "3. Apel pagi — 30 menit" in text
    assert "4. Cek lapangan banjir — ⏳ durasi belum ada" in text
    assert "Total: 5 jam 30 menit" in text
    assert summary.button_texts == [
        "✅ Simpan semua",
        "✏️ Ubah 1",
        "✏️ Ubah 2",
        "✏️ Ubah 3",
        "✏️ Ubah 4",
        "✖️ Batal",
    ]
    assert await _activities(office) == []  # nothing saved before the tap
    await agus.press("✅ Simpan semua")
    # One confirmation: the summary becomes it (what was saved, the day so far, the hint),
    # with no "✔️ Simpan semua" left on it and no second "Tersimpan" below.
    saved = await wait_for_saved(agus)
    assert saved.message_id == summary.message_id and saved.button_texts == []
    assert "Tersimpan 3 kegiatan" in saved.text and "3 kegiatan, total 5 jam 30 menit" in saved.text
    assert "1. Rapat koordinasi — 2 jam" in saved.text and "3. Apel pagi — 30 menit" in saved.text
    assert "Cek lapangan banjir" not in saved.text and "Simpan semua" not in saved.text
    assert "Balas pesan ini" in saved.text
    [ask] = await agus.wait_for(1)
    assert "Baris 4" in ask.text and "berapa lama" in ask.text
    assert sum("Tersimpan" in m.text for m in agus.messages) == 1
    rows = await _activities(office)
    assert [(a.description, a.quantity, a.output_unit, a.minutes, a.source) for a in rows] == [
        ("Rapat koordinasi", 1, "kegiatan", 120, "list"),
        ("Input 40 berkas SIAK", 40, "berkas", 180, "list"),
        ("Apel pagi", 1, "kegiatan", 30, "list"),
    ]
    await agus.press("1j")
    [last] = await agus.wait_for(1)
    assert "Tersimpan 1 kegiatan" in last.text and "4 kegiatan, total 6 jam 30 menit" in last.text
    assert [a.minutes for a in await _activities(office)] == [120, 180, 30, 60]


async def test_over_24_hours_and_overlaps_are_flagged_before_saving(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("1. Piket posko 12 jam\n2. Jaga malam 14 jam")
    [summary] = await agus.wait_for(1)
    assert "lebih dari 24 jam" in summary.text
    assert "✅ Simpan semua" not in summary.button_texts  # fixed first, then saved
    await agus.press("✏️ Ubah 2")
    [ask] = await agus.wait_for(1)
    assert "Baris 2" in ask.text
    await agus.send("4 jam")
    [fixed] = await agus.wait_for(1)
    assert "lebih dari 24 jam" not in fixed.text and "Total: 16 jam" in fixed.text
    assert "✅ Simpan semua" in fixed.button_texts
    await agus.send("/batal")
    await agus.wait_for(1)

    await agus.send("- Rapat 08.00-10.00\n- Sosialisasi 09.30-11.00\n- Apel 07.30-08.00")
    [overlap] = await agus.wait_for(1)
    assert "Waktu baris 1 dan 2 bertumpuk" in overlap.text
    assert "baris 1 dan 3" not in overlap.text  # 07.30-08.00 only touches 08.00
    assert await _activities(office) == []


async def test_an_unreadable_line_does_not_block_the_others(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("1. Apel pagi 30 mnt\n2. Rapat dgn lurah 1.30 jam\n3. Input data SIAK 2 jm")
    [summary] = await agus.wait_for(1)
    assert "2. Rapat dgn lurah" in summary.text and "bisa berarti" in summary.text
    await agus.press("✅ Simpan semua")
    saved = await wait_for_saved(agus)
    [ask] = await agus.wait_for(1)
    assert "Tersimpan 2 kegiatan" in saved.text and "Baris 2" in ask.text
    assert saved.message_id == summary.message_id
    # A reply to the confirmation names the line as typed (3), not its place in the saved two.
    await agus.send("3: 1 jam", reply_to=saved.raw)
    [changed] = await agus.wait_for(1)
    assert "Input data SIAK — 2 jam → 1 jam" in changed.text
    await agus.press("🗑 Hapus baris 2")
    [done] = await agus.wait_for(1)
    assert "tidak dicatat" in done.text
    assert [a.description for a in await _activities(office)] == ["Apel pagi", "Input data SIAK"]


async def test_a_redelivered_save_gets_the_same_confirmation_and_saves_nothing_twice(
    office,
) -> None:
    """A kill -9 after the commit and before the update left the inbox: the next process
    handles the press again, and the person is told again what was saved."""
    agus = await office.employee(AGUS)
    await agus.send("1. Apel pagi 30 menit\n2. Rapat koordinasi 2 jam")
    [summary] = await agus.wait_for(1)
    [[(_, save_data)], *_] = summary.buttons
    await agus.press("✅ Simpan semua")
    first = await wait_for_saved(agus)
    assert "Tersimpan 2 kegiatan" in first.text
    await idle(office.db)
    async with office.db.read() as session:
        [conversation] = (await session.execute(select(Conversation))).scalars().all()
    await stop_bot(office.application)
    # What the killed process would have left: the press, fetched and not yet done.
    press = {
        "update_id": conversation.last_update_id,
        "callback_query": {
            "id": "redelivered",
            "from": agus.user,
            "message": summary.raw,
            "chat_instance": "1",
            "data": save_data,
        },
    }
    async with office.db.write() as session:
        session.add(
            InboxUpdate(id=press["update_id"], payload=press, received_at=office.clock.now())
        )
    edits = len(office.emulator.calls_by_method("editMessageText"))
    await start_again(office)
    await idle(office.db)
    await eventually(lambda: len(office.emulator.calls_by_method("editMessageText")) > edits)
    # Told again in the same place: the summary already is the confirmation (Telegram's "not
    # modified"), and no second "Tersimpan" arrives.
    assert agus.messages[-1].message_id == summary.message_id
    assert agus.messages[-1].text == first.text
    assert len(await _activities(office)) == 2
    # The next message is read as usual: the finished day does not hold it.
    await agus.send("Rapat evaluasi 1 jam")
    [next_summary] = await agus.wait_for(1)
    assert "Rapat evaluasi" in next_summary.text and "✅ Simpan" in next_summary.button_texts


async def test_a_day_in_progress_survives_a_restart(office) -> None:
    agus = await office.employee(AGUS)
    await agus.send("1. Apel pagi 30 menit\n2. Rapat koordinasi")
    await agus.wait_for(1)
    await agus.press("✅ Simpan semua")
    await wait_for_saved(agus)
    await agus.wait_for(1)
    await restart(office)
    await agus.send("1,5 jam")
    [saved] = await agus.wait_for(1)
    assert "2 kegiatan, total 2 jam" in saved.text
    assert [a.minutes for a in await _activities(office)] == [30, 90]
