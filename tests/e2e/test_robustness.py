"""Bad input, everywhere: every update gets a clear answer, never silence, never a traceback.

A systematic sweep through the emulator with the real Application. People of every role (an
employee, a supervisor, a complaint handler, an admin, a citizen and an English-speaking citizen)
each, concurrently in their own chats:

1. walk the multi-step flows they can open (/lapor, /izin, /aduan, /survei, /penilaian, /ekspor,
   /undang, approval and feedback notes, a complaint's extra information) and at every step send
   a photo, a sticker, a voice note, a location, a contact and a document, text where a button is
   expected, an over-long text, and forged presses of the step's own buttons with garbled values;
2. send every command registered in the Application (read from its handlers, so a new command is
   covered without touching this file) bare and with garbage arguments (5,000 characters, HTML,
   emoji, right-to-left text, control characters), in their private chat and in a group;
3. forge presses for every callback prefix registered (and the verbs the handlers use) with
   garbled, over-long and out-of-range data and the ids of other people's entries, complaints and
   units, in their private chat and on the complaint desk's group.

For every single update the test waits until the Application finished it (an observer handler in
a late group sees every update after group 0 answered) and checks: the central error handler did
not fire (no ERROR record from any logger, no apology text), the person got something (a message,
an edit, or for a press an answerCallbackQuery for that very query), the Bot API accepted every
call (the emulator parses HTML as Telegram does and would answer 400 to unescaped user text), user
text came back neither escaped twice (``&amp;lt;``) nor mangled (``<b>&</script>`` survives as
text), and the English speaker got no Indonesian sentence. At the end, nothing that belongs to
someone else changed.

SQLite only: the sweep exercises handlers and texts, not SQL (the same queries run on PostgreSQL
in each feature's own tests). Run once on PostgreSQL it took as long again (27.7 s against 28 s,
11,474 updates each) and found nothing SQLite did not; the one database-level input it adds, ids
beyond BIGINT (OverflowError on SQLite, DataError on PostgreSQL), has its own test on both
databases below.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlmodel import col
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, TypeHandler

from domain.complaints import Move
from emulator.client import EmulatedGroup, EmulatedUser
from handlers import flow
from models import survey
from models.tables import Activity, Complaint, Conversation, Employee, FeedbackNote, Unit
from tests.e2e.harness import BOT_USERNAME, Harness
from tests.e2e.test_complaints import file_complaint, install_desk, town  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]

AGUS = "197508121999031007"  # employee (BLW-SEK)
BENNY = "197802042005011006"  # supervisor of Rizky (BLW-PEM)
RIZKY = "199603052020121003"
DEWI = "199401202021012008"  # complaint handler (BLW-PU)
CAMAT = "198105142003121002"  # supervisor and admin
IRWANSYAH = "198506172010011012"  # nobody in the sweep supervises him (BLW-K02)

# SWEEP_DEBUG=/tmp/sweep.txt: print slow updates, each flow step and where each walk ended, and
# write every failure to that file (the assertion shows the first 80).
DEBUG = bool(os.environ.get("SWEEP_DEBUG"))
HTML = "<b>&</script>"
GARBAGE = {
    "html": HTML,
    "overlong": ("Kegiatan panjang " * 300)[:5000],
    "emoji": "🙂👍🏽🇮🇩👨‍👩‍👧",
    "rtl": "مرحبا بالعالم \u202eabc\u202c שלום",
    "control": "a\u0001b\u0007c\u200b\u200d\u2066d\ufeff",
}
# Sentences only an Indonesian text has (unit and category names are proper names).
INDONESIAN = re.compile(r"\b(Anda|Silakan|Maaf|tidak berlaku|belum)\b")
APOLOGY = ("terjadi kesalahan di pihak kami", "went wrong on our side")


def _key(update: Update) -> str | None:
    if update.callback_query is not None:
        return f"q:{update.callback_query.id}"
    if update.edited_message is not None:
        message = update.edited_message
        # The same message may be edited twice: the text tells the edits apart.
        return f"e:{message.chat_id}:{message.message_id}:{hash(message.text)}"
    if update.message is not None:
        return f"m:{update.message.chat_id}:{update.message.message_id}"
    return None


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Sweep:
    """Sends updates one at a time per chat and checks each one's answer."""

    def __init__(self, office: Harness, errors: ErrorRecords) -> None:
        self.office = office
        self.errors = errors
        self.failures: list[str] = []
        self.cases: dict[str, int] = {}
        self._handled: dict[str, asyncio.Event] = {}
        self._update_ids: dict[str, int] = {}
        # Every Bot API error per chat (the chat views keep only the last ten).
        self.api_errors: dict[int, list[str]] = {}
        emulator = office.emulator
        note = emulator._note_chat_error

        def noted(params: dict[str, Any], method: str, error: Any) -> None:
            note(params, method, error)
            chat_id = params.get("chat_id")
            self.api_errors.setdefault(chat_id, []).append(f"{method}: {error.description}")  # type: ignore[arg-type]

        emulator._note_chat_error = noted  # type: ignore[method-assign]
        # Group 99 runs after group 0 answered: the observer marks the update as finished.
        office.application.add_handler(TypeHandler(Update, self._observe), group=99)

    def _event(self, key: str) -> asyncio.Event:
        return self._handled.setdefault(key, asyncio.Event())

    async def _observe(self, update: Update, context: object) -> None:
        key = _key(update)
        if key is not None:
            self._update_ids[key] = update.update_id
            self._event(key).set()

    async def act(
        self,
        kind: str,
        label: str,
        person: EmulatedUser,
        do: Callable[[], Awaitable[dict[str, Any] | str]],
        *,
        where: EmulatedGroup | None = None,
        english: bool = False,
        answer: bool = True,
    ) -> None:
        views = [person] + ([where] if where is not None else [])
        marks = [
            (
                view,
                len(view._state.sent_log),
                len(view._state.edit_log),
                len(self.api_errors.get(view.chat_id, [])),
            )
            for view in views
        ]
        errors_before = len(self.errors.records)
        began = asyncio.get_running_loop().time()
        result = await do()
        if isinstance(result, str):
            key = f"q:{result}"
        elif "edit_date" in result:
            key = f"e:{result['chat']['id']}:{result['message_id']}:{hash(result.get('text'))}"
        else:
            key = f"m:{result['chat']['id']}:{result['message_id']}"
        try:
            await asyncio.wait_for(self._event(key).wait(), 20)
        except TimeoutError:
            self.failures.append(f"{person.first_name} {label}: not handled within 20 s")
            return
        self.cases[kind] = self.cases.get(kind, 0) + 1
        took = asyncio.get_running_loop().time() - began
        if DEBUG and took > 0.3:
            print(f"slow {took:.2f}s: {person.first_name} {label}", flush=True)
        problems: list[str] = []
        shown: list[str] = []
        answered = False
        for view, sent, edited, api_errors in marks:
            state = view._state
            messages = state.sent_log[sent:] + state.edit_log[edited:]
            # A group's messages are for everyone there: in the group's (the office's) language.
            shown += [m.text or "" for m in messages if view is person or not english]
            # Taking a keyboard away is no answer; a new message, new text or buttons are.
            answered = (
                answered
                or len(state.sent_log) > sent
                or any(
                    m.button_texts or m.text != (m.history[-1].get("text") if m.history else None)
                    for m in state.edit_log[edited:]
                )
            )
            for error in self.api_errors.get(view.chat_id, [])[api_errors:]:
                if "message is not modified" in error:
                    # Handlers that edit in place catch this one: the message already shows
                    # what the press asked for (a double tap, the page one is on).
                    answered = True
                else:
                    problems.append(f"Bot API error {error}")
        if key.startswith("q:"):
            # Newest first: the answer to this press is at the end (a full scan per press made
            # the sweep quadratic).
            got = next(
                (
                    [a]
                    for a in reversed(person.callback_answers)
                    if a["callback_query_id"] == key[2:]
                ),
                [],
            )
            if not got:
                problems.append("press not answered (the spinner stays)")
            answered = answered or any(a.get("text") for a in got)
            # Telegram refuses answers over 200 characters (the emulator does not check).
            problems += [
                f"answer too long: {a['text']!r}" for a in got if len(a["text"] or "") > 200
            ]
            shown += [a.get("text") or "" for a in got]
        if answer and not answered:
            problems.append("no answer at all")
        for text in shown:
            if any(apology in text for apology in APOLOGY):
                problems.append("the central error handler answered")
            if re.search(r"&(amp|lt|gt|quot);", text):
                problems.append(f"escaped twice: {text[:160]!r}")
            if "</script>" in text and HTML not in text:
                problems.append(f"user text mangled: {text[:160]!r}")
            if english and where is None and INDONESIAN.search(text):
                problems.append(f"Indonesian to an English speaker: {text[:160]!r}")
        # The error handler's log line names the update, never the person (handlers.errors).
        mine = [
            record
            for record in self.errors.records[errors_before:]
            if f"update {self._update_ids[key]} " in record.getMessage()
        ]
        problems += [f"ERROR logged: {r.getMessage()} {r.exc_info!r}" for r in mine]
        if problems:
            self.failures.append(f"{person.first_name} {label}: " + "; ".join(problems))


