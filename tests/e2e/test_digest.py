"""The weekly digest, the supervisor nudge and /digest, through the emulator with a fixed clock.

The camat supervises Syahrul (lurah of Belawan I), who supervises Putri. The digest covers
Monday 30 November – Sunday 6 December 2026 (five working days) and is sent Monday 7 December
07:00 WIB. Putri's week, by hand:

    Mon 30  approved 60 min, approved 90 min
    Tue 1   submitted 120 min (late)
    Wed 2   on leave (cuti)
    Thu 3   revision requested 30 min
    Fri 4   rejected 45 min (not counted)

→ 4 working days expected, 3 with entries, 4 entries, 300 min = 5 hours, 2 approved, 1 waiting,
1 needing revision, 1 late, 1 day on leave; silent 1 day (no flag). The week before she logged one
approved hour on 23 November (1 of 5 days, 20%): change +3 entries, +4 hours, +55 points.
Putri has blocked the bot: "tidak dapat dihubungi". Syahrul logged nothing in either week: silent
10 working days.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from domain.calendar import WorkCalendar
from models.outbox import OutboxMessage
from models.tables import Activity, Employee, Leave, TelegramLink, TelegramUser

CAMAT = "198105142003121002"
SYAHRUL = "197605012002121003"
PUTRI = "199512042020122005"
WIB = timedelta(hours=7)


def wib(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - WIB


async def _tick(office, when: datetime) -> dict[str, int]:  # type: ignore[no-untyped-def]
    office.clock.set(when)
    written = await office.scheduler.tick()
    await office.scheduler.sender.run_until_idle()
    return written


async def _ids(office) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with office.db.read() as session:
        rows = await session.execute(
            select(Employee.nip, Employee.id).where(Employee.nip.in_([CAMAT, SYAHRUL, PUTRI]))
        )
        return dict(rows.all())


def _activity(employee_id: int, day: date, minutes: int, status: str, **kw) -> Activity:  # type: ignore[no-untyped-def]
    created = kw.pop(
        "created_at", datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=3)
    )
    return Activity(
        employee_id=employee_id,
        work_date=day,
        description=f"Kegiatan {day} {status}",
        minutes=minutes,
        status=status,
        created_at=created,
        **kw,
    )


async def _putri_week(office, ids: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    putri = ids[PUTRI]
    async with office.db.write() as session:
        session.add_all(
            [
                _activity(putri, date(2026, 11, 23), 60, "approved"),  # the week before
                _activity(putri, date(2026, 11, 30), 60, "approved"),
                _activity(putri, date(2026, 11, 30), 90, "approved"),
                _activity(putri, date(2026, 12, 1), 120, "submitted", late=True),
                _activity(putri, date(2026, 12, 3), 30, "revision_requested"),
                _activity(putri, date(2026, 12, 4), 45, "rejected"),
                _activity(putri, date(2026, 12, 7), 600, "approved"),  # this week: not counted
                Leave(
                    employee_id=putri, kind="cuti", start=date(2026, 12, 2), end=date(2026, 12, 2)
                ),
            ]
        )


async def _block(office, employee_id: int) -> None:  # type: ignore[no-untyped-def]
    async with office.db.write() as session:
        telegram_id = (
            await session.execute(
                select(TelegramLink.telegram_user_id).where(TelegramLink.employee_id == employee_id)
            )
        ).scalar_one()
        user = await session.get(TelegramUser, telegram_id)
        assert user is not None
        user.blocked_at = wib(12, 5, 10)


def _texts(person) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text for m in person.messages if m.text]


async def test_weekly_digest(office) -> None:  # type: ignore[no-untyped-def]
    calendar = WorkCalendar()
    assert calendar.working_days(date(2026, 11, 23), date(2026, 12, 6)) == [
        date(2026, 11, d) for d in (23, 24, 25, 26, 27)
    ] + [date(2026, 11, 30)] + [date(2026, 12, d) for d in (1, 2, 3, 4)]
    office.clock.set(wib(11, 30, 8))
    camat = await office.employee(CAMAT, first_name="Rahmad")
    syahrul = await office.employee(SYAHRUL, first_name="Syahrul")
    await office.employee(PUTRI, first_name="Putri")
    ids = await _ids(office)
    await _putri_week(office, ids)
    await _block(office, ids[PUTRI])
    before = {p: len(p.messages) for p in (camat, syahrul)}

    # Sunday evening and Monday 06:59: nothing yet.
    assert (await _tick(office, wib(12, 6, 20)))["weekly_digest"] == 0
    assert (await _tick(office, wib(12, 7, 6, 59)))["weekly_digest"] == 0
    written = await _tick(office, wib(12, 7, 7, 0))
    assert written["weekly_digest"] == 6  # two supervisors: text, chart, XLSX each

    new = syahrul.messages[before[syahrul] :]
    assert len(new) == 3
    text, chart, xlsx = new
    assert "Ringkasan mingguan tim" in text.text
    assert "30 November 2026 – 6 Desember 2026" in text.text
    assert "Putri Ayu Lestari, A.Md" in text.text
    assert (
        "Hari kerja 4, hari melapor 3, kegiatan 4, 5 jam\n"
        "Disetujui 2 · menunggu 1 · perlu revisi 1 · terlambat 1 · cuti 1 hari"
    ) in text.text
    assert "Tidak dapat dihubungi" in text.text
    assert "Tidak melapor" not in text.text.split("Total tim")[0]
    assert "Hari melapor 3/4 (75%), kegiatan 4, 5 jam" in text.text
    assert (
        "Dibanding minggu sebelumnya: kegiatan +3, waktu kerja +4 jam, kepatuhan +55 poin"
    ) in text.text
    assert chart.photo and "kepatuhan melapor" in (chart.caption or "")
    assert xlsx.document is not None and xlsx.document["file_name"] == "digest-2026-W49.xlsx"

    # The XLSX on disk holds the same figures.
    path = office.settings.data_dir / "digests" / "2026-W49" / f"{ids[SYAHRUL]}-id.xlsx"
    sheet = load_workbook(path).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["Nama", "Hari kerja", "Hari melapor", "Kegiatan", "Jam"]
    assert rows[1] == ["Putri Ayu Lestari, A.Md", 4, 3, 4, 5, 2, 1, 1, 1, 1, 1, "ya"]
    # The total row: days in the columns of days; no count of people among them.
    assert rows[2] == ["Total tim", 4, 3, 4, 5, 2, 1, 1, 1, 1, None, None]

    # The camat's digest lists Syahrul, who logged nothing all week: silent for 5 days.
    camat_new = camat.messages[before[camat] :]
    assert [bool(m.photo) for m in camat_new] == [False, True, False]
    assert camat_new[2].document is not None
    syahrul_block = camat_new[0].text.split("Syahrul Effendi Batubara, S.Sos")[1].split("\n\n")[0]
    assert "Hari kerja 5, hari melapor 0, kegiatan 0, 0 menit" in syahrul_block
    # Linked on Monday 30 November: his silence counts from then, not from the week before,
    # when he could not report through the bot.
    assert "Tidak melapor 5 hari kerja" in syahrul_block

    # Ticking again, later that morning or after a restart, sends nothing new.
    assert (await _tick(office, wib(12, 7, 7, 5)))["weekly_digest"] == 0
    assert (await _tick(office, wib(12, 7, 12, 0)))["weekly_digest"] == 0
    assert len(syahrul.messages) == before[syahrul] + 3
    async with office.db.read() as session:
        keys = sorted(
            (
                await session.execute(
                    select(OutboxMessage.key).where(OutboxMessage.kind == "digest")
                )
            ).scalars()
        )
    assert keys == sorted(
        f"digest:{ids[who]}:2026-W49:{part}"
        for who in (CAMAT, SYAHRUL)
        for part in ("text", "chart", "xlsx")
    )


async def test_digest_xlsx_writes_a_name_that_looks_like_a_formula_as_text(office) -> None:  # type: ignore[no-untyped-def]
    hostile = '=HYPERLINK("http://evil.example","Putri")'
    office.clock.set(wib(11, 30, 8))
    await office.employee(SYAHRUL, first_name="Syahrul")
    ids = await _ids(office)
    async with office.db.write() as session:
        putri = await session.get(Employee, ids[PUTRI])
        assert putri is not None
        putri.name = hostile
    await _putri_week(office, ids)
    await _tick(office, wib(12, 7, 7, 0))
    path = office.settings.data_dir / "digests" / "2026-W49" / f"{ids[SYAHRUL]}-id.xlsx"
    sheet = load_workbook(path).active
    name, *figures = next(sheet.iter_rows(min_row=2, max_row=2))
    assert (name.value, name.data_type) == (hostile, "s")
    assert [c.value for c in figures[:4]] == [4, 3, 4, 5]  # numbers stay numbers
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


async def test_digest_catches_up_within_the_grace_window(office) -> None:  # type: ignore[no-untyped-def]
    office.clock.set(wib(11, 30, 8))
    syahrul = await office.employee(SYAHRUL)
    # Down from Monday 06:00 until 18:59: within 12 hours, so it runs once at start-up.
    assert (await _tick(office, wib(12, 7, 18, 59)))["weekly_digest"] == 3
    assert sum(bool(m.photo) for m in syahrul.messages) == 1
    # Down until Monday 19:00 the following week: too late for that week, nothing is sent.
    assert (await _tick(office, wib(12, 14, 19, 0)))["weekly_digest"] == 0


async def test_supervisor_nudge(office) -> None:  # type: ignore[no-untyped-def]
    office.clock.set(wib(11, 30, 8))
    camat = await office.employee(CAMAT)
    syahrul = await office.employee(SYAHRUL)
    ids = await _ids(office)
    await _putri_week(office, ids)  # one entry submitted on Tuesday 1 December, still waiting
    camat_before = len(camat.messages)

    # Thursday 16:00: waiting 2 working days (Wed, Thu): not yet.
    assert (await _tick(office, wib(12, 3, 16)))["supervisor_nudge"] == 0
    # Friday 15:59 nothing; 16:00 one message to Syahrul.
    assert (await _tick(office, wib(12, 4, 15, 59)))["supervisor_nudge"] == 0
    assert (await _tick(office, wib(12, 4, 16)))["supervisor_nudge"] == 1
    nudges = [t for t in _texts(syahrul) if "menunggu persetujuan" in t]
    assert len(nudges) == 1
    assert "Syahrul Effendi Batubara, S.Sos, ada 1 kegiatan" in nudges[0]
    assert "1 Desember 2026" in nudges[0]
    # Once per day; nobody else; not on Saturday.
    assert (await _tick(office, wib(12, 4, 16, 30)))["supervisor_nudge"] == 0
    assert (await _tick(office, wib(12, 5, 16)))["supervisor_nudge"] == 0
    assert not [t for t in _texts(camat)[camat_before:] if "menunggu persetujuan" in t]
    async with office.db.read() as session:
        keys = (
            (await session.execute(select(OutboxMessage.key).where(OutboxMessage.kind == "nudge")))
            .scalars()
            .all()
        )
    assert keys == [f"nudge:{ids[SYAHRUL]}:2026-12-04"]


async def test_digest_command(office) -> None:  # type: ignore[no-untyped-def]
    office.clock.set(wib(11, 30, 8))
    syahrul = await office.employee(SYAHRUL)
    putri = await office.employee(PUTRI)
    ids = await _ids(office)
    await _putri_week(office, ids)

    office.clock.set(wib(12, 9, 10))  # Wednesday: "last week" is still 30 Nov – 6 Dec
    await syahrul.send("/digest")
    text, chart, xlsx = await syahrul.wait_for(3)
    assert "Hari kerja 4, hari melapor 3, kegiatan 4, 5 jam" in text.text
    assert "Tidak dapat dihubungi" not in text.text
    assert chart.photo and xlsx.document is not None
    # Not through the outbox.
    async with office.db.read() as session:
        assert (await session.execute(select(OutboxMessage.key))).first() is None

    # Putri supervises nobody: refused.
    await putri.send("/digest")
    [refusal] = await putri.wait_for(1)
    assert "Ringkasan" not in refusal.text


async def test_digest_has_the_complaint_figures_of_a_complaint_handling_unit(office) -> None:  # type: ignore[no-untyped-def]
    """Syahrul heads Kelurahan Belawan I, which gets complaints routed to it. Week 30 Nov – 6 Dec
    (WIB), counted on Monday 7 December, by hand:

        #1 filed Mon 30 09:00, verified 15:00 (6 h), resolved Thu 3     received, resolved
        #2 filed Tue 1 10:00, verified Wed 2 10:00 (24 h), in work,
           follow-up due Fri 4                                          received, overdue
        #3 filed Fri 27 Nov 10:00, verified Tue 1 12:00 (98 h), due 10 Dec
        #4 filed Sat 5 10:00, new, verification due 9 Dec              received
        #5 filed Mon 23 Nov, new, verification due 26 Nov              overdue
        #6 filed Sun 6 23:30 WIB (the week's last half hour)            received
        #7 filed Mon 7 00:30 WIB (the next week)

    → received 4, resolved 1, overdue 2, median time to verification of #1 #2 #3 = 24 hours.
    The camat's unit handles no complaints: no complaint block in his digest.
    """
    from models.tables import Complaint, ComplaintCategory, Unit

    office.clock.set(wib(11, 30, 8))
    camat = await office.employee(CAMAT, first_name="Rahmad")
    syahrul = await office.employee(SYAHRUL, first_name="Syahrul")
    async with office.db.write() as session:
        unit_id = (
            await session.execute(select(Unit.id).where(Unit.code == "BLW-K01"))
        ).scalar_one()
        category = ComplaintCategory(code="k01", name="Layanan kelurahan", unit_id=unit_id)
        session.add(category)
        await session.flush()

        def complaint(n: int, filed: datetime, status: str, **kw) -> Complaint:  # type: ignore[no-untyped-def]
            return Complaint(
                tracking_number=f"BLW-2612-{n:04d}",
                period="2612",
                sequence=n,
                kind="pengaduan",
                category_id=category.id,
                unit_id=unit_id,
                story="Cerita aduan yang cukup panjang untuk disimpan.",
                privacy="biasa",
                reporter_alias=n,
                status=status,
                created_at=filed,
                **{"verification_due": date(2026, 12, 9), **kw},
            )

        session.add_all(
            [
                complaint(1, wib(11, 30, 9), "selesai", verified_at=wib(11, 30, 15),
                          resolved_at=wib(12, 3, 10), follow_up_due=date(2026, 12, 7)),
                complaint(2, wib(12, 1, 10), "diproses", verified_at=wib(12, 2, 10),
                          follow_up_due=date(2026, 12, 4)),
                complaint(3, wib(11, 27, 10), "terverifikasi", verified_at=wib(12, 1, 12),
                          follow_up_due=date(2026, 12, 10)),
                complaint(4, wib(12, 5, 10), "baru"),
                complaint(5, wib(11, 23, 10), "baru", verification_due=date(2026, 11, 26)),
                complaint(6, wib(12, 6, 23, 30), "baru"),
                complaint(7, wib(12, 7, 0, 30), "baru"),
            ]
        )  # fmt: skip
    before = {p: len(p.messages) for p in (camat, syahrul)}
    await _tick(office, wib(12, 7, 7, 0))

    # The late complaints were escalated to him as well; the digest is the one with the summary.
    [text] = [t for t in _texts(syahrul)[before[syahrul] :] if "Ringkasan mingguan" in t]
    assert (
        "Aduan Kelurahan Belawan I\n"
        "Masuk 4 · selesai 1 · lewat tenggat saat ini 2\n"
        "Median waktu sampai verifikasi: 24 jam"
    ) in text
    [camat_text] = [t for t in _texts(camat)[before[camat] :] if "Ringkasan mingguan" in t]
    assert "Aduan" not in camat_text
    ids = await _ids(office)
    path = office.settings.data_dir / "digests" / "2026-W49" / f"{ids[SYAHRUL]}-id.xlsx"
    sheet = load_workbook(path)["Aduan"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Aduan masuk", "Aduan selesai", "Lewat tenggat", "Median jam sampai verifikasi"],
        [4, 1, 2, 24],
    ]


async def test_units_choose_their_digest_slot_and_two_schedulers_send_once(office) -> None:  # type: ignore[no-untyped-def]
    """Kelurahan Belawan I (Syahrul's unit) takes the Friday 16:00 digest of the week ending;
    the kecamatan (the camat) keeps Monday 07:00 for the week before. Two schedulers ticking
    at the same moment (two processes) write each digest once."""
    from models.db import Database
    from models.schedule import set_unit_schedule
    from scheduler.service import Scheduler
    from services import Services

    office.clock.set(wib(11, 30, 8))
    camat = await office.employee(CAMAT, first_name="Rahmad")
    syahrul = await office.employee(SYAHRUL, first_name="Syahrul")
    await set_unit_schedule(
        office.db, "BLW-K01", now=office.clock.now(), actor="test", digest_mode="friday"
    )

    def digests(person) -> list[str]:  # type: ignore[no-untyped-def]
        return [t for t in _texts(person) if "Ringkasan mingguan" in t]

    # Thursday and Friday 15:59: nothing. Friday 16:00, from two schedulers at once.
    assert (await _tick(office, wib(12, 3, 16)))["weekly_digest"] == 0
    assert (await _tick(office, wib(12, 4, 15, 59)))["weekly_digest"] == 0
    office.clock.set(wib(12, 4, 16, 0))
    second_db = Database(office.settings.resolved_database_url)
    other = Scheduler(
        Services(settings=office.settings, db=second_db, clock=office.clock),
        office.scheduler.sender,
        None,
    )
    try:
        counts = await asyncio.gather(
            office.scheduler.run_job("weekly_digest"), other.run_job("weekly_digest")
        )
    finally:
        await second_db.dispose()
    assert sorted(counts) == [0, 3]  # Syahrul only: text, chart, XLSX; the loser writes nothing
    await office.scheduler.sender.run_until_idle()
    [friday] = digests(syahrul)
    assert "30 November 2026 – 6 Desember 2026" in friday
    assert digests(camat) == []

    # Monday 07:00: the camat gets the same week; Syahrul nothing more.
    assert (await _tick(office, wib(12, 7, 7, 0)))["weekly_digest"] == 3
    [monday] = digests(camat)
    assert "30 November 2026 – 6 Desember 2026" in monday
    assert len(digests(syahrul)) == 1
    # Next Friday: Syahrul's second digest, for 7–13 December.
    assert (await _tick(office, wib(12, 11, 16, 30)))["weekly_digest"] == 3
    assert "7 Desember 2026 – 13 Desember 2026" in digests(syahrul)[1]


async def test_digest_has_the_survey_figures_of_a_unit_with_responses(office) -> None:  # type: ignore[no-untyped-def]
    """Kelurahan Belawan I's SKM answers in 2026 Q4, by hand, for the week 30 Nov – 6 Dec:

        15 Oct   4 4 4 4 4 4 4 4 4   (quarter only)
        2 Dec    3 3 3 3 3 3 3 3 3   (week)
        5 Dec    4 4 4 4 4 3 3 3 3   (week)
        8 Dec    1 …                 (after the week: not counted)
        30 Sep   1 …                 (Q3: not counted)

    Week: 2 responses. Quarter to 6 Dec: 3 respondents; elements 1–5 mean 11/3, 6–9 mean 10/3;
    index (5·11/3 + 4·10/3)/9 = 95/27; IKM 2375/27 = 87.96 → B (Baik). The camat's unit has no
    responses: no survey block for him.
    """
    from domain.skm import ELEMENTS
    from models.survey import SurveyResponse
    from models.tables import Unit

    office.clock.set(wib(11, 30, 8))
    camat = await office.employee(CAMAT, first_name="Rahmad")
    syahrul = await office.employee(SYAHRUL, first_name="Syahrul")
    async with office.db.write() as session:
        unit_id = (
            await session.execute(select(Unit.id).where(Unit.code == "BLW-K01"))
        ).scalar_one()
        for day, scores in (
            (date(2026, 10, 15), [4] * 9),
            (date(2026, 12, 2), [3] * 9),
            (date(2026, 12, 5), [4] * 5 + [3] * 4),
            (date(2026, 12, 8), [1] * 9),
            (date(2026, 9, 30), [1] * 9),
        ):
            session.add(
                SurveyResponse(
                    unit_id=unit_id,
                    period=f"{day.year}Q{(day.month - 1) // 3 + 1}",
                    submitted_on=day,
                    service_name="Surat keterangan",
                    **dict(zip(ELEMENTS, scores, strict=True)),
                )
            )
    before = {p: len(p.messages) for p in (camat, syahrul)}
    await _tick(office, wib(12, 7, 7, 0))
    [text] = [t for t in _texts(syahrul)[before[syahrul] :] if "Ringkasan mingguan" in t]
    assert (
        "Survei kepuasan (SKM) Kelurahan Belawan I\n"
        "Respons minggu ini 2 · IKM Triwulan IV 2026 (berjalan) 87,96, mutu B (Baik) "
        "dari 3 responden"
    ) in text
    [camat_text] = [t for t in _texts(camat)[before[camat] :] if "Ringkasan mingguan" in t]
    assert "SKM" not in camat_text


async def test_nudge_comes_at_16_in_the_supervisors_own_time_zone(office) -> None:  # type: ignore[no-untyped-def]
    """Syahrul's unit moved (for the test) to Jayapura time, two hours ahead of Belawan: his
    nudge comes at 16:00 WIT, which is 14:00 WIB, once."""
    from models.schedule import set_unit_schedule

    office.clock.set(wib(11, 30, 8))
    syahrul = await office.employee(SYAHRUL)
    await _putri_week(office, await _ids(office))  # an entry waiting since Tuesday 1 December
    await set_unit_schedule(
        office.db, "BLW-K01", now=office.clock.now(), actor="test", timezone="Asia/Jayapura"
    )
    assert (await _tick(office, wib(12, 4, 13, 59)))["supervisor_nudge"] == 0
    assert (await _tick(office, wib(12, 4, 14, 0)))["supervisor_nudge"] == 1
    assert (await _tick(office, wib(12, 4, 16, 0)))["supervisor_nudge"] == 0
    assert len([t for t in _texts(syahrul) if "menunggu persetujuan" in t]) == 1
