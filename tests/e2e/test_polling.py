"""Long polling with an inbox (``bot.polling``), in process: what a killed poller leaves behind is
handled after the restart, what cannot be read is dropped, and a second poller on the same
token does not stop the bot. The real kill -9 is in ``test_crash_recovery.py``."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram import Bot

from bot.polling import stop_bot
from models import inbox
from tests.e2e.harness import Harness, eventually, idle, start_again
from tests.e2e.test_complaints import town  # noqa: F401 (fixture)


async def _fetch_and_confirm(office: Harness) -> list[dict[str, Any]]:
    """What a poller does before it is killed: fetch the waiting updates, and tell Telegram
    (by asking for the ones after them) that they arrived."""
    async with Bot(office.settings.require_token(), base_url=office.settings.bot_api_url) as bot:
        updates = await bot.get_updates(timeout=0)
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return [u.to_dict() for u in updates]


async def test_updates_left_in_the_inbox_are_handled_after_a_restart(office: Harness) -> None:
    siti = office.user(first_name="Siti <b>")
    await stop_bot(office.application)
    await siti.send("/start")
    await siti.send("/bantuan")
    fetched = await _fetch_and_confirm(office)
    assert office.emulator.pending_update_count == 0  # Telegram will not send them again
    assert await inbox.keep(office.db, fetched, office.clock.now()) == {
        u["update_id"] for u in fetched
    }
    await start_again(office)
    welcome, help_text = await siti.wait_for(2)
    assert "Siti &lt;b&gt;" in welcome.html and "Bantuan" in help_text.text  # type: ignore[operator]
    await idle(office.db)
    # Nothing twice: the next message gets one answer.
    await siti.send("/bantuan")
    [again] = await siti.wait_for(1)
    assert "Bantuan" in again.text
    assert len(siti.messages) == 3


async def test_an_update_that_cannot_be_read_is_dropped(
    office: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    siti = office.user(first_name="Siti")
    await stop_bot(office.application)
    await siti.send("/start")
    [fetched] = await _fetch_and_confirm(office)
    # Stored by an older version in a shape this one does not read.
    garbled = {"update_id": fetched["update_id"], "message": "not a message"}
    await inbox.keep(office.db, [garbled], office.clock.now())
    with caplog.at_level(logging.ERROR, logger="sigap.polling"):
        await start_again(office)
    assert "cannot be read" in caplog.text
    await siti.send("/start")
    await siti.wait_for(1)
    await idle(office.db)


async def test_a_second_poller_on_the_same_token_does_not_stop_the_bot(
    office: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """An operator starts a second copy by mistake: Telegram answers the older getUpdates with
    409 Conflict. Sigap waits and polls again instead of giving up."""
    token, url = office.settings.require_token(), office.settings.bot_api_url
    with caplog.at_level(logging.WARNING, logger="sigap.polling"):
        async with Bot(token, base_url=url) as intruder:
            assert await intruder.get_updates(timeout=0) == ()
        await eventually(lambda: "Conflict" in caplog.text)
    siti = office.user(first_name="Siti")
    await siti.send("/start")
    [welcome] = await siti.wait_for(1, timeout=10)  # after the back-off of 1 s
    assert "Siti" in welcome.text


async def test_a_command_handled_again_keeps_the_question_the_person_answers(
    town: Harness,  # noqa: F811
) -> None:
    """Killed after /aduan's question went out but before its update left the inbox (found by
    the random kills, tests/e2e/chaos): the update comes round again and the question is asked
    again, but the flow is not begun afresh, so a press on the first copy still counts."""
    siti = town.user(first_name="Siti")
    await stop_bot(town.application)
    await siti.send("/aduan")
    fetched = await _fetch_and_confirm(town)
    await inbox.keep(town.db, fetched, town.clock.now())
    await start_again(town)
    [first] = await siti.wait_for(1)
    await idle(town.db)
    await stop_bot(town.application)
    await inbox.keep(town.db, fetched, town.clock.now())  # as if never removed
    await start_again(town)
    [again] = await siti.wait_for(1)
    assert again.text == first.text
    await idle(town.db)
    await siti.press("Pengaduan", message_id=first.message_id)
    [categories] = await siti.wait_for(1)
    assert "Lainnya" in categories.button_texts, categories.text
    assert not [a for a in siti.callback_answers if a.get("text")]  # no "old button"