class Persona:
    def __init__(
        self, sweep: Sweep, user: EmulatedUser, group: EmulatedGroup, english: bool = False
    ) -> None:
        self.sweep = sweep
        self.user = user
        self.group = group
        self.english = english

    async def send(self, kind: str, text: str, *, in_group: bool = False) -> None:
        where = self.group if in_group else None
        await self.sweep.act(
            kind,
            f"{'group ' if in_group else ''}{text[:60]!r}",
            self.user,
            lambda: self.user.send(text, chat=where),
            where=where,
            english=self.english,
        )

    async def press(
        self,
        kind: str,
        data: str,
        *,
        on: EmulatedGroup | None = None,
        message_id: int | None = None,
    ) -> None:
        """A forged press on a bot message (default: the newest) here or in the group ``on``."""
        await self.sweep.act(
            kind,
            f"press {data[:70]!r}{' in ' + on.title if on else ''}",
            self.user,
            lambda: self.user.press(callback_data=data, chat=on, forge=True, message_id=message_id),
            where=on,
            english=self.english,
        )

    async def other(self, kind: str, label: str, do: Callable[[], Awaitable[Any]]) -> None:
        await self.sweep.act(kind, label, self.user, do, english=self.english)


# --- flows -----------------------------------------------------------------------------------


