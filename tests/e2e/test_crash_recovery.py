"""A bot process killed with SIGKILL mid-flow continues every conversation where it was, and
loses no update it had fetched.

The bot runs as a real ``sigap run`` process against the emulator in this test process, so the
kill is a real kill -9: nothing in memory survives, only what was committed. A kill that must
land in the middle of an update lands while the handler waits on a Bot API call that the
emulator holds back for that chat (``slow_down``); the held call was never executed, as a
request still on the network when its sender died never reaches Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.complaints import DEFAULT_CATEGORIES
from domain.roster import read_roster
from emulator import BotApiEmulator
from models import complaints
from models.db import Database
from models.identity import issue_invites
from models.inbox import InboxUpdate
from models.roster import import_roster
from models.tables import Activity, Complaint, ComplaintEvent, Conversation
from models.types import utcnow
from tests.conftest import EXAMPLES
from tests.e2e.harness import (
    BOT_USERNAME,
    OPERATOR_ID,
    TOKEN,
    count,
    eventually,
    free_port,
    idle,
)
from tests.e2e.test_complaints import fill_complaint

pytestmark = pytest.mark.slow

# The kill tests that run on SQLite in `make test` and on both databases under `make chaos`.
SQLITE_NOW_BOTH_IN_CHAOS = pytest.mark.parametrize(
    "db_url",
    ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.chaos])],
    indirect=True,
)

CAMAT = "198105142003121002"
STAFF = "197508121999031007"
DEWI = "199401202021012008"  # complaint handler, Seksi Pelayanan Umum (BLW-PU)


class BotProcess:
    # ``sigap`` arguments; the webhook tests run ``run --webhook``.
    command: tuple[str, ...] = ("run",)

    def __init__(self, emulator: BotApiEmulator, db_url: str, workdir: Path) -> None:
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.base_url,
            "DATABASE_URL": db_url,
            # Each process's log is bot-<n>.log in the test's tmp_path; SIGAP_TEST_BOT_LOG_LEVEL
            # (e.g. INFO) says more when a crash test fails.
            "SIGAP_LOG_LEVEL": os.environ.get("SIGAP_TEST_BOT_LOG_LEVEL", "WARNING"),
            # The process runs on the wall clock: from 14:00 WIB a working day's reminder
            # would land in the middle of the conversation under test. No reminders here.
            "SIGAP_REMINDER_QUIET_FROM": "00:00",
            # Health and metrics on a port of its own (two processes may run side by side).
            "SIGAP_METRICS_LISTEN": f"127.0.0.1:{free_port()}",
        }
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        # The child keeps its own copy of the file; ours is closed at once.
        with (self.workdir / f"bot-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", *self.command],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def before_kill(self) -> None:
        """What must have happened before a kill in the middle of an update."""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        # The test is over: no need to wait for a graceful stop (up to the long-poll timeout).
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextlib.asynccontextmanager
async def crash_setup(
    db_url: str, workdir: Path, process: type[BotProcess] = BotProcess, **emulator_options: Any
) -> AsyncIterator[tuple[BotApiEmulator, BotProcess, Database]]:
    """The sample roster, an emulator and a bot process that is not started yet."""
    db = Database(db_url)
    result = await import_roster(
        db, read_roster(EXAMPLES / "roster_belawan.csv"), dry_run=False, actor="test", now=utcnow()
    )
    assert not result.problems
    emulator = BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME, **emulator_options)
    await emulator.start()
    bot = process(emulator, db_url, workdir)
    try:
        yield emulator, bot, db
    finally:
        bot.stop()
        await emulator.stop()
        await db.dispose()


@pytest.fixture
async def crashable(
    db_url: str, tmp_path: Path
) -> AsyncIterator[tuple[BotApiEmulator, BotProcess, Database]]:
    async with crash_setup(db_url, tmp_path) as running:
        yield running


async def _link(db: Database, emulator: BotApiEmulator, nip: str):
    from datetime import timedelta

    [invite] = await issue_invites(db, now=utcnow(), ttl=timedelta(days=1), actor="test", nip=nip)
    person = emulator.user(first_name="Rahmad")
    await person.send(f"/start {invite.token}")
    await person.wait_for(1, timeout=30)  # the first answer waits for the process to start
    return person


async def test_flow_survives_kill_9_at_every_step(crashable) -> None:
    emulator, bot, db = crashable
    bot.start()
    camat = await _link(db, emulator, CAMAT)

    await camat.send("/undang")
    [ask] = await camat.wait_for(1, timeout=10)
    assert "Ketik NIP" in ask.text

    # Killed while waiting for the NIP; the answer arrives while no bot runs.
    await idle(db)
    bot.kill()
    await camat.send("19750812 199903 1 007")
    await asyncio.sleep(0.3)
    assert camat.messages[-1].message_id == ask.message_id  # nobody answered yet
    bot.start()
    [confirm] = await camat.wait_for(1, timeout=30)
    assert "Agus Salim Daulay" in confirm.text

    # Killed again at the confirmation step; the button still works after the restart.
    await idle(db)
    bot.kill()
    async with db.read() as session:
        stored = (await session.execute(select(Conversation))).scalar_one()
    assert (stored.flow, stored.step, stored.data["nip"]) == ("invite", "confirm", STAFF)
    bot.start()
    await camat.press("Buat undangan")
    [created] = await camat.wait_for(1, timeout=30)
    assert "https://t.me/" in created.text and "Agus Salim Daulay" in created.text
    # Exactly one answer per step: a redelivered update after a restart is not replayed.
    await asyncio.sleep(0.5)
    texts = [m.text for m in camat.messages]
    assert sum("Ketik NIP" in t for t in texts) == 1
    assert sum("Buat tautan undangan untuk" in t for t in texts) == 1


async def kill_while_waiting_on(
    emulator: BotApiEmulator, bot: BotProcess, person: Any, method: str, act: Any
) -> None:
    """Hold ``method`` for ``person``'s chat, do ``act``, and kill the bot while the handler
    waits on that call."""
    emulator.slow_down(person, 1.0, method)

    def held() -> int:  # calls in this chat: the bot may meanwhile call the method elsewhere
        calls = emulator.calls_by_method(method)
        return sum(str(c.get("chat_id")) == str(person.chat_id) for c in calls)

    seen = held()
    await act()
    await eventually(lambda: held() > seen, timeout=10)
    await bot.before_kill()
    bot.kill()
    await eventually(lambda: bool(emulator.abandoned_calls), timeout=5)
    [(abandoned, _)] = emulator.abandoned_calls
    assert abandoned == method
    emulator.abandoned_calls.clear()
    emulator.slow_down(person, 0)


async def log_and_save_across_two_kills(
    emulator: BotApiEmulator, bot: BotProcess, person: Any, db: Database, after_kill: Any
) -> None:
    """A quick log whose two updates are each cut short by a kill -9, then handled once by the
    restarted process; ``after_kill`` checks what the mode under test keeps meanwhile."""
    # A kill just after a reply went out, before its update left the inbox, would bring that
    # update round again: start each step from a bot that has finished what it fetched.
    await idle(db)
    # 1. The draft is committed, then the bot dies sending the summary.
    await kill_while_waiting_on(
        emulator,
        bot,
        person,
        "sendMessage",
        lambda: person.send("Sosialisasi posyandu Bagan Deli 2 jam"),
    )
    await after_kill()
    assert not any("Bagan Deli" in m.text for m in person.messages)  # nothing reached them
    bot.start()
    [summary] = await person.wait_for(1, timeout=20)
    assert "Bagan Deli" in summary.text and "✅ Simpan" in summary.button_texts
    # 2. Save: the bot dies before committing, while settling the summary (the choice shown,
    # its buttons taken away).
    await idle(db)
    await kill_while_waiting_on(
        emulator, bot, person, "editMessageText", lambda: person.press("✅ Simpan")
    )
    await after_kill()
    assert await count(db, Activity) == 0
    bot.start()
    [saved] = await person.wait_for(1, timeout=20)
    assert "Tersimpan" in saved.text
    # Exactly once: one summary, one confirmation, no apology; one entry in the database.
    assert_saved_once(person)
    assert await count(db, Activity) == 1


def assert_saved_once(person: Any) -> None:
    """One summary, one confirmation and no apology for the quick log of the crash tests."""
    texts = [m.text for m in person.messages]
    assert sum("Bagan Deli" in t for t in texts) == 1, texts  # one summary
    assert sum("Tersimpan" in t for t in texts) == 1, texts
    assert len([m for m in person.messages if "✅ Simpan" in m.button_texts]) <= 1
    assert not any("maaf" in t.lower() for t in texts), texts


def assert_no_press_called_old(emulator: BotApiEmulator) -> None:
    stale = [c for c in emulator.calls_by_method("answerCallbackQuery") if c.get("text")]
    assert not stale, stale  # no press was answered "this button is old"


class PollingBotProcess(BotProcess):
    def __init__(self, emulator: BotApiEmulator, db_url: str, workdir: Path) -> None:
        super().__init__(emulator, db_url, workdir)
        self._emulator = emulator

    async def before_kill(self) -> None:
        # Telegram has forgotten the update: the bot's next getUpdates asked for what follows.
        await eventually(lambda: self._emulator.pending_update_count == 0, timeout=5)


async def test_polling_kill_9_mid_update_loses_nothing(db_url: str, tmp_path: Path) -> None:
    """PTB's own polling would lose both updates below: Telegram no longer has them when the
    process dies. Sigap's poller kept them in the inbox and handles them after the restart."""
    async with crash_setup(db_url, tmp_path, PollingBotProcess) as (emulator, bot, db):
        bot.start()
        person = await _link(db, emulator, STAFF)

        async def kept_in_the_inbox() -> None:
            assert await count(db, InboxUpdate) == 1  # Telegram has forgotten it; we have not

        await log_and_save_across_two_kills(emulator, bot, person, db, kept_in_the_inbox)
        await idle(db)  # handled updates leave the inbox


