"""Files people send with complaints and evidence, as a hostile or careless sender sends them:
names longer than the column (which PostgreSQL refuses), extensions that lie about the
content, and follow-ups sent faster than a unit's group can read them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from models import complaints
from models.tables import ActivityEvidence, ComplaintAttachment
from tests.e2e.harness import Harness, idle
from tests.e2e.saved_edit import wait_for_saved
from tests.e2e.test_complaints import (
    file_complaint,
    install_desk,
    start_complaint,
    town,  # noqa: F401 (fixture)
)

AGUS = "197508121999031007"
# 272 characters, as in the security review (issue 12).
LONG_NAME = "KTP_Siti_Anonimah_" + "Belawan_" * 28 + "scan_halaman_depan_2026_ok.pdf"
PDF = b"%PDF-1.4 ktp"
HTML = b"<html><script>alert(1)</script></html>"


def _stored(office: Harness) -> list[str]:
    """Every file Sigap keeps for complaints, relative to the data folder."""
    base = office.settings.data_dir
    return sorted(p.relative_to(base).as_posix() for p in (base / "complaints").rglob("*"))


async def _attachments(office: Harness) -> list[ComplaintAttachment]:
    async with office.db.read() as session:
        rows = await session.execute(
            select(ComplaintAttachment).order_by(col(ComplaintAttachment.id))
        )
        return list(rows.scalars())


async def test_long_and_lying_file_names_on_a_complaint(town: Harness) -> None:  # noqa: F811
    assert len(LONG_NAME) == 272
    desk = await install_desk(town)
    siti = town.user(first_name="Siti", last_name="Anonimah")
    await start_complaint(siti)
    await siti.send_document(PDF, file_name=LONG_NAME, mime_type="application/pdf")
    await siti.wait_for(1)
    # A web page calling itself a photo, with a MIME type too long for its column.
    await siti.send_document(HTML, file_name="foto\u202egpj.html", mime_type="image/" + "x" * 120)
    await siti.wait_for(1)
    await siti.press("Selesai")
    await siti.wait_for(1)
    await siti.press("Anonim")
    await siti.wait_for(1)
    await siti.press("✅ Kirim aduan")
    [receipt] = await siti.wait_for(1)
    assert "diterima" in receipt.text, receipt.text
    ticket, *_ = await desk.wait_for(3)
    assert "Lampiran: 2" in ticket.text
    [complaint] = await complaints.complaints_of(town.db, siti.id)
    assert complaint.reporter_name is None  # anonymous: only the chat id, to answer
    long, page = await _attachments(town)
    assert long.file_name is not None and len(long.file_name) == 200
    assert long.file_name.startswith("KTP_Siti_Anonimah_Belawan_")
    assert long.file_name.endswith("….pdf")
    # The right-to-left override that makes it read "foto.jpg" is gone; the type is unknown.
    assert (page.file_name, page.mime_type) == ("foto gpj.html", None)
    # Stored under our own names: the extension says what the bytes are, never the sender.
    assert long.stored_path == f"complaints/2026-11/{long.file_unique_id}.pdf"
    assert page.stored_path == f"complaints/2026-11/{page.file_unique_id}"
    assert _stored(town) == sorted(["complaints/2026-11", long.stored_path, page.stored_path])
    assert (town.settings.data_dir / long.stored_path).read_bytes() == PDF


async def test_long_file_name_as_evidence(office: Harness) -> None:
    agus = await office.employee(AGUS)
    await agus.send("/lapor")
    await agus.wait_for(1)
    await agus.send("Rekap berkas KTP warga Belawan I")
    await agus.wait_for(1)
    await agus.press("berkas")
    await agus.wait_for(1)
    await agus.send("3")
    await agus.wait_for(1)
    await agus.send("1 jam")
    await agus.wait_for(1)
    await agus.send_document(PDF, file_name=LONG_NAME, mime_type="application/pdf")
    await agus.wait_for(1)
    await agus.press("Selesai")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    saved = await wait_for_saved(agus)
    assert "Tersimpan" in saved.text, saved.text
    async with office.db.read() as session:
        [evidence] = (await session.execute(select(ActivityEvidence))).scalars().all()
    assert evidence.file_name is not None and len(evidence.file_name) == 200
    assert evidence.file_name.endswith("….pdf")
    assert evidence.stored_path == f"evidence/2026-11/{evidence.file_unique_id}.pdf"


async def test_follow_ups_are_limited_and_refused_ones_download_nothing(
    town: Harness,  # noqa: F811
) -> None:
    town.settings.complaint_messages_per_hour = 2
    desk = await install_desk(town)
    siti = town.user(first_name="Siti")
    number = await file_complaint(siti)
    receipt = siti.messages[-1]
    await desk.wait_for(1)
    for text in ("Lampunya di tiang nomor 12.", "Sudah dua minggu."):
        await siti.send(text, reply_to=receipt.raw)
        [added] = await siti.wait_for(1)
        assert "ditambahkan ke aduan" in added.text
    await desk.wait_for(2)
    shown = len(desk.messages)
    # The third within the hour: refused before its file is fetched, and not relayed.
    await siti.send_photo(b"\xff\xd8\xff tiang", reply_to=receipt.raw)
    [limited] = await siti.wait_for(1)
    assert "sudah mengirim 2 pesan tentang aduan" in limited.text
    assert "mulai Selasa, 24 November 2026 10.00 WIB" in limited.text, limited.text
    await idle(town.db)
    assert _stored(town) == [] and len(desk.messages) == shown
    town.clock.advance(timedelta(hours=1))
    await siti.send_photo(b"\xff\xd8\xff tiang", reply_to=receipt.raw)
    [added] = await siti.wait_for(1)
    assert "ditambahkan ke aduan" in added.text
    _header, photo = await desk.wait_for(2)
    assert photo.photo and len(_stored(town)) == 2  # the month folder and the photo

    # Banned, and a closed complaint: answered, nothing downloaded.
    town.clock.advance(timedelta(hours=1))
    assert await complaints.ban_reporter(town.db, number, "spam", actor="cli", now=town.clock.now())
    await siti.send_document(PDF, file_name="bukti.pdf", reply_to=receipt.raw)
    [banned] = await siti.wait_for(1)
    assert "tidak dapat mengirim aduan atau keterangan" in banned.text
    await idle(town.db)
    assert len(_stored(town)) == 2
    await _assert_nothing_partial(town.settings.data_dir)


async def _assert_nothing_partial(data_dir: Path) -> None:
    assert not [p for p in data_dir.rglob("*.part")]