def _contents(user: EmulatedUser) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    return [
        ("photo", lambda: user.send_photo(b"\xff\xd8\xff sweep")),
        ("photo with caption", lambda: user.send_photo(b"\xff\xd8\xff 2", caption=HTML)),
        ("sticker", lambda: user.send_sticker()),
        ("voice", lambda: user.send_voice()),
        ("location", lambda: user.share_location(3.7755, 98.6831)),
        ("contact", lambda: user.share_contact("+6281200000000")),
        ("document", lambda: user.send_document(b"%PDF-1.4", file_name="a<b>.pdf")),
        ("document with caption", lambda: user.send_document(b"%PDF", caption=HTML)),
    ]


async def _conversation(office: Harness, user: EmulatedUser) -> Conversation | None:
    async with office.db.read() as session:
        return (
            await session.execute(select(Conversation).where(col(Conversation.user_id) == user.id))
        ).scalar_one_or_none()


def _flow_buttons(user: EmulatedUser) -> tuple[int | None, list[tuple[str, str]]]:
    """The newest bot message showing flow buttons, and its (label, data) pairs."""
    for message in reversed(user.messages):
        found = [(label, data) for row in message.buttons for label, data in row]
        if any(data.startswith("f:") for _, data in found):  # type: ignore[union-attr]
            return message.message_id, [(lbl, data) for lbl, data in found if data.startswith("f:")]  # type: ignore[misc, union-attr]
    return None, []


def _garbled(data: str) -> list[str]:
    _, version, value = data.split(":", 2)
    values = [
        "",
        f"{value}:x",
        re.sub(r"\d+", "9" * 30, value),
        re.sub(r"\d+", "²", value),
        re.sub(r"\d+", "-1", value),
        "z" * 300,
        HTML,
    ]
    # (A value without digits stays itself: that would be a real press.)
    forged = [f"f:{version}:{v}" for v in values if v != value]
    return [*forged, f"f:²:{value}", f"f:{'9' * 30}:{value}"]


SKIP_WORDS = ("batal", "cancel", "kembali", "back", "ubah", "edit", "←")