# SQLite only: on PostgreSQL a second `sigap run` is a hot standby (test_standby.py).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_second_sigap_run_on_the_same_database_refuses_to_start(
    crashable: tuple[BotApiEmulator, BotProcess, Database], tmp_path: Path
) -> None:
    """Started twice by mistake (a manual `sigap run` beside the systemd service): the second
    says why and exits; the first goes on. After a kill -9 the lock is free at once."""
    emulator, bot, db = crashable
    bot.start()
    person = await _link(db, emulator, STAFF)
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    second = BotProcess(emulator, bot.env["DATABASE_URL"], second_dir)
    second.start()
    assert second.process is not None
    assert await asyncio.to_thread(second.process.wait, 30) != 0
    said = (second_dir / "bot-1.log").read_text()
    assert "another `sigap run` is already using this database" in said
    assert "Traceback" not in said
    await person.send("/bantuan")
    await person.wait_for(1, timeout=10)  # the first still answers
    # Killed: a new process takes over without waiting for anything.
    bot.kill()
    second.start()
    await person.send("/bantuan")
    await person.wait_for(1, timeout=30)
    second.stop()


# SQLite in `make test` (the receipt is one row written like any other; the flows' own tests
# cover it on PostgreSQL); both under `make chaos`.
@SQLITE_NOW_BOTH_IN_CHAOS
async def test_saved_but_not_confirmed_gets_the_same_confirmation(
    db_url: str, tmp_path: Path
) -> None:
    """Killed after "Simpan" committed the entry but before "Tersimpan" reached the person: the
    press comes round again (from the inbox) and must be answered with the confirmation, not as
    a stale button; still one entry."""
    async with crash_setup(db_url, tmp_path, PollingBotProcess) as (emulator, bot, db):
        bot.start()
        person = await _link(db, emulator, STAFF)
        await idle(db)
        await person.send("Sosialisasi posyandu Bagan Deli 2 jam")
        [summary] = await person.wait_for(1, timeout=20)
        assert "✅ Simpan" in summary.button_texts
        await idle(db)
        # The entry is committed before the confirmation is sent: the kill lands in between.
        await kill_while_waiting_on(
            emulator, bot, person, "sendMessage", lambda: person.press("✅ Simpan")
        )
        assert await count(db, Activity) == 1
        assert await count(db, InboxUpdate) == 1  # the press, not yet confirmed
        assert not any("Tersimpan" in m.text for m in person.messages)
        bot.start()
        [saved] = await person.wait_for(1, timeout=20)
        assert "Tersimpan" in saved.text and "1 kegiatan" in saved.text, saved.text
        await idle(db)
        assert_saved_once(person)
        assert await count(db, Activity) == 1
        assert_no_press_called_old(emulator)


