"""Seeded data for the public page's tests (``test_public_page``, ``test_public_browser``): survey
answers and complaints whose public figures are worked out by hand below, each complaint full of
personal data the page must never show.

Today is Tuesday 24 November 2026 (``harness.START``). November's complaints (all BLW-PU):

    #  kind       category  filed  verify due/done   answer due/done        days  notes
    1  pengaduan  adminduk  02     05 / 03 on time   10 / 06 on time        4.0
    2  pengaduan  adminduk  03     05 / 06 LATE      13 / 09 on time        6.0
    3  aspirasi   lainnya   04     07 / 05 on time   15 / 20 LATE          16.0   reopened 08
    4  informasi  lainnya   05     10 / 06 on time   11 / 07 closed, no fix 2.0
    5  pengaduan  adminduk  06     11 / 09 on time   20 / — overdue (late)        rahasia
    6  pengaduan  adminduk  10     23 / — overdue (late)                          anonim
    7  pengaduan  adminduk  11     16 / rejected 12 on time
    8  pengaduan  adminduk  23     26 / — (not due yet, not counted)
    9  pengaduan  adminduk  09     12 / 10 on time   17 / 12 on time        3.0

    received 9: pengaduan 7, aspirasi "< 5", informasi "< 5"; adminduk 7, lainnya "< 5"
    verified on time 6 of 8 = 75 %; answered on time 4 of 6 = 67 %; median of
    4, 6, 16, 2, 3 days = 4,0; reopened "< 5".

October: two complaints (received "< 5", no shares, no median). October 2025: one, outside the
twelve months shown.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from domain.complaints import DEFAULT_CATEGORIES
from domain.skm import ELEMENTS
from models import complaints
from models.survey import SurveyResponse
from models.tables import (
    Complaint,
    ComplaintCategory,
    ComplaintCounter,
    ComplaintEvent,
    Unit,
)
from models.types import stored_id
from tests.e2e.harness import Harness

# Personal data seeded into the database; none of it may reach the page or a CSV file.
REPORTER = "Sutrisno Wibowo Hasibuan"
PHONE = "+6281298765432"
REPORTER_ID = 777_000_111
STORY = "Jalan depan rumah Bu Ratna Siregar berlubang besar sejak banjir"
SECRET_STORY = "RAHASIA pungutan liar oleh petugas loket lantai dua"
ANON_STORY = "Lampu jalan gang Melati padam tiga minggu"
PLACE = "Jl. Veteran Gg. Melati No. 12, Belawan II"
SECRET_PLACE = "Kantor Kelurahan Belawan Bahari ruang belakang"
NOTE = "Sudah ditambal oleh tim Dinas PU bersama Pak Hendra"
REOPEN_NOTE = "Masih berlubang kata tetangga saya Pak Ucok"
PERSONAL = [REPORTER, PHONE, str(REPORTER_ID), STORY, SECRET_STORY, ANON_STORY, PLACE,
            SECRET_PLACE, NOTE, REOPEN_NOTE, "Hasibuan", "Ratna", "Melati", "pungutan"]  # fmt: skip

# Survey answers of BLW-PU: six in 2026Q4 (published), five in 2026Q3 all 4 (100,00 A);
# BLW-K01: two in 2026Q4 ("< 5", not published).
PU_Q4 = [
    [4, 4, 3, 4, 3, 4, 4, 3, 3],
    [3, 3, 3, 4, 3, 3, 4, 3, 2],
    [4, 3, 2, 4, 3, 4, 3, 3, 3],
    [3, 4, 3, 4, 4, 3, 4, 4, 3],
    [2, 3, 3, 4, 3, 3, 3, 3, 2],
    [4, 4, 4, 4, 4, 4, 4, 4, 4],
]
PU_Q3 = [[4] * 9] * 5
K01_Q4 = [[1] * 9, [2] * 9]


def wib(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC) - timedelta(hours=7)


async def ids(office: Harness) -> dict[str, int]:
    async with office.db.read() as session:
        units = (await session.execute(select(col(Unit.code), col(Unit.id)))).all()
        categories = (
            await session.execute(select(col(ComplaintCategory.code), col(ComplaintCategory.id)))
        ).all()
    return {code: stored_id(i) for code, i in [*units, *categories]}


async def seed_survey(office: Harness) -> None:
    found = await ids(office)
    async with office.db.write() as session:
        for code, period, day, answers in (
            ("BLW-PU", "2026Q4", date(2026, 11, 20), PU_Q4),
            ("BLW-PU", "2026Q3", date(2026, 8, 3), PU_Q3),
            ("BLW-K01", "2026Q4", date(2026, 11, 2), K01_Q4),
        ):
            for scores in answers:
                session.add(
                    SurveyResponse(
                        unit_id=found[code],
                        period=period,
                        submitted_on=day,
                        service_name="Surat keterangan domisili",
                        comment=f"Petugas {REPORTER} lambat",
                        **dict(zip(ELEMENTS, scores, strict=True)),  # type: ignore[arg-type]
                    )
                )


def _complaint(number: int, found: dict[str, int], **fields: Any) -> Complaint:
    filed: datetime = fields.pop("created_at")
    values: dict[str, Any] = {
        "tracking_number": f"BLW-{filed:%y%m}-{number:04d}",
        "period": f"{filed:%y%m}",
        "sequence": number,
        "kind": "pengaduan",
        "category_id": found[fields.pop("category", "adminduk")],
        "unit_id": found["BLW-PU"],
        "story": STORY,
        "location_text": PLACE,
        "latitude": 3.7755,
        "longitude": 98.6832,
        "privacy": "biasa",
        "reporter_alias": number,
        "reporter_telegram_id": REPORTER_ID,
        "reporter_name": REPORTER,
        "contact_phone": PHONE,
        "status": "ditutup",
        "created_at": filed,
        "updated_at": filed,
    }
    values.update(fields)
    return Complaint(**values)


def _november(found: dict[str, int]) -> list[Complaint]:
    d = date
    return [
        _complaint(1, found, created_at=wib(11, 2), verification_due=d(2026, 11, 5),
                   verified_at=wib(11, 3), follow_up_due=d(2026, 11, 10),
                   resolved_at=wib(11, 6), closed_at=wib(11, 9), outcome="selesai",
                   resolution_note=NOTE),
        _complaint(2, found, created_at=wib(11, 3), verification_due=d(2026, 11, 5),
                   verified_at=wib(11, 6), follow_up_due=d(2026, 11, 13),
                   resolved_at=wib(11, 9), closed_at=wib(11, 12), outcome="selesai"),
        _complaint(3, found, kind="aspirasi", category="lainnya", created_at=wib(11, 4),
                   verification_due=d(2026, 11, 7), verified_at=wib(11, 5),
                   follow_up_due=d(2026, 11, 15), resolved_at=wib(11, 20), status="selesai"),
        _complaint(4, found, kind="informasi", category="lainnya", created_at=wib(11, 5),
                   verification_due=d(2026, 11, 10), verified_at=wib(11, 6),
                   follow_up_due=d(2026, 11, 11), closed_at=wib(11, 7),
                   outcome="tanpa_penyelesaian"),
        _complaint(5, found, created_at=wib(11, 6), verification_due=d(2026, 11, 11),
                   verified_at=wib(11, 9), follow_up_due=d(2026, 11, 20), status="diproses",
                   privacy="rahasia", story=SECRET_STORY, location_text=SECRET_PLACE),
        _complaint(6, found, created_at=wib(11, 10), verification_due=d(2026, 11, 23),
                   status="baru", privacy="anonim", story=ANON_STORY, reporter_name=None),
        _complaint(7, found, created_at=wib(11, 11), verification_due=d(2026, 11, 16),
                   closed_at=wib(11, 12), status="ditolak", outcome="ditolak"),
        _complaint(8, found, created_at=wib(11, 23), verification_due=d(2026, 11, 26),
                   status="baru"),
        _complaint(9, found, created_at=wib(11, 9), verification_due=d(2026, 11, 12),
                   verified_at=wib(11, 10), follow_up_due=d(2026, 11, 17),
                   resolved_at=wib(11, 12), closed_at=wib(11, 16), outcome="selesai"),
    ]  # fmt: skip


async def seed_complaints(office: Harness) -> None:
    await complaints.import_categories(
        office.db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=office.clock.now()
    )
    found = await ids(office)
    d = date
    rows = [
        *_november(found),
        _complaint(1, found, created_at=wib(10, 6), verification_due=d(2026, 10, 9),
                   verified_at=wib(10, 7), follow_up_due=d(2026, 10, 14),
                   resolved_at=wib(10, 8), closed_at=wib(10, 9), outcome="selesai"),
        _complaint(2, found, created_at=wib(10, 20), category="jalan",
                   verification_due=d(2026, 10, 23), status="baru"),
        _complaint(1, found, created_at=wib(10, 20, year=2025), verification_due=d(2025, 10, 23),
                   status="baru"),
    ]  # fmt: skip
    async with office.db.write() as session:
        session.add_all(rows)
        # The numbers taken, as filing would have counted them: the next complaint gets 0010.
        for period, last in (("2611", 9), ("2610", 2), ("2510", 1)):
            session.add(ComplaintCounter(period=period, last=last))
        await session.flush()
        reopened = rows[2]
        assert reopened.id is not None
        session.add(
            ComplaintEvent(
                complaint_id=reopened.id,
                at=wib(11, 8),
                actor="citizen",
                action="reopen",
                from_status="selesai",
                to_status="dibuka_kembali",
                note=REOPEN_NOTE,
            )
        )