async def walk(
    persona: Persona,
    start: Iterable[str | tuple[str, str]],
    texts: dict[str, list[str]],
    max_steps: int = 25,
    prefer: Iterable[str] = (),
) -> set[tuple[str, str]]:
    """Open a flow, then at each step: every kind of content, text where buttons are expected,
    forged presses of this step's buttons with garbled values; then answer the step (its first
    button that goes forward, or the next text given for it). Returns the (flow, step) seen."""
    office, user = persona.sweep.office, persona.user
    for action in start:
        if isinstance(action, tuple):  # ("press", label prefix): a button outside flows
            label = action[1]
            message = next(
                (
                    m
                    for m in reversed(user.messages)
                    if any(t.startswith(label) for t in m.button_texts)
                ),
                None,
            )
            if message is None:
                last = [m.text[:80] for m in user.messages[-3:]]
                persona.sweep.failures.append(f"{user.first_name}: no {label!r} in {start}: {last}")
                return set()
            text = next(t for t in message.button_texts if t.startswith(label))
            await persona.other(
                "flow",
                f"press {text}",
                lambda t=text, m=message: user.press(t, message_id=m.message_id),  # type: ignore[misc]
            )
        else:
            await persona.send("flow", action)
    seen: set[tuple[str, str]] = set()
    remaining = {step: list(values) for step, values in texts.items()}
    detours = list(prefer)  # buttons to take, in this order, when shown (an edit menu)
    for _ in range(max_steps):
        conversation = await _conversation(office, user)
        if conversation is None:
            break
        step = flow._FLOWS[conversation.flow].steps[conversation.step]
        seen.add((conversation.flow, conversation.step))
        if DEBUG:
            print(user.first_name, conversation.flow, conversation.step, flush=True)
        where = f"in {conversation.flow}/{conversation.step}:"
        for name, do in _contents(user):
            if step.on_message is None:
                await persona.other("flow", f"{where} {name}", do)
        if step.on_text is None:
            for text in GARBAGE.values():
                await persona.send("flow", text)
        else:
            await persona.send("flow", GARBAGE["overlong"])
        shown, buttons = _flow_buttons(user)
        if buttons:
            for data in _garbled(buttons[0][1]):
                await persona.press("flow", data, message_id=shown)
        # Garbage may have moved the flow on (a photo is evidence, a location a location).
        now = await _conversation(office, user)
        if now is None or (now.flow, now.step, now.version) != (
            conversation.flow,
            conversation.step,
            conversation.version,
        ):
            continue
        queue = remaining.get(conversation.step)
        if queue:
            await persona.send("flow", queue.pop(0))
            continue
        shown, buttons = _flow_buttons(user)
        detour = [data for label, data in buttons if detours and label.startswith(detours[0])]
        if detour:
            detours.pop(0)
            await persona.press("flow", detour[0], message_id=shown)
            continue
        forward = [
            data for label, data in buttons if not any(w in label.lower() for w in SKIP_WORDS)
        ]
        if not forward:
            break
        await persona.press("flow", forward[0], message_id=shown)
    if DEBUG:
        print(user.first_name, start, "ends:", [m.text[:60] for m in user.messages[-3:]])
    return seen


# --- the sweep -------------------------------------------------------------------------------


def registered_commands(application: Any) -> list[list[str]]:
    """Each CommandHandler's names, Indonesian first."""
    found = []
    for handler in application.handlers[0]:
        if isinstance(handler, CommandHandler):
            found.append(sorted(handler.commands, key=lambda c: (c.isascii() and c in {
                "help", "language", "cancel", "invite", "log", "today", "summary", "leave",
                "reminder", "export", "assessment", "approvals", "team", "feedback",
                "complaint", "survey", "install_desk", "uninstall_desk"}, c)))  # fmt: skip
    return found


def callback_prefixes(application: Any) -> list[str]:
    prefixes = []
    for handler in application.handlers[0]:
        if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
            pattern = getattr(handler.pattern, "pattern", str(handler.pattern))
            prefixes.append(pattern.removeprefix("^").removesuffix(":"))
    return prefixes


def callback_verbs(prefixes: list[str]) -> dict[str, set[str]]:
    """The verbs each prefix is used with in the source that writes buttons (``"apv:ok:"``)."""
    source = "\n".join(
        path.read_text() for folder in ("handlers", "models", "scheduler")
        for path in (ROOT / folder).glob("*.py")
    )  # fmt: skip
    verbs: dict[str, set[str]] = {p: set() for p in prefixes}
    for prefix in prefixes:
        verbs[prefix] |= set(re.findall(rf"[\"'`]{re.escape(prefix)}:([a-z_]+)", source))
    verbs.setdefault("desk", set()).update({m.value for m in Move} | {"contact", "back"})
    return verbs