@SQLITE_NOW_BOTH_IN_CHAOS
async def test_complaint_submitted_but_not_confirmed_gets_the_same_number(
    db_url: str, tmp_path: Path
) -> None:
    """Killed after "Kirim aduan" committed the complaint but before its number reached the
    citizen: the press comes round again from the inbox and is answered with the same tracking
    number (not "this button is old"); one complaint, and its ticket reaches the desk."""
    async with crash_setup(db_url, tmp_path, PollingBotProcess) as (emulator, bot, db):
        await complaints.import_categories(
            db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=utcnow()
        )
        bot.start()
        citizen = emulator.user(first_name="Siti")
        await citizen.send("/bantuan")
        await citizen.wait_for(1, timeout=30)  # the first answer waits for the process to start
        await fill_complaint(citizen)
        await idle(db)
        await kill_while_waiting_on(
            emulator, bot, citizen, "sendMessage", lambda: citizen.press("✅ Kirim aduan")
        )
        assert await count(db, Complaint) == 1
        assert await count(db, InboxUpdate) == 1  # the press, not yet confirmed
        assert not any("diterima" in m.text for m in citizen.messages)
        bot.start()
        [receipt] = await citizen.wait_for(1, timeout=20)
        async with db.read() as session:
            [complaint] = (await session.execute(select(Complaint))).scalars()
        assert complaint.tracking_number in receipt.text and "diterima" in receipt.text
        await idle(db)
        assert sum(complaint.tracking_number in m.text for m in citizen.messages) == 1
        assert await count(db, Complaint) == 1
        assert_no_press_called_old(emulator)


