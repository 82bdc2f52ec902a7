"""A complaint exported for SP4N-LAPOR! with one tap on its ticket: a ZIP with the form's
fields, the history and the attachments, sent where the privacy choice allows (the desk group;
a rahasia complaint only to the handler who pressed), an anonymous reporter's identity absent,
and nobody outside the unit's handlers may press it."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from emulator.messages import BotMessage
from tests.e2e.harness import Harness
from tests.e2e.test_complaints import (
    ADMINDUK,
    STORY,
    audited,
    file_complaint,
    install_desk,
    town,  # noqa: F401 (fixture)
)
from tests.e2e.test_desk import DEWI, KEVIN, PUTRI

EXPORT = "📤 Ekspor LAPOR!"
PHONE = "+6281234567890"


def _package(office: Harness, message: BotMessage) -> zipfile.ZipFile:
    """The ZIP the bot uploaded, as the emulator stored it."""
    assert message.document is not None, message.text
    stored = office.emulator.files.by_id[message.document["file_id"]]
    assert stored.data is not None
    return zipfile.ZipFile(io.BytesIO(stored.data))


def _fields(package: zipfile.ZipFile) -> dict[str, Any]:
    fields: dict[str, Any] = json.loads(package.read("aduan.json").decode("utf-8"))
    return fields


async def test_one_tap_exports_the_form_history_and_attachments(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    siti = town.user(first_name="Siti", last_name="Rahmawati", username="siti_blw")
    number = await file_complaint(siti, location="Jl. Stasiun No. 5, Belawan I", photos=1)
    [ticket, _photo] = await desk.wait_for(2)
    assert EXPORT in ticket.button_texts
    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    await desk.wait_for_edit()
    await dewi.send("Petugas kami cek besok pagi.", chat=desk, reply_to=ticket)
    await desk.wait_for(1)

    await dewi.press(EXPORT, chat=desk, message_id=ticket.message_id)
    [sent] = await desk.wait_for(1)
    assert sent.document is not None and sent.document["file_name"] == f"lapor-{number}.zip"
    assert sent.reply_to_message_id == ticket.message_id
    caption = sent.caption or ""
    assert f"Aduan {number} untuk SP4N-LAPOR!" in caption and "1 lampiran" in caption
    package = _package(town, sent)
    assert sorted(package.namelist()) == ["aduan.json", "aduan.txt", "lampiran/01.jpg"]
    assert package.read("lampiran/01.jpg") == b"\xff\xd8\xff photo 0"
    fields = _fields(package)
    assert fields["nomor_aduan"] == number and fields["isi_laporan"] == STORY
    assert fields["judul"].startswith("Administrasi Kependudukan (KTP, KK, surat): Lampu jalan")
    assert fields["kategori"] == ADMINDUK and fields["instansi_tujuan"] == "Seksi Pelayanan Umum"
    assert fields["tanggal_kejadian"] == "2026-11-24" and fields["jenis_laporan"] == "pengaduan"
    assert fields["lokasi"]["alamat"] == "Jl. Stasiun No. 5, Belawan I"
    assert fields["kerahasiaan"] == "biasa" and fields["pelapor"] == {"nama": "Siti Rahmawati"}
    assert fields["lampiran"] == [{"berkas": "lampiran/01.jpg", "jenis": "photo"}]
    history = fields["riwayat"]
    assert [e["tindakan"] for e in history] == ["submitted", "verify", "staff_message"]
    assert history[2]["catatan"] == "Petugas kami cek besok pagi."
    assert history[1]["oleh"] == "Petugas Seksi Pelayanan Umum"  # the unit, not Dewi
    assert "Dewi" not in package.read("aduan.json").decode("utf-8")
    text = package.read("aduan.txt").decode("utf-8")
    assert f"ADUAN {number}" in text and "Kerahasiaan: Biasa" in text and STORY in text
    assert await audited(town, "complaints.exported") == [number]


async def test_anonymous_reporter_is_absent_from_the_file(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    siti = town.user(first_name="Siti", last_name="Rahmawati", username="siti_blw")
    await file_complaint(siti, privacy="Anonim")
    [ticket] = await desk.wait_for(1)
    await dewi.press(EXPORT, chat=desk, message_id=ticket.message_id)
    [sent] = await desk.wait_for(1)
    package = _package(town, sent)
    fields = _fields(package)
    assert fields["kerahasiaan"] == "anonim"
    assert "nama" not in fields["pelapor"] and fields["pelapor"]["alias"].startswith("Pelapor #")
    everything = "".join(package.read(name).decode("utf-8") for name in package.namelist())
    for trace in ("Siti", "Rahmawati", "siti_blw", str(siti.id), PHONE, "6281234567890"):
        assert trace not in everything, trace


async def test_a_rahasia_complaint_goes_only_to_the_handler_who_pressed(
    town: Harness,  # noqa: F811
) -> None:
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    siti = town.user(first_name="Siti", last_name="Rahmawati")
    number = await file_complaint(siti, privacy="Rahasia", share_contact=True)
    [ticket] = await desk.wait_for(1)
    press = await dewi.press(EXPORT, chat=desk, message_id=ticket.message_id)
    assert "chat pribadi" in (await dewi.answer_to(press))["text"]
    [sent] = await dewi.wait_for(1)
    assert sent.document is not None and "rahasia" in (sent.caption or "")
    fields = _fields(_package(town, sent))
    assert fields["kerahasiaan"] == "rahasia" and fields["pelapor"] == {"nama": "Siti Rahmawati"}
    assert PHONE not in json.dumps(fields)  # the phone only through "Kontak pelapor", logged
    assert all(m.document is None for m in desk.messages)  # nothing in the group
    assert await audited(town, "complaints.exported") == [number]


async def test_a_rahasia_file_waits_for_a_private_chat(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    await file_complaint(town.user(first_name="Siti"), privacy="Rahasia")
    [ticket] = await desk.wait_for(1)
    dewi.block()  # her private chat is closed: the file goes nowhere else
    press = await dewi.press(EXPORT, chat=desk, message_id=ticket.message_id)
    answer = await dewi.answer_to(press)
    assert answer["show_alert"] and "Mulai chat dengan saya" in answer["text"]
    assert all(m.document is None for m in (*desk.messages, *dewi.messages))


async def test_only_the_units_handlers_may_export(town: Harness) -> None:  # noqa: F811
    desk = await install_desk(town)
    putri = await town.employee(PUTRI, first_name="Putri")  # handler of another unit
    kevin = await town.employee(KEVIN, first_name="Kevin")  # same unit, not a handler
    stranger = town.user(first_name="Warga")
    await file_complaint(town.user(first_name="Siti"))
    [ticket] = await desk.wait_for(1)
    for person, words in (
        (putri, "ditangani Seksi Pelayanan Umum"),
        (kevin, "hanya penangan aduan"),
        (stranger, "hanya penangan aduan"),
    ):
        press = await person.press(EXPORT, chat=desk, message_id=ticket.message_id)
        answer = await person.answer_to(press)
        assert answer["show_alert"] and words in answer["text"]
    # A forged press for a complaint that does not exist.
    forged = await kevin.press(callback_data="desk:lapor:999999", chat=desk, forge=True)
    assert "tidak berlaku" in (await kevin.answer_to(forged))["text"]
    assert all(m.document is None for m in desk.messages)
    assert all(m.document is None for m in (*putri.messages, *kevin.messages))