def forged_data(prefixes: list[str], verbs: dict[str, set[str]], others: list[int]) -> list[str]:
    data = ["", "x", ":", "zz:1", "x" * 64, "é" * 40, "x" * 300, HTML, "\u202e:1"]
    for prefix in prefixes:
        data += [f"{prefix}:", f"{prefix}:²", f"{prefix}:{'9' * 30}", f"{prefix}:{HTML}"]
        for verb in sorted(verbs.get(prefix, ())):
            base = f"{prefix}:{verb}"
            data += [
                base,
                f"{base}:",
                f"{base}:abc",
                f"{base}:²",
                f"{base}:١٢",
                f"{base}:{'9' * 30}",
                f"{base}:-1",
                f"{base}:0",
                f"{base}:999999",
                f"{base}:1:2:3:4",
                f"{base}:1:20261399:0",
                f"{base}:1:x:1",
                f"{base}:{'1' * 200}",
            ]
            data.append(f"{base}:2147483648")  # one past PostgreSQL's INTEGER
            for other in others:
                data += [f"{base}:{other}", f"{base}:{other}:20261124:0", f"{base}:{other}:{other}"]
    return data


async def _id(office: Harness, model: Any, *where: Any) -> int:
    async with office.db.read() as session:
        return int((await session.execute(select(model.id).where(*where))).scalar_one())


async def _add_activity(office: Harness, nip: str, description: str) -> int:
    employee_id = await _id(office, Employee, col(Employee.nip) == nip)
    async with office.db.write() as session:
        activity = Activity(
            employee_id=employee_id, work_date=date(2026, 11, 24), description=description,
            minutes=60,
        )  # fmt: skip
        session.add(activity)
        await session.flush()
        assert activity.id is not None
        return activity.id


async def _english(person: EmulatedUser) -> None:
    await person.send("/bahasa")
    await person.wait_for(1)
    await person.press("🇬🇧 English")
    await person.wait_for_edit()