@SQLITE_NOW_BOTH_IN_CHAOS
async def test_desk_move_committed_but_not_told_is_told_after_the_restart(
    db_url: str, tmp_path: Path
) -> None:
    """Killed after "Verifikasi" (then a rejection's reason) committed the move but before the
    citizen was told: the update comes round again from the inbox and tells the citizen (and
    refreshes the ticket) instead of answering the desk "not now: it is verified already" (or
    "not a ticket": its question is used up); one move each in the history."""
    async with crash_setup(db_url, tmp_path, PollingBotProcess) as (emulator, bot, db):
        await complaints.import_categories(
            db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=utcnow()
        )
        bot.env["SIGAP_ADMIN_IDS"] = str(OPERATOR_ID)
        bot.start()
        dewi = await _link(db, emulator, DEWI)
        desk = emulator.group("Meja Aduan PU", privacy_mode=True)
        operator = emulator.user(first_name="Operator", user_id=OPERATOR_ID)
        await operator.send("/pasang_meja BLW-PU", chat=desk)
        await desk.wait_for(1, timeout=10)
        citizen = emulator.user(first_name="Siti")
        await fill_complaint(citizen)
        await citizen.press("✅ Kirim aduan")
        await citizen.wait_for(1, timeout=10)
        [ticket] = await desk.wait_for(1, timeout=10)

        async def killed_while_the_citizen_is_told(act: Any) -> None:
            await idle(db)
            await kill_while_waiting_on(emulator, bot, citizen, "sendMessage", act)

        await killed_while_the_citizen_is_told(
            lambda: dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
        )
        async with db.read() as session:
            [complaint] = (await session.execute(select(Complaint))).scalars()
        assert complaint.status == "terverifikasi"
        assert not any("diverifikasi" in m.text for m in citizen.messages)
        bot.start()
        [notice] = await citizen.wait_for(1, timeout=20)
        assert "diverifikasi" in notice.text and complaint.tracking_number in notice.text
        await idle(db)
        answers = [c.get("text") or "" for c in emulator.calls_by_method("answerCallbackQuery")]
        assert not any("Tidak bisa sekarang" in a for a in answers), answers

        # A move with a reason: the reply to the bot's question comes round again (the
        # question itself is used up by then) and tells the citizen.
        await dewi.press("⛔ Tolak", chat=desk, message_id=ticket.message_id)
        [question] = await desk.wait_for(1, timeout=10)
        await killed_while_the_citizen_is_told(
            lambda: dewi.send("Bukan wewenang kecamatan.", chat=desk, reply_to=question)
        )
        bot.start()
        [rejected] = await citizen.wait_for(1, timeout=20)
        assert "Bukan wewenang kecamatan." in rejected.text, rejected.text
        [done] = await desk.wait_for(1, timeout=10)
        assert "Ditolak" in done.text, done.text
        await idle(db)
        async with db.read() as session:
            actions = (await session.execute(select(col(ComplaintEvent.action)))).scalars().all()
        assert sorted(actions) == ["reject", "submitted", "verify"], actions


