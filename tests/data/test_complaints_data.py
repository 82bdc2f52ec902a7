"""Complaint data functions on both databases: numbering, limits, moves inside transactions,
categories import, prompts, and the retention purge."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from domain.calendar import WorkCalendar
from domain.complaints import DEFAULT_CATEGORIES, CategoryRow, Deadlines, InvalidMove, Move
from models import complaints
from models import conversation as conversations
from models.activities import EvidenceDraft
from models.db import Database
from models.outbox import OutboxMessage, enqueue, text_payload
from models.tables import (
    AuditEntry,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintMessage,
    Employee,
    Unit,
)
from models.types import stored_id
from services.survey import offer_payload

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)
CALENDAR = WorkCalendar()
STORY = "Lampu jalan di Jl. Stasiun depan masjid mati sejak Senin malam."


@pytest.fixture
async def categories(db: Database) -> dict[str, int]:
    async with db.write() as session:
        for code in ("BLW-PU", "BLW-PM", "BLW-TRANTIB", "BLW-K01"):
            session.add(Unit(code=code, name=f"Unit {code}"))
    result = await complaints.import_categories(
        db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=NOW
    )
    assert result.new == len(DEFAULT_CATEGORIES)
    async with db.read() as session:
        rows = (await session.execute(select(ComplaintCategory))).scalars()
        return {c.code: c.id for c in rows}  # type: ignore[misc]


def _draft(
    categories: dict[str, int], reporter: int = 7, **kwargs: object
) -> complaints.ComplaintDraft:
    values: dict[str, object] = {
        "reporter_telegram_id": reporter,
        "reporter_name": "Siti",
        "kind": "pengaduan",
        "category_id": categories["adminduk"],
        "story": STORY,
        "privacy": "biasa",
    }
    return complaints.ComplaintDraft(**(values | kwargs))  # type: ignore[arg-type]


async def _submit(db: Database, draft: complaints.ComplaintDraft, **kwargs: object):
    options: dict[str, object] = {
        "now": NOW,
        "today": TODAY,
        "calendar": CALENDAR,
        "deadlines": Deadlines(),
        "daily_limit": 100,
    }
    return await complaints.submit_complaint(db, draft, **(options | kwargs))  # type: ignore[arg-type]


async def _move(db: Database, complaint_id: int, move: Move, **kwargs: object):
    options: dict[str, object] = {
        "actor": "tg:1",
        "now": NOW,
        "today": TODAY,
        "calendar": CALENDAR,
        "deadlines": Deadlines(),
        "survey_offer": offer_payload,
    }
    return await complaints.apply_move(db, complaint_id, move, **(options | kwargs))  # type: ignore[arg-type]


async def test_numbers_run_per_month_and_never_collide(
    db: Database, categories: dict[str, int]
) -> None:
    made = await asyncio.gather(*(_submit(db, _draft(categories, reporter=i)) for i in range(6)))
    assert sorted(c.tracking_number for c in made) == [f"BLW-2611-000{i}" for i in range(1, 7)]
    december = await _submit(db, _draft(categories), today=date(2026, 12, 1))
    assert december.tracking_number == "BLW-2612-0001"
    assert december.verification_due == date(2026, 12, 4)
    assert december.unit_id == made[0].unit_id  # routed by its category


async def test_submit_ends_the_flow_once_and_respects_limits(
    db: Database, categories: dict[str, int]
) -> None:
    flow = await conversations.begin(db, 7, 7, "complaint", "summary", {}, 1, NOW)
    token = (7, 7, flow.version)
    draft = _draft(categories, attachments=[EvidenceDraft("photo", "f1", "u1", stored_path=None)])
    complaint = await _submit(db, draft, conversation=token)
    with pytest.raises(complaints.AlreadySaved):
        await _submit(db, draft, conversation=token)
    with pytest.raises(complaints.LimitReached):
        await _submit(db, draft, daily_limit=1)
    assert (await _submit(db, draft, daily_limit=1, now=NOW + timedelta(hours=25))).id
    assert await complaints.ban_reporter(
        db, complaint.tracking_number, "spam", actor="cli", now=NOW
    )
    assert await complaints.is_banned(db, 7)
    with pytest.raises(complaints.Banned):
        await _submit(db, draft)
    assert await complaints.unban_reporter(db, complaint.tracking_number, actor="cli", now=NOW)
    assert not await complaints.unban_reporter(db, complaint.tracking_number, actor="cli", now=NOW)
    assert len(await complaints.attachments_of(db, complaint.id)) == 1


async def test_moves_are_checked_inside_the_transaction(
    db: Database, categories: dict[str, int]
) -> None:
    complaint = await _submit(db, _draft(categories))
    both = await asyncio.gather(
        _move(db, complaint.id, Move.VERIFY),
        _move(db, complaint.id, Move.VERIFY),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in both) == ["InvalidMove", "MoveResult"]
    with pytest.raises(LookupError):  # not this citizen's
        await _move(db, complaint.id, Move.CONFIRM, reporter_telegram_id=8)
    resolved = await _move(db, complaint.id, Move.RESOLVE, note="Sudah diganti")
    assert resolved.complaint.reopen_until == date(2026, 12, 8)
    with pytest.raises(complaints.ReopenExpired):
        await _move(
            db, complaint.id, Move.REOPEN, reporter_telegram_id=7, today=date(2026, 12, 9), note="x"
        )
    reopened = await _move(db, complaint.id, Move.REOPEN, reporter_telegram_id=7, note="Belum")
    assert reopened.complaint.status == "dibuka_kembali"
    assert reopened.complaint.follow_up_due == date(2026, 12, 1)
    closed = await _move(db, complaint.id, Move.CLOSE, note="Tidak dapat ditangani")
    assert (closed.complaint.status, closed.complaint.outcome) == ("ditutup", "tanpa_penyelesaian")
    with pytest.raises(complaints.ComplaintClosed):
        await complaints.add_message(
            db, complaint.id, side="staff", text="x", actor="tg:1", now=NOW
        )
    history = await complaints.history(db, complaint.id)
    assert [(e.action, e.from_status, e.to_status) for e in history] == [
        ("submitted", None, "baru"),
        ("verify", "baru", "terverifikasi"),
        ("resolve", "terverifikasi", "selesai"),
        ("reopen", "selesai", "dibuka_kembali"),
        ("close", "dibuka_kembali", "ditutup"),
    ]


async def test_forwarding_moves_the_complaint_to_the_other_unit(
    db: Database, categories: dict[str, int]
) -> None:
    complaint = await _submit(db, _draft(categories))
    await complaints.set_ticket(db, complaint.id, -100, 5)
    async with db.write() as session:
        k01 = (
            await session.execute(select(col(Unit.id)).where(col(Unit.code) == "BLW-K01"))
        ).scalar_one()
        handler = Employee(nip="198001012005011001", name="Petugas PU", unit_id=complaint.unit_id)
        session.add(handler)
        await session.flush()
    with pytest.raises(InvalidMove):  # to itself
        await _move(db, complaint.id, Move.FORWARD, target_unit_id=complaint.unit_id)
    assigned = await _move(db, complaint.id, Move.ASSIGN, assignee_id=handler.id)
    assert assigned.complaint.assignee_id == handler.id
    result = await _move(db, complaint.id, Move.FORWARD, target_unit_id=k01, note="Wilayah K01")
    assert result.previous_ticket == (-100, 5) and result.previous_unit_id == complaint.unit_id
    moved = result.complaint
    assert (moved.unit_id, moved.status, moved.desk_chat_id) == (k01, "dialihkan", None)
    # The other unit decides who works on it: the first unit's handler is no longer assigned.
    assert moved.assignee_id is None
    details = await complaints.ticket_details(db, moved)
    assert details.assignee is None
    assert details.forwarded_from == ("Unit BLW-PU", "Wilayah K01")


async def test_a_question_is_answered_once(db: Database, categories: dict[str, int]) -> None:
    complaint = await _submit(db, _draft(categories))
    await complaints.remember_messages(db, complaint.id, -100, [9], "prompt", move="reject")
    prompt = await complaints.find_message(db, -100, 9)
    assert prompt is not None and prompt.move == "reject"
    results = await asyncio.gather(*(complaints.take_prompt(db, prompt.id) for _ in range(3)))  # type: ignore[arg-type]
    assert sorted(results) == [False, False, True]


async def test_categories_import_is_all_or_nothing_and_idempotent(
    db: Database, categories: dict[str, int]
) -> None:
    again = await complaints.import_categories(
        db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=NOW
    )
    assert (again.new, again.changed, again.same) == (0, 0, len(DEFAULT_CATEGORIES))
    bad = [*DEFAULT_CATEGORIES[:2], CategoryRow("baru", "Baru", "", "BLW-NOPE", 1, line=9)]
    result = await complaints.import_categories(db, bad, dry_run=False, actor="test", now=NOW)
    assert [(p.line, p.code) for p in result.problems] == [(9, "unknown_unit")]
    fewer = [CategoryRow("jalan", "Jalan Rusak", "Roads", "BLW-PM", 1)]
    dry = await complaints.import_categories(db, fewer, dry_run=True, actor="test", now=NOW)
    assert (dry.changed, dry.deactivated) == (1, len(DEFAULT_CATEGORIES) - 1)
    assert len(await complaints.active_categories(db)) == len(DEFAULT_CATEGORIES)
    await complaints.import_categories(db, fewer, dry_run=False, actor="test", now=NOW)
    [left] = await complaints.active_categories(db)
    assert (left.code, left.name) == ("jalan", "Jalan Rusak")


async def test_purge_removes_personal_data_of_old_closed_complaints(
    db: Database, categories: dict[str, int], tmp_path: Path
) -> None:
    """Every kind of personal data goes: the complaint's fields, the texts of its history, its
    attachments and their files, the routing records and the outbox rows keyed by it (which
    carry the reporter's chat id); each is counted. What a kept complaint shares stays."""
    data_dir = tmp_path / "data"
    month = data_dir / "complaints" / "2026-11"
    month.mkdir(parents=True)
    for name in ("shared.jpg", "own.jpg", "legacy.pdf"):
        (month / name).write_bytes(b"x")
    files = [
        EvidenceDraft("photo", "f1", "u1", stored_path="complaints/2026-11/shared.jpg"),
        EvidenceDraft("photo", "f2", "u2", stored_path="complaints/2026-11/own.jpg"),
        # Rows from before paths were kept relative to the data folder hold the whole path.
        EvidenceDraft("document", "f3", "u3", stored_path=str(month / "legacy.pdf")),
        EvidenceDraft("photo", "f4", "u4", stored_path="complaints/2026-11/gone.jpg"),
    ]
    old = await _submit(
        db,
        _draft(
            categories,
            contact_phone="+62812",
            attachments=files,
            location_text="Jl. Stasiun No. 5",
            latitude=3.77,
            longitude=98.68,
        ),
    )
    kept_open = await _submit(
        db,
        _draft(
            categories,
            attachments=[
                EvidenceDraft("photo", "f1", "u1", stored_path="complaints/2026-11/shared.jpg")
            ],
        ),
    )
    await complaints.add_message(
        db, old.id, side="citizen", text="Rumah saya no 5", actor="citizen", now=NOW
    )
    await complaints.remember_messages(db, old.id, 7, [3], "citizen")
    await _move(db, old.id, Move.REJECT, note="Bukan wewenang kecamatan")
    async with db.write() as session:
        for key in (
            f"escalation:{old.id}:verification:2026-11-27:-100",
            f"complaint-closed:{old.id}",
            f"survey-offer:{old.id}",
            f"survey-offer:{kept_open.id}",
            f"complaint-closed:{old.id}0",  # another complaint's (id 10, 20...)
            "reminder:7:2026-11-24:1",
        ):
            await enqueue(session, key, 7, "complaint", text_payload("x"), now=NOW)
    later = NOW + timedelta(days=40)
    purge = partial(complaints.purge_personal_data, db, now=later, actor="cli", data_dir=data_dir)
    dry = await purge(closed_before=later, dry_run=True)
    assert (dry.complaints, dry.messages, dry.attachments, dry.outbox) == (1, 2, 4, 3)
    assert (dry.files.deleted, dry.files.missing) == (2, 1)
    assert (month / "own.jpg").exists()  # a dry run deletes nothing
    assert (await purge(closed_before=NOW)).complaints == 0
    result = await purge(closed_before=later)
    assert (result.complaints, result.messages, result.attachments) == (1, 2, 4)
    assert (result.telegram_messages, result.outbox) == (1, 3)
    assert (result.files.deleted, result.files.missing) == (2, 1)
    assert sorted(p.name for p in month.iterdir()) == ["shared.jpg"]  # the open one's
    purged = await complaints.get_complaint(db, old.id)
    assert purged is not None and purged.purged_at == later
    assert (purged.reporter_telegram_id, purged.reporter_name, purged.contact_phone) == (None,) * 3
    assert (purged.location_text, purged.latitude, purged.longitude) == (None,) * 3
    assert purged.story == "" and purged.status == "ditolak" and purged.outcome == "ditolak"
    assert all(e.note is None for e in await complaints.history(db, old.id))
    assert [c.id for c in await complaints.complaints_of(db, 7)] == [kept_open.id]
    async with db.read() as session:
        left = (
            await session.execute(select(func.count()).select_from(ComplaintAttachment))
        ).scalar()
        refs = (await session.execute(select(func.count()).select_from(ComplaintMessage))).scalar()
        events = (await session.execute(select(func.count()).select_from(ComplaintEvent))).scalar()
        outbox = set((await session.execute(select(col(OutboxMessage.key)))).scalars())
        audit = (
            await session.execute(
                select(AuditEntry).where(col(AuditEntry.action) == "complaints.purge")
            )
        ).scalar_one()
    assert (left, refs, events) == (1, 0, 4)
    assert outbox == {
        f"survey-offer:{kept_open.id}",
        f"complaint-closed:{old.id}0",
        "reminder:7:2026-11-24:1",
    }
    assert audit.detail["complaints"] == 1 and audit.detail["outbox"] == 3
    assert await complaints.status_counts(db) == {
        ("adminduk", "ditolak", "ditolak"): 1,
        ("adminduk", "baru", None): 1,
    }


async def test_abandoned_drafts_expire_with_their_files(
    db: Database, categories: dict[str, int], tmp_path: Path
) -> None:
    """A flow nobody answered for the retention period goes with its files, once a day by the
    scheduler's key; so do files nothing points to in month folders that ended that long ago.
    Files a complaint or a live draft uses stay."""
    data_dir = tmp_path / "data"
    for month in ("2026-10", "2026-11"):
        (data_dir / "complaints" / month).mkdir(parents=True)
    names = ("draft.jpg", "live.jpg", "filed.jpg")
    for name in names:
        (data_dir / "complaints" / "2026-11" / name).write_bytes(b"x")
    (data_dir / "complaints" / "2026-10" / "cancelled.jpg").write_bytes(b"x")
    (data_dir / "complaints" / "2026-10" / "shared.jpg").write_bytes(b"x")

    def attachment(path: str) -> dict[str, object]:
        return EvidenceDraft("photo", "f", "u", stored_path=path).as_dict()

    abandoned = {
        "story": STORY,
        "contact_phone": "+62812",
        "attachments": [
            attachment("complaints/2026-11/draft.jpg"),
            attachment("complaints/2026-10/shared.jpg"),
        ],
    }
    await conversations.begin(db, 7, 7, "complaint", "summary", abandoned, 1, NOW)
    live = {"attachments": [attachment("complaints/2026-11/live.jpg")]}
    await conversations.begin(db, 8, 8, "complaint", "privacy", live, 1, NOW + timedelta(days=20))
    await _submit(
        db,
        _draft(
            categories,
            attachments=[
                EvidenceDraft("photo", "f", "u", stored_path="complaints/2026-11/filed.jpg"),
                EvidenceDraft("photo", "g", "v", stored_path="complaints/2026-10/shared.jpg"),
            ],
        ),
    )
    expire = partial(
        conversations.expire_drafts, db, idle=timedelta(days=30), data_dir=data_dir, actor="t"
    )
    # 29 November: the draft is 5 days old, October ended 28 days ago.
    early = await expire(now=NOW + timedelta(days=5), period="2026-11-29")
    assert (early.drafts, early.files.deleted) == (0, 0)
    later = NOW + timedelta(days=31)  # 25 December: October ended more than 30 days ago
    dry = await expire(now=later, dry_run=True)
    assert (dry.drafts, dry.files.deleted) == (1, 2)
    result = await expire(now=later, period="2026-12-25")
    assert (result.ran, result.drafts, result.files.deleted) == (True, 1, 2)
    assert not (await expire(now=later, period="2026-12-25")).ran  # once a day
    left = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*.jpg"))
    assert left == [
        "complaints/2026-10/shared.jpg",
        "complaints/2026-11/filed.jpg",
        "complaints/2026-11/live.jpg",
    ]
    assert await conversations.load(db, 7, 7) is None
    assert await conversations.load(db, 8, 8) is not None


async def test_anonymous_reporters_names_are_not_kept(
    db: Database, categories: dict[str, int]
) -> None:
    anonymous = await _submit(db, _draft(categories, privacy="anonim", reporter_name="Siti A."))
    named = await _submit(db, _draft(categories, privacy="rahasia", reporter_name="Siti R."))
    assert (anonymous.reporter_name, anonymous.reporter_telegram_id) == (None, 7)
    assert named.reporter_name == "Siti R."


async def test_migration_forgets_anonymous_names_and_shortens_file_names(tmp_path: Path) -> None:
    """Rows written before 0010: an anonymous reporter's name, and a file name longer than its
    column (SQLite took it; PostgreSQL would not)."""
    from models.migrate import upgrade_database

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await upgrade_database(db, "0009")
    async with db.write() as session:
        session.add(Unit(code="BLW-PU", name="Pelayanan Umum"))
    await complaints.import_categories(
        db, DEFAULT_CATEGORIES[:1], dry_run=False, actor="test", now=NOW
    )
    [category] = await complaints.active_categories(db)
    made = [
        await _submit(db, _draft({"adminduk": stored_id(category.id)}, privacy=p))
        for p in ("anonim", "biasa")
    ]
    long_name = "KTP_Siti_Anonimah_" + "x" * 250 + ".pdf"
    async with db.write() as session:
        await session.execute(text("UPDATE complaint SET reporter_name = 'Siti Anonimah'"))
        session.add(
            ComplaintAttachment(
                complaint_id=made[0].id, kind="document", telegram_file_id="f", file_unique_id="u"
            )
        )
        await session.flush()
        await session.execute(
            text("UPDATE complaint_attachment SET file_name = :name"), {"name": long_name}
        )
    await upgrade_database(db)
    names = [(await complaints.get_complaint(db, c.id)).reporter_name for c in made]  # type: ignore[union-attr]
    assert names == [None, "Siti Anonimah"]
    [attachment] = await complaints.attachments_of(db, made[0].id)
    assert attachment.file_name is not None and len(attachment.file_name) == 200
    assert attachment.file_name.startswith("KTP_Siti_Anonimah_x") and attachment.file_name.endswith(
        "….pdf"
    )
    await db.dispose()


def test_cli_categories_ban_and_purge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The operator's commands, in-process (the e2e purge test runs the real executable)."""
    from bot.cli import main
    from tests.conftest import EXAMPLES

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SIGAP_DEFAULT_LANGUAGE", "id")

    def sigap(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert sigap("roster", "import", str(EXAMPLES / "roster_belawan.csv"))[0] == 0
    code, out, _ = sigap("complaints", "categories", "list")
    assert code == 0 and "sigap complaints categories import" in out
    code, out, _ = sigap("complaints", "categories", "import", "--dry-run")
    assert code == 0 and "7 baru" in out and "Uji coba" in out
    code, out, _ = sigap("complaints", "categories", "import")
    assert code == 0 and "7 baru" in out
    code, out, _ = sigap("complaints", "categories", "list")
    assert "trantib\tBLW-TRANTIB\tKeamanan & Ketertiban" in out
    bad = tmp_path / "kategori.csv"
    bad.write_text("Kode;Nama;Kode Unit\njalan;Jalan;BLW-NOPE\n", encoding="utf-8")
    code, _, err = sigap("complaints", "categories", "import", str(bad))
    assert code == 1 and "baris 2: Kode Unit BLW-NOPE tidak dikenal" in err
    code, _, err = sigap("complaints", "ban", "nomor-asal", "--reason", "spam")
    assert code == 1 and "Nomor aduan tidak valid" in err
    code, _, err = sigap("complaints", "ban", "BLW-2611-0042", "--reason", "spam")
    assert code == 1 and "tidak ditemukan" in err
    code, out, _ = sigap("complaints", "purge", "--older-than", "30", "--dry-run")
    assert code == 0 and "Uji coba" in out and "aduan (data pribadi pelapor): 0" in out
    code, _, err = sigap("complaints", "purge", "--older-than", "-1")
    assert code == 2
    monkeypatch.setenv("SIGAP_COMPLAINTS_PER_DAY", "0")
    code, _, err = sigap("complaints", "categories", "list")
    assert code == 1 and "SIGAP_COMPLAINTS_PER_DAY" in err and err.count("\n") == 1


async def test_the_daily_limit_counts_only_the_persons_own_complaints(
    db: Database, categories: dict[str, int]
) -> None:
    for _ in range(3):
        await _submit(db, _draft(categories, reporter=8))
    assert len(await complaints.filed_since(db, 8, NOW - timedelta(days=1))) == 3
    assert await complaints.filed_since(db, 7, NOW - timedelta(days=1)) == []
    # Others' complaints on the same day do not use up this person's three.
    for _ in range(3):
        await _submit(db, _draft(categories, reporter=7), daily_limit=3)
    with pytest.raises(complaints.LimitReached):
        await _submit(db, _draft(categories, reporter=7), daily_limit=3)