@pytest.fixture
def errors() -> Any:
    records = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(records)
    yield records
    root.removeHandler(records)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_update_gets_a_clear_answer(town: Harness, errors: ErrorRecords) -> None:  # noqa: F811
    office = town
    await survey.seed_default_services(office.db)
    desk = await install_desk(office)
    # Someone else's things, which nobody in the sweep may touch.
    stranger = office.user(first_name="Orang Lain")
    await file_complaint(stranger, category="Kebersihan & Sampah")
    their_complaint = await _id(
        office, Complaint, col(Complaint.reporter_telegram_id) == stranger.id
    )
    their_activity = await _add_activity(office, IRWANSYAH, "Arsip milik orang lain")
    irwansyah = await _id(office, Employee, col(Employee.nip) == IRWANSYAH)
    pu = await _id(office, Unit, col(Unit.code) == "BLW-PU")
    await _add_activity(office, RIZKY, "Rekap data <penduduk> & mutasi")

    sweep = Sweep(office, errors)
    # Groups are paced at Telegram's 20 messages a minute (tested in test_outbox_delivery.py and
    # test_desk.py); the sweep's few hundred group answers would wait minutes for it.
    office.application.bot.rate_limiter.group_max_rate = 0  # type: ignore[union-attr]
    people = [
        ("employee", await office.employee(AGUS, first_name="Agus"), False),
        ("supervisor", await office.employee(BENNY, first_name="Benny"), False),
        ("handler", await office.employee(DEWI, first_name="Dewi"), False),
        # The admin (also a supervisor) reads English: staff texts have translations too.
        ("admin", await office.employee(CAMAT, first_name="Camat"), True),
        ("citizen", office.user(first_name="Warga"), False),
        ("english", office.user(first_name="Citizen", language_code="en"), True),
    ]
    for _, person, english in people:
        if english:
            await _english(person)
    personas = {
        # Privacy mode off: the bot sees everything said in these groups.
        role: Persona(sweep, user, office.emulator.group(f"Grup {role}", privacy_mode=False), en)
        for role, user, en in people
    }
    commands = registered_commands(office.application)
    prefixes = callback_prefixes(office.application)
    data = forged_data(prefixes, callback_verbs(prefixes), [their_complaint, their_activity,
                                                            irwansyah, pu])  # fmt: skip
    flows_seen: set[tuple[str, str]] = set()
    desk_turn = asyncio.Lock()
    story = f"Sampah menumpuk di Jl. Veteran {HTML} sudah seminggu tidak diangkut petugas."

    async def flows(role: str, persona: Persona) -> None:
        walks: list[tuple[Any, ...]] = []
        if role == "employee":
            walks = [
                (["/lapor"], {"description": [f"Rapat {HTML} koordinasi"], "quantity_number":
                              ["3"], "duration": ["1 jam"], "training": ["2"]}),
                (["/izin"], {"start": ["kemarin", "25/11/2026"], "end": ["26/11/2026"],
                             "note": [HTML]}),
                (["/ekspor"], {}),
                # A day as a list: saved, then its unreadable and its undurated lines asked.
                ([f"1. Apel pagi 30 menit\n2. Rapat {HTML} 1.30 jam\n3. Cek lapangan"],
                 {"pending": [HTML, "1 jam", "2 jam"]}),
                (["- Apel 30 menit\n- Rapat 2 jam"], {"line": [HTML, "1 jam"]}, ["✏️ Ubah 2"]),
            ]  # fmt: skip
            quick = "/lapor Rapat koordinasi kelurahan 1 jam"
            for field in ("Pengembangan", "Tanggal", "Hasil", "Target", "Durasi", "Uraian"):
                walks.append(([quick, ("press", "✏️ Ubah"), ("press", field)], {
                    "training": ["²", "9" * 30, "2"], "date": [HTML, "31/02", "kemarin"],
                    "quantity_number": ["²", "3"], "duration": [HTML, "25 jam", "1 jam"],
                    "description": [f"Rapat {HTML}"]}))  # fmt: skip
        elif role == "supervisor":
            walks = [
                (["/penilaian"], {}),
                (["/ekspor"], {}),
                (
                    ["/ekspor", ("press", "Semua bawahan"), ("press", "Rentang lain")],
                    {
                        "start": [HTML, "²/11/2026", "01/11/2026"],
                        "end": ["01/01/2020", "24/11/2026"],
                    },
                ),
                (["/persetujuan", ("press", "Rizky"), ("press", "↩️ 1")], {"note": [HTML]}),
                (["/tim", ("press", "👤"), ("press", "📝")], {"text": [HTML]}),
            ]
        elif role == "admin":
            walks = [(["/undang"], {"nip": [HTML, RIZKY]})]
        elif role in ("citizen", "english"):
            walks = [
                (["/aduan"], {"story": [story], "location": [HTML], "contact": ["Tidak usah"]}),
                (["/survei"], {"service": [HTML], "comment": [HTML]}),
            ]
            if role == "citizen":
                walks.append((["/status", ("press", "BLW-"), ("press", "✍️")], {"note": [HTML]}))
                # The same story again (a duplicate is offered), then the summary's edit menu.
                walks.append((["/aduan"], {"story": [story], "location": [HTML, HTML],
                                           "contact": ["Tidak usah", "Tidak usah"]},
                              ["🆕", "✏️ Ubah", "📍 Lokasi", "✏️ Ubah", "🔐 Privasi", "✏️ Ubah",
                               "📝 Cerita"]))  # fmt: skip
        for start, texts, *prefer in walks:
            flows_seen.update(await walk(persona, start, texts, prefer=prefer[0] if prefer else ()))
            await persona.send("flow", "/batal")

    async def everything(role: str, persona: Persona) -> None:
        await flows(role, persona)
        for names in commands:
            first, aliases = names[0], names[1:]
            await persona.send("command", f"/{first}")
            for text in GARBAGE.values():
                await persona.send("command", f"/{first} {text}")
            await persona.send("command", f"/{first}", in_group=True)
            await persona.send("command", f"/{first}@{BOT_USERNAME} {HTML}", in_group=True)
            for alias in aliases:
                await persona.send("command", f"/{alias}")
            await persona.send("command", "/batal")
        for text in (*GARBAGE.values(), "/tidak_ada", f"/tidak_ada {HTML}"):
            await persona.send("text", text)
        for name, do in _contents(persona.user):
            await persona.other("content", name, do)
        user, group = persona.user, persona.group
        said = await user.send("Rapat pagi 1 jam")
        await persona.other("edit", "edit to HTML", lambda: user.edit(said, HTML))
        await persona.other("edit", "edit to long", lambda: user.edit(said, GARBAGE["overlong"]))
        said = await user.send("/bantuan", chat=group)
        # An edit in a group is not addressed to the bot: no answer needed, no error allowed.
        await sweep.act("edit", "group edit", user, lambda: user.edit(said, f"/bantuan {HTML}"),
                        where=group, answer=False)  # fmt: skip
        # Replies to the bot's last message (a citizen's reply to a notice reaches the desk).
        for text in (HTML, GARBAGE["rtl"]):
            await persona.other("reply", "reply", lambda t=text: user.send(t, reply_to=user.last))  # type: ignore[misc]
        await persona.other("reply", "reply sticker", lambda: user.send_sticker())
        # Chatter in a group the bot reads: not addressed to it, so no answer, but no error.
        for text in (HTML, GARBAGE["overlong"], "Rapat 1 jam"):
            await sweep.act("group", "group text", user, lambda t=text: user.send(t, chat=group),  # type: ignore[misc]
                            where=group, answer=False)  # fmt: skip
        for name, do in [
            ("photo", lambda: user.send_photo(b"\xff", caption=HTML, chat=group)),
            ("location", lambda: user.share_location(3.7, 98.6, chat=group)),
            ("contact", lambda: user.share_contact("+62812", chat=group)),
        ]:
            await sweep.act("group", f"group {name}", user, do, where=group, answer=False)
        for value in data:
            if not (persona.english and value == "lang:id"):  # would make them Indonesian
                await persona.press("press", value)
        for value in data[::10]:  # a tenth of them on the bot's answers in their group
            # (desk buttons are pressed on the desk group below)
            if not (persona.english and value == "lang:id") and not value.startswith("desk"):
                await persona.press("group press", value, on=group)
        if role in ("handler", "admin", "citizen"):
            # One at a time on the shared desk group, so that its answers are attributed.
            async with desk_turn:
                for value in data:
                    if value.startswith(("desk", "cmp", "x")):
                        await persona.press("press", value, on=desk)
                # Replies to the newest ticket (or whatever the bot said last there): the
                # handler's are relayed to the citizen, others' are not for the bot.
                for text in GARBAGE.values():
                    await sweep.act("desk reply", f"reply {text[:40]!r}", persona.user,
                        lambda t=text: persona.user.send(t, chat=desk, reply_to=desk.last),  # type: ignore[misc]
                        where=desk, answer=False)  # fmt: skip
                await sweep.act("desk reply", "reply photo", persona.user,
                    lambda: persona.user.send_photo(b"\xff", caption=HTML, chat=desk,
                                                    reply_to=desk.last),
                    where=desk, answer=False)  # fmt: skip

    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.gather(*(everything(role, persona) for role, persona in personas.items()))
    took = loop.time() - began

    print(f"\nrobustness sweep: {sum(sweep.cases.values())} updates {sweep.cases} in {took:.1f} s;"
          f" {len(flows_seen)} flow steps: {sorted(flows_seen)}")  # fmt: skip
    if DEBUG:
        Path(os.environ["SWEEP_DEBUG"]).write_text("\n".join(sweep.failures))
    assert not sweep.failures, "\n".join(sweep.failures[:80]) + f"\n({len(sweep.failures)} in all)"
    assert not errors.records, [r.getMessage() for r in errors.records[:10]]
    # (The desk group's answers were checked one update at a time, under desk_turn.)
    for view in [p.group for p in personas.values()]:
        assert not any(a in (m.text or "") for m in view.messages for a in APOLOGY), view.name
        assert [e for e in view.errors if "message is not modified" not in e] == [], view.name
    # Nothing of someone else's changed.
    async with office.db.read() as session:
        activity = await session.get(Activity, their_activity)
        complaint = await session.get(Complaint, their_complaint)
        notes = (await session.execute(select(func.count()).select_from(FeedbackNote).where(
            col(FeedbackNote.employee_id) == irwansyah))).scalar_one()  # fmt: skip
    assert activity is not None and activity.status == "submitted" and activity.deleted_at is None
    assert complaint is not None and complaint.status == "baru"
    assert notes == 0
    assert len(flows_seen) >= 30, sorted(flows_seen)


