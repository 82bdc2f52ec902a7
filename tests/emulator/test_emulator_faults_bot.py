"""The real Sigap bot against a flaky Telegram (issue 18, item 2).

Three employees log an activity and a citizen files a complaint while 20 % of the bot's Bot API
calls fail (every fault kind, getUpdates included). People behave as people do: they wait for
the answer; after a long silence, or when the bot apologises ("silakan coba lagi"), they do the
same thing again; when a button says it no longer works ("mulai lagi dari menu") they start
over. Then the faults stop, and within 60 s everyone must have their answer, nothing may exist
twice, and no message that Telegram delivered once may arrive again because its answer was lost
on the way back.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.complaints import DEFAULT_CATEGORIES
from emulator import BotApiEmulator, BotMessage, EmulatedGroup, EmulatedUser
from emulator.faults import FaultPlan
from models import complaints
from models.outbox import OutboxMessage, OutboxStatus
from models.tables import Activity, Complaint
from tests.e2e.harness import OPERATOR_ID, Harness, idle, start_harness, stop_harness

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EMPLOYEES = ("197508121999031007", "199203032019032012", "199603052020121003")
QUICK_LOG = "Verifikasi {n} berkas KTP 1,5 jam"
STORY = "Lampu jalan di Jl. Stasiun depan masjid mati sejak Senin malam, jalan jadi gelap sekali."
ADMINDUK = "Administrasi Kependudukan (KTP, KK, surat)"
NUMBER = re.compile(r"BLW-\d{4}-\d{4}")
APOLOGY = "mungkin belum selesai"  # common.error: "do it again"
STALE = "Tombol ini sudah tidak berlaku"  # common.stale_button: "start over from the menu"
FAULTY_FOR = 20.0  # seconds of faults at most; then Telegram is well again
AFTER_FAULTS = 60.0  # issue 18: nobody waits longer than this once the faults stop
PATIENCE = 8.0  # seconds a person waits in silence before trying again
# The faults follow each chat's own calls, so this seed gives every run the same trouble: a
# "Tersimpan" lost to a 502, a reply whose answer was lost. Seeds 1 and 3-12 all pass (seed 2
# draws too few faults to prove anything); `make chaos` runs them all.
SEED = 3


class StartOver(Exception):
    """The bot said the button no longer works: start the flow again from the menu."""


class Person:
    """One person working through a flow: each step is an action and the answer awaited."""

    def __init__(self, view: EmulatedUser, deadline: Callable[[], float]) -> None:
        self.view = view
        self.deadline = deadline
        self.story: list[str] = []
        self._sent = 0
        self._answers = 0

    def _news(self) -> tuple[list[BotMessage], list[str]]:
        arrived = self.view.arrivals[self._sent :]
        toasts = [str(a.get("text") or "") for a in self.view.callback_answers[self._answers :]]
        self._sent += len(arrived)
        self._answers += len(self.view.callback_answers[self._answers :])
        return arrived, toasts

    async def step(
        self,
        what: str,
        act: Callable[[], Awaitable[Any]],
        wanted: Callable[[BotMessage], bool],
        edited: BotMessage | None = None,
    ) -> BotMessage:
        """Do ``act`` until a new message is ``wanted``, or, with ``edited``, that message
        as the bot edited it."""
        self._news()  # what came before this step is not its answer
        await act()
        self.story.append(what)
        loop = asyncio.get_running_loop()
        last_try = loop.time()
        while loop.time() < self.deadline():
            arrived, toasts = self._news()
            answers = arrived
            if edited is not None:
                answers = [m for m in self.view.messages if m.message_id == edited.message_id]
            for message in answers:
                if wanted(message):
                    return message
            if any(STALE in toast for toast in toasts) or any(STALE in m.text for m in arrived):
                self.story.append(f"  told the button is stale after {what!r}: starting over")
                raise StartOver
            if any(APOLOGY in m.text for m in arrived):
                self.story.append(f"  apology after {what!r}: doing it again")
            elif loop.time() - last_try > PATIENCE:
                self.story.append(f"  nothing for {PATIENCE:g} s after {what!r}: doing it again")
            else:
                await asyncio.sleep(0.05)
                continue
            await act()
            last_try = loop.time()
        seen = [m.text[:60] for m in self.view.arrivals[-4:]]
        raise AssertionError(f"{self.view.name} never got an answer to {what!r}; last seen {seen}")

    async def flow(self, run: Callable[[], Awaitable[str]]) -> str:
        for _ in range(6):
            try:
                return await run()
            except StartOver:
                continue
        raise AssertionError(f"{self.view.name} started over six times: {self.story}")


async def log_activity(person: Person, n: int) -> str:
    view = person.view
    summary = await person.step(
        "quick log",
        lambda: view.send(QUICK_LOG.format(n=n)),
        lambda m: "✅ Simpan" in m.button_texts,
    )
    saved = await person.step(
        "Simpan",
        lambda: view.press("✅ Simpan", message_id=summary.message_id, forge=True),
        lambda m: "Tersimpan" in m.text,
        edited=summary,  # the summary itself becomes the confirmation
    )
    return saved.text


def _has_button(label: str) -> Callable[[BotMessage], bool]:
    return lambda m: label in m.button_texts


def _press(view: EmulatedUser, label: str, on: BotMessage) -> Callable[[], Awaitable[str]]:
    return lambda: view.press(label, message_id=on.message_id, forge=True)


async def file_complaint(person: Person) -> str:
    view = person.view
    kinds = await person.step("/aduan", lambda: view.send("/aduan"), _has_button("Pengaduan"))
    categories = await person.step(
        "Pengaduan", _press(view, "Pengaduan", kinds), _has_button(ADMINDUK)
    )
    await person.step(
        "category", _press(view, ADMINDUK, categories), lambda m: "<b>kapan</b>" in (m.html or "")
    )
    await person.step("story", lambda: view.send(STORY), lambda m: "lokasinya" in m.text)
    attachments = await person.step(
        "no location", lambda: view.send("Lewati"), lambda m: "pendukung" in m.text
    )
    privacy = await person.step(
        "no attachments", _press(view, "Lewati", attachments), _has_button("Biasa")
    )
    await person.step(
        "privacy", _press(view, "Biasa", privacy), lambda m: "menghubungi Anda" in m.text
    )
    summary = await person.step(
        "no contact", lambda: view.send("Tidak usah"), _has_button("✅ Kirim aduan")
    )
    receipt = await person.step(
        "Kirim aduan",
        _press(view, "✅ Kirim aduan", summary),
        lambda m: NUMBER.search(m.text) is not None and "diterima" in m.text,
    )
    match = NUMBER.search(receipt.text)
    assert match is not None
    return match.group()


@pytest.fixture
async def town(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Harness]:
    """The Belawan office on SQLite (the faults are Telegram's, not the database's)."""
    path = tmp_path / "sigap.db"
    shutil.copy(sqlite_template, path)
    harness = await start_harness(
        f"sqlite+aiosqlite:///{path}", SIGAP_DATA_DIR=str(tmp_path / "data")
    )
    try:
        await harness.import_roster(EXAMPLES / "roster_belawan.csv")
        await complaints.import_categories(
            harness.db, DEFAULT_CATEGORIES, dry_run=False, actor="test", now=harness.clock.now()
        )
        yield harness
    finally:
        await stop_harness(harness)


async def install_desk(town: Harness) -> EmulatedGroup:
    group = town.emulator.group("Meja Aduan PU", privacy_mode=True)
    operator = town.user(first_name="Operator", user_id=OPERATOR_ID + 1)
    town.settings.admin_ids.append(operator.id)
    await operator.send("/pasang_meja BLW-PU", chat=group)
    [done] = await group.wait_for(1)
    assert "meja aduan" in done.text, done.text
    return group


def repeated_after_lost_answer(emu: BotApiEmulator) -> list[str]:
    """Messages Telegram delivered whose answer the bot never got, and that the bot then sent
    again to the same chat: each one is a person reading the same thing twice."""
    found = []
    for lost in emu.faults.answers_lost:
        if lost.message_id is None or not isinstance(lost.chat_id, int):
            continue
        view = next(v for v in [*emu.users(), *emu.groups()] if v.chat_id == lost.chat_id)
        arrivals = view.arrivals
        index = next(i for i, m in enumerate(arrivals) if m.message_id == lost.message_id)
        text = arrivals[index].text
        again = [m for m in arrivals[index + 1 :] if m.text == text]
        if again and APOLOGY not in text:  # apologies for different failures read alike
            found.append(f"{view.name}: {arrivals[index].text[:70]!r} x{1 + len(again)}")
    return found


async def outbox_drained(town: Harness) -> None:
    """Wait until the outbox sender has settled every notification (its retries included)."""
    busy = (OutboxStatus.PENDING, OutboxStatus.SENDING)
    for _ in range(600):
        if not [m for m in await rows(town, OutboxMessage) if m.status in busy]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("notifications still waiting in the outbox 30 s after the faults")


async def rows(town: Harness, model: Any) -> list[Any]:
    async with town.db.read() as session:
        return list((await session.execute(select(model))).scalars())


@pytest.mark.parametrize(
    "seed", [SEED, *(pytest.param(s, marks=pytest.mark.chaos) for s in (1, *range(4, 13)))]
)
async def test_the_bot_under_twenty_percent_faults(town: Harness, seed: int) -> None:
    emu = town.emulator
    desk = await install_desk(town)
    employees = [
        await town.employee(nip, first_name=f"Pegawai{i}") for i, nip in enumerate(EMPLOYEES)
    ]
    citizen = town.user(first_name="Siti", last_name="Rahma")
    loop = asyncio.get_running_loop()
    faults_off_at = loop.time() + FAULTY_FOR

    def deadline() -> float:
        return faults_off_at + AFTER_FAULTS

    people = [Person(view, deadline) for view in [*employees, citizen]]

    emu.faults.enable(FaultPlan.uniform(0.2, seed=seed))

    async def faults_stop() -> None:
        await asyncio.sleep(FAULTY_FOR)
        emu.faults.disable()

    stopper = asyncio.create_task(faults_stop())
    work = [
        *(
            person.flow(lambda p=person, n=n: log_activity(p, n))  # type: ignore[misc]
            for n, person in enumerate(people[:-1], start=10)
        ),
        people[-1].flow(lambda: file_complaint(people[-1])),
    ]
    try:
        results = await asyncio.gather(*work, return_exceptions=True)
    finally:
        stopper.cancel()
        emu.faults.disable()
    injected = emu.faults.counts()
    if emu.faults.count() < 5:  # not an AssertionError: that would pass for the known failure
        pytest.fail(f"too few faults to prove anything: {injected}")
    await idle(town.db)
    await outbox_drained(town)

    problems = [str(r) for r in results if isinstance(r, BaseException)]
    activities = await rows(town, Activity)
    per_employee = sorted(a.employee_id for a in activities)
    if len(activities) != len(employees) or len(set(per_employee)) != len(employees):
        problems.append(f"activities saved: {[(a.employee_id, a.description) for a in activities]}")
    filed = await rows(town, Complaint)
    if len(filed) != 1:
        problems.append(f"complaints filed: {[c.tracking_number for c in filed]}")
    tickets = [m for m in desk.arrivals if m.text.startswith("📣") or "Aduan BLW-" in m.text]
    numbers = [NUMBER.search(m.text).group() for m in tickets if NUMBER.search(m.text)]  # type: ignore[union-attr]
    if len(numbers) != len(set(numbers)):
        problems.append(f"the desk got a ticket more than once: {numbers}")
    problems += repeated_after_lost_answer(emu)
    assert not problems, "\n".join(
        [*problems, f"faults injected: {injected}", *(line for p in people for line in p.story)]
    )
