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
approved hour on 23 November (1 of 5 days, 20%): change +3 entries, +4.0 hours, +55 points.
Putri has blocked the bot: "tidak dapat dihubungi". Syahrul logged nothing: silent 5 days.
"""

from __future__ import annotations

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
    assert "Dibanding minggu sebelumnya: kegiatan +3, jam +4.0, kepatuhan +55 poin" in text.text
    assert chart.photo and "kepatuhan melapor" in (chart.caption or "")
    assert xlsx.document is not None and xlsx.document["file_name"] == "digest-2026-W49.xlsx"

    # The XLSX on disk holds the same figures.
    path = office.settings.data_dir / "digests" / "2026-W49" / f"{ids[SYAHRUL]}-id.xlsx"
    sheet = load_workbook(path).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["Nama", "Hari kerja", "Hari melapor", "Kegiatan", "Jam"]
    assert rows[1] == ["Putri Ayu Lestari, A.Md", 4, 3, 4, 5, 2, 1, 1, 1, 1, 1, "ya"]

    # The camat's digest lists Syahrul, who logged nothing all week: silent for 5 days.
    camat_new = camat.messages[before[camat] :]
    assert [bool(m.photo) for m in camat_new] == [False, True, False]
    assert camat_new[2].document is not None
    syahrul_block = camat_new[0].text.split("Syahrul Effendi Batubara, S.Sos")[1].split("\n\n")[0]
    assert "Hari kerja 5, hari melapor 0, kegiatan 0, 0 jam" in syahrul_block
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