# --- one test per bug the sweep found (both databases) -----------------------------------------


async def test_forged_ids_that_are_not_plain_digits_or_too_long_are_stale(
    town: Harness,  # noqa: F811
    errors: ErrorRecords,
) -> None:
    """ "²" passed ``str.isdigit`` and crashed ``int()``; 30 digits overflowed the database."""
    agus = await town.employee(AGUS)
    benny = await town.employee(BENNY)
    warga = town.user()
    await warga.send("/status")
    await warga.wait_for(1)
    huge = "9" * 30
    presses = [
        (agus, f"act:edit:{huge}", "tidak berlaku"),
        (agus, "act:del:²", "tidak berlaku"),
        (warga, f"cmp:show:{huge}", "tidak berlaku"),
        (warga, "cmp:note:²", "tidak berlaku"),
        (warga, f"svy:c:{huge}", "tidak berlaku"),
        (warga, "f:²:x", "tidak berlaku"),
        (benny, "apv:ok:²", "tidak berlaku"),
        (benny, f"apv:emp:{'9' * 19}", "tidak berlaku"),
        (benny, "apv:ok:2147483648", "tidak berlaku"),  # INTEGER ids on PostgreSQL
        (agus, "act:edit:99999999999", "tidak berlaku"),
        (benny, "tim:p:²", "tidak berlaku"),
    ]
    for person, data, expected in presses:
        query = await person.press(callback_data=data, forge=True)
        answer = await person.answer_to(query)
        assert expected in (answer["text"] or ""), (data, answer)
    assert not errors.records, [r.getMessage() for r in errors.records]


