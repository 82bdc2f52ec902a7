"""A complaint exported for SP4N-LAPOR!, the national complaint system: one ZIP with the fields
its form asks for (title, story, incident date, location, category, attachments, privacy flag)
and the history so far, as ``aduan.json`` (UTF-8, for whoever copies it over or a later import)
and ``aduan.txt`` (to read), with the attachments under ``lampiran/``.

Privacy travels with it: an anonymous reporter's identity is not in the file at all (not their
name, their account, their phone, nor the names their files had); for the others only the
name, never the phone. Staff are named by their unit, not by name. ``handlers.desk.export``
decides where the file goes (a rahasia report only to the handler who asked).

``lapor_document`` gathers (on the event loop: no I/O); ``write_package`` writes the ZIP (in a
worker thread: it reads and compresses the attachments).
"""

from __future__ import annotations

import json
import mimetypes
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from domain.complaints import Privacy, identity_shown
from domain.files import stored_relative
from models.complaints import ComplaintRecord
from models.tables import ComplaintAttachment, ComplaintEvent
from texts import Texts
from texts.format import format_datetime

FORMAT = "sigap-sp4n-lapor/1"
TITLE_MAX = 100
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def lapor_title(story: str, category: str) -> str:
    """LAPOR! asks for a title; Sigap asks citizens for none: the category and the story's first
    sentence, cut at a word to ``TITLE_MAX`` characters."""
    first = _SENTENCE_END.split(" ".join(story.split()), maxsplit=1)[0].rstrip(".!?")
    title = f"{category}: {first}"
    if len(title) <= TITLE_MAX:
        return title
    return title[: TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"


def file_name(tracking_number: str) -> str:
    return f"lapor-{re.sub(r'[^A-Za-z0-9-]+', '_', tracking_number)}.zip"


@dataclass
class LaporDocument:
    fields: dict[str, Any]
    exported_at: datetime
    # (stored path under the data folder or None when no copy was kept, name in the ZIP)
    files: list[tuple[PurePosixPath | None, str]] = field(default_factory=list)


def _attachment_name(number: int, item: ComplaintAttachment) -> str:
    """``lampiran/01.jpg``: numbered, never the name the file had (it may name the sender)."""
    suffix = ".jpg" if item.kind == "photo" else ""
    if item.kind != "photo":
        guessed = mimetypes.guess_extension(item.mime_type or "") or ""
        stored = PurePosixPath(item.stored_path or "").suffix
        suffix = guessed or (stored if re.fullmatch(r"\.[A-Za-z0-9]{1,5}", stored) else "")
    return f"lampiran/{number:02d}{suffix}"


def _event(
    event: ComplaintEvent, record: ComplaintRecord, tr: Texts, zone: ZoneInfo
) -> dict[str, Any]:
    names = record.unit_names
    if event.actor == "citizen":
        who = tr.plain("lapor.by_citizen")
    elif event.actor == "system":
        who = tr.plain("lapor.by_system")
    else:
        unit = event.detail.get("from_unit_id") or record.complaint.unit_id
        who = tr.plain("lapor.by_unit", unit=names.get(unit, "—"))
    entry: dict[str, Any] = {
        "waktu": event.at.astimezone(zone).isoformat(timespec="minutes"),
        "tindakan": event.action,
        "keterangan": tr.plain(f"lapor.event_{event.action}")
        if tr.has(f"lapor.event_{event.action}")
        else event.action,
        "oleh": who,
    }
    if event.to_status:
        entry["status"] = tr.plain(f"complaint_status.{event.to_status}")
    if event.action == "forward" and event.detail.get("to_unit_id"):
        entry["ke_unit"] = names.get(event.detail["to_unit_id"], "—")
    if event.note:
        entry["catatan"] = event.note
    return entry


def lapor_document(
    record: ComplaintRecord, tr: Texts, zone: ZoneInfo, exported_at: datetime
) -> LaporDocument:
    complaint = record.complaint
    privacy = Privacy(complaint.privacy)
    category = record.category.name
    local = complaint.created_at.astimezone(zone)
    reporter: dict[str, Any]
    if privacy is Privacy.ANONIM or not identity_shown(privacy) or not complaint.reporter_name:
        reporter = {"identitas": tr.plain("lapor.identity_hidden"), "alias": None}
        if privacy is Privacy.ANONIM:
            reporter["alias"] = tr.plain("desk.alias", alias=complaint.reporter_alias)
    else:
        reporter = {"nama": complaint.reporter_name}
    document = LaporDocument(fields={}, exported_at=exported_at)
    attachments = []
    for number, item in enumerate(record.attachments, start=1):
        name = _attachment_name(number, item)
        stored = stored_relative(item.stored_path)
        document.files.append((stored, name))
        attachments.append({"berkas": name, "jenis": item.kind})
    document.fields = {
        "format": FORMAT,
        "nomor_aduan": complaint.tracking_number,
        "judul": lapor_title(complaint.story, category),
        "isi_laporan": complaint.story,
        "jenis_laporan": complaint.kind,
        "tanggal_kejadian": local.date().isoformat(),
        "tanggal_kejadian_sumber": "tanggal_aduan_diterima",
        "lokasi": {
            "alamat": complaint.location_text,
            "lintang": complaint.latitude,
            "bujur": complaint.longitude,
        },
        "kategori": category,
        "kode_kategori": record.category.code,
        "instansi_tujuan": record.unit.name,
        "kerahasiaan": privacy.value,
        "pelapor": reporter,
        "status": tr.plain(f"complaint_status.{complaint.status}"),
        "lampiran": attachments,
        "riwayat": [_event(e, record, tr, zone) for e in record.events],
        "diterima_pada": local.isoformat(timespec="minutes"),
        "diekspor_pada": exported_at.astimezone(zone).isoformat(timespec="minutes"),
    }
    return document


def _readable(fields: dict[str, Any], tr: Texts, zone: ZoneInfo, exported_at: datetime) -> str:
    location = fields["lokasi"]
    place = location["alamat"] or ""
    if location["lintang"] is not None:
        place = f"{place} ({location['lintang']}, {location['bujur']})".strip()
    reporter = fields["pelapor"]
    lines = [
        tr.plain("lapor.txt_title", number=fields["nomor_aduan"]),
        "",
        f"{tr.plain('lapor.f_title')}: {fields['judul']}",
        f"{tr.plain('lapor.f_kind')}: {tr.plain('complaint_kind.' + fields['jenis_laporan'])}",
        f"{tr.plain('lapor.f_date')}: {fields['tanggal_kejadian']} "
        f"({tr.plain('lapor.date_is_filing')})",
        f"{tr.plain('lapor.f_location')}: {place or '—'}",
        f"{tr.plain('lapor.f_category')}: {fields['kategori']}",
        f"{tr.plain('lapor.f_unit')}: {fields['instansi_tujuan']}",
        f"{tr.plain('lapor.f_privacy')}: {tr.plain('complaint_privacy.' + fields['kerahasiaan'])}",
        f"{tr.plain('lapor.f_reporter')}: "
        f"{reporter.get('nama') or reporter.get('alias') or reporter.get('identitas')}",
        f"{tr.plain('lapor.f_status')}: {fields['status']}",
        "",
        f"{tr.plain('lapor.f_story')}:",
        fields["isi_laporan"],
        "",
        f"{tr.plain('lapor.f_attachments')}: {len(fields['lampiran'])}",
    ]
    lines += [
        f"- {a['berkas'] or tr.plain('lapor.not_kept')} ({a['jenis']})" for a in fields["lampiran"]
    ]
    lines += ["", f"{tr.plain('lapor.f_history')}:"]
    for event in fields["riwayat"]:
        note = f" — {event['catatan']}" if event.get("catatan") else ""
        lines.append(f"- {event['waktu']} · {event['oleh']} · {event['keterangan']}{note}")
    lines += [
        "",
        tr.plain("lapor.txt_footer", when=format_datetime(exported_at, zone, tr.language)),
    ]
    return "\n".join(lines) + "\n"


def write_package(
    document: LaporDocument, tr: Texts, zone: ZoneInfo, data_dir: Path, path: Path
) -> int:
    """Write the ZIP; the number of attachments packed. One whose copy is not on this server
    (kept only at Telegram) is listed without a file."""
    packed = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for (stored, name), listed in zip(document.files, document.fields["lampiran"], strict=True):
            source = data_dir / stored if stored is not None else None
            if source is not None and source.is_file():
                archive.write(source, name)
                packed += 1
            else:
                listed["berkas"] = None
        archive.writestr(
            "aduan.json", json.dumps(document.fields, ensure_ascii=False, indent=2) + "\n"
        )
        archive.writestr("aduan.txt", _readable(document.fields, tr, zone, document.exported_at))
    return packed
