"""Property-based fuzzing of whole updates through the emulator (issue 18, item 4).

Hypothesis draws short sessions of updates for an employee and a citizen: text of any kind
(unicode, right-to-left and zero-width characters, 4,096 characters and more, HTML and
MarkdownV2 specials), every command with garbage arguments, forged and stale callback data for
every registered prefix, photos, stickers, voice notes, locations, contacts and edits, in any
order, into whatever conversation the previous examples left open. For every update the
robustness sweep's checks hold (``tests.e2e.test_robustness.Sweep``): it is answered when it
expects an answer, the Bot API accepted every call (the emulator parses HTML as Telegram does),
no error was logged and nobody got the apology.

The quick form runs 200 examples in ``make test`` (derandomised: the same ones on every run);
``make chaos`` runs 10,000 drawn afresh (``SIGAP_CHAOS=1``, ``SIGAP_FUZZ_EXAMPLES`` to change).
SQLite only, as the sweep.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.client import EmulatedUser
from emulator.textparse import EmptyTextError, parse_text
from tests.e2e.harness import Harness
from tests.e2e.test_complaints import town  # noqa: F401 (fixture)
from tests.e2e.test_robustness import (
    AGUS,
    HTML,
    ErrorRecords,
    Sweep,
    callback_prefixes,
    errors,  # noqa: F401 (fixture)
    registered_commands,
)

CHAOS = bool(os.environ.get("SIGAP_CHAOS"))
EXAMPLES = int(os.environ.get("SIGAP_FUZZ_EXAMPLES", 10_000 if CHAOS else 200))

SPECIALS = [
    HTML,
    "<i>miring</i> <a href='x'>tautan</a> &amp; &lt;",
    "*tebal* _miring_ `kode` [tautan](http://x) ~coret~ ||rahasia|| \\. \\- \\!",
    "مرحبا بالعالم \u202eabc\u202c שלום",
    "a\u200bb\u200dc\u2066d\ufeff\u0001",
    "🙂👍🏽🇮🇩👨‍👩‍👧",
    "Rapat koordinasi 2 jam",
    "Verifikasi 15 berkas KTP 1,5 jam",
    "kemarin",
    "25/11/2026",
    "Lewati",
    "Tidak usah",
    "9" * 30,
    "x" * 4096,
    ("Kegiatan panjang " * 300)[:5000],
]


def _sendable(text: str) -> bool:
    """What a Telegram client sends at all (not empty once Telegram trims it)."""
    try:
        parse_text(text, None)
    except EmptyTextError:
        return False
    return True


TEXT = st.one_of(
    st.sampled_from(SPECIALS),
    st.text(min_size=1, max_size=120).filter(_sendable),
    st.lists(st.sampled_from(SPECIALS), min_size=2, max_size=3).map(" ".join),
)


def actions(commands: list[str], prefixes: list[str]) -> st.SearchStrategy[tuple[str, Any]]:
    data = st.one_of(
        st.sampled_from(prefixes).map(lambda p: f"{p}:"),
        st.tuples(st.sampled_from(prefixes), st.text(max_size=40)).map(":".join),
        st.tuples(
            st.sampled_from(prefixes),
            st.sampled_from(["ok", "no", "p", "n", "del", "edit", "save", "1", "x"]),
            st.integers(-(2**40), 2**40),
        ).map(lambda t: f"{t[0]}:{t[1]}:{t[2]}"),
        st.text(min_size=1, max_size=64),
    ).filter(lambda d: 0 < len(d.encode()) <= 64)
    return st.one_of(
        st.tuples(st.just("text"), TEXT),
        st.tuples(st.just("command"), st.tuples(st.sampled_from(commands), TEXT)),
        st.tuples(st.just("press"), data),
        st.tuples(st.just("flow press"), st.integers(0, 2**31).map(lambda v: f"f:{v}:save")),
        st.tuples(
            st.just("content"),
            st.sampled_from(["photo", "sticker", "voice", "location", "contact", "document"]),
        ),
        st.tuples(st.just("edit"), TEXT),
    )


def _do(user: EmulatedUser, kind: str, value: Any) -> Callable[[], Awaitable[Any]]:
    if kind == "text":
        return lambda: user.send(value)
    if kind == "command":
        name, garbage = value
        return lambda: user.send(f"/{name} {garbage}")
    if kind in ("press", "flow press"):
        return lambda: user.press(callback_data=value, forge=True)
    if kind == "edit":
        return lambda: _edit_last(user, value)
    return {
        "photo": lambda: user.send_photo(b"\xff\xd8\xff fuzz", caption=HTML),
        "sticker": lambda: user.send_sticker(),
        "voice": lambda: user.send_voice(),
        "location": lambda: user.share_location(3.7755, 98.6831),
        "contact": lambda: user.share_contact("+6281200000000"),
        "document": lambda: user.send_document(b"%PDF-1.4", file_name="a<b>.pdf"),
    }[value]


async def _edit_last(user: EmulatedUser, text: str) -> Any:
    said = await user.send("Rapat pagi 1 jam")
    return await user.edit(said, text)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_whole_updates_in_any_order(town: Harness, errors: ErrorRecords) -> None:  # noqa: F811
    office = town
    sweep = Sweep(office, errors)
    people = [await office.employee(AGUS, first_name="Agus"), office.user(first_name="Warga")]
    await people[1].send("/start")  # a press needs a bot message to be pressed on
    await people[1].wait_for(1)
    commands = [names[0] for names in registered_commands(office.application)]
    prefixes = callback_prefixes(office.application)
    loop = asyncio.get_running_loop()
    ran = {"examples": 0, "updates": 0}

    async def session(steps: list[tuple[int, tuple[str, Any]]]) -> None:
        for who, (kind, value) in steps:
            user = people[who]
            # An edited message expects no answer (Telegram's clients do not wait for one).
            await sweep.act(kind, f"{kind} {str(value)[:60]!r}", user, _do(user, kind, value),
                            answer=kind != "edit")  # fmt: skip
            ran["updates"] += 1

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not CHAOS,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(st.tuples(st.integers(0, 1), actions(commands, prefixes)), max_size=3))
    def example(steps: list[tuple[int, tuple[str, Any]]]) -> None:
        asyncio.run_coroutine_threadsafe(session(steps), loop).result(timeout=120)
        ran["examples"] += 1
        assert not sweep.failures, "\n".join(sweep.failures[:20])
        assert not errors.records, [r.getMessage() for r in errors.records[:5]]

    await asyncio.to_thread(example)
    print(f"\nfuzz: {ran['examples']} examples, {ran['updates']} updates")