async def test_superscript_training_hours_are_refused_politely(
    office: Harness, errors: ErrorRecords
) -> None:
    agus = await office.employee(AGUS)
    await agus.send("/lapor Rapat koordinasi kelurahan 1 jam")
    await agus.wait_for(1)
    await agus.press("✏️ Ubah")
    await agus.wait_for(1)
    await agus.press("Pengembangan kompetensi")
    await agus.wait_for(1)
    await agus.send("²")
    [reply] = await agus.wait_for(1)
    assert "angka 0 sampai 200" in reply.text
    await agus.send("9" * 30)
    [reply] = await agus.wait_for(1)
    assert "angka 0 sampai 200" in reply.text
    await agus.send("2")
    [summary] = await agus.wait_for(1)
    assert "2 JP" in summary.text
    assert not errors.records


async def test_the_apology_for_an_error_is_in_the_persons_language(office: Harness) -> None:
    """PTB gives the error handler a fresh context without the loaded person."""
    citizen = office.user(language_code="en")
    await _english(citizen)
    async with office.db.write() as session:
        await session.execute(sql("DROP TABLE conversation"))
    try:
        await citizen.send("hello")
        [reply] = await citizen.wait_for(1)
        assert "went wrong on our side" in reply.text
    finally:
        async with office.db.engine.begin() as connection:
            await connection.run_sync(Conversation.__table__.create)  # type: ignore[attr-defined]


async def test_a_flow_press_the_step_did_not_offer_is_answered_and_keeps_the_buttons(
    town: Harness,  # noqa: F811
    errors: ErrorRecords,
) -> None:
    """Steps ignore values they did not offer; the press used to be answered with nothing and
    the keyboard taken away: a dead end."""
    warga = town.user()
    await warga.send("/aduan")
    [ask] = await warga.wait_for(1)
    version = ask.buttons[0][0][1].split(":")[1]  # type: ignore[union-attr]
    for value in ("zzz", "c:999999", f"c:{'9' * 30}"):
        query = await warga.press(
            callback_data=f"f:{version}:{value}", message_id=ask.message_id, forge=True
        )
        answer = await warga.answer_to(query)
        assert "tidak berlaku" in (answer["text"] or "")
    shown = next(m for m in warga.messages if m.message_id == ask.message_id)
    assert shown.button_texts == ["Pengaduan", "Aspirasi", "Permintaan informasi"]
    await warga.press("Pengaduan")  # and the real buttons still work
    [categories] = await warga.wait_for(1)
    assert "Lainnya" in categories.button_texts
    assert not errors.records