@SQLITE_NOW_BOTH_IN_CHAOS
async def test_roster_applied_but_not_confirmed_gets_the_same_counts(
    db_url: str, tmp_path: Path
) -> None:
    """Killed after the admin's "Terapkan" committed a roster but before its counts reached
    them: the press comes round again from the inbox and is answered with the same counts, not
    as a stale button; applied once (one audit entry)."""
    from openpyxl import load_workbook

    from models.tables import AuditEntry
    from tests.e2e.test_admin_roster import FITRIANI, SUSANTI, XLSX, _bytes, _row_of

    async with crash_setup(db_url, tmp_path, PollingBotProcess) as (emulator, bot, db):
        bot.start()
        admin = await _link(db, emulator, FITRIANI)
        await admin.send("/admin")
        await admin.wait_for(1, timeout=10)
        await admin.press("📥 Unduh daftar pegawai")
        [document] = await admin.wait_for(1, timeout=10)
        data = emulator.files.by_id[document.document["file_id"]].data
        assert data is not None
        book = load_workbook(io.BytesIO(data))
        book["Pegawai"].cell(_row_of(book["Pegawai"], SUSANTI), 3).value = "Bendahara"
        await admin.send_document(_bytes(book), file_name="pegawai.xlsx", mime_type=XLSX)
        [preview] = await admin.wait_for(1, timeout=10)
        assert "✅ Terapkan" in preview.button_texts, preview.text
        await idle(db)

        async def applied() -> int:
            async with db.read() as session:
                stmt = select(AuditEntry).where(
                    col(AuditEntry.action) == "roster.import", col(AuditEntry.actor) != "test"
                )
                return len((await session.execute(stmt)).scalars().all())

        await kill_while_waiting_on(
            emulator, bot, admin, "sendMessage", lambda: admin.press("✅ Terapkan")
        )
        assert await applied() == 1
        assert await count(db, InboxUpdate) == 1  # the press, not yet confirmed
        bot.start()
        [done] = await admin.wait_for(1, timeout=20)
        assert "0 baru, 1 berubah, 0 dinonaktifkan" in done.text, done.text
        await idle(db)
        assert await applied() == 1
        assert sum("diterapkan" in m.text for m in admin.messages) == 1
        assert_no_press_called_old(emulator)
