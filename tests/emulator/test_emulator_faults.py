"""A flaky Telegram: every fault kind as a plain HTTP client meets it, rates, seeds, counts,
the answer lost after the call was applied, the control endpoint and the standalone flags."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from emulator import BotApiEmulator, EmulatedUser
from emulator.faults import FaultPlan


@dataclass
class Outcome:
    """What the client got: an HTTP answer, or the exception instead of one."""

    status: int | None = None
    content_type: str | None = None
    body: str = ""
    error: BaseException | None = None

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    base_url: str, token: str, method: str, *, give_up_after: float = 5.0, **params: Any
) -> Outcome:
    client_timeout = aiohttp.ClientTimeout(total=give_up_after)
    try:
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as session,
            session.post(f"{base_url}/bot{token}/{method}", json=params) as response,
        ):
            return Outcome(response.status, response.content_type, await response.text())
    except (aiohttp.ClientError, TimeoutError) as error:
        return Outcome(error=error)


async def send(emu: BotApiEmulator, chat_id: int, text: str, **options: Any) -> Outcome:
    return await call(emu.base_url, emu.token, "sendMessage", chat_id=chat_id, text=text, **options)


async def known_user(emu: BotApiEmulator) -> EmulatedUser:
    siti = emu.user(first_name="Siti")
    await siti.send("/start")
    return siti


async def test_429_answers_as_telegram_and_sends_nothing(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"429": 1.0}, retry_after=3)
    outcome = await send(emu, siti.chat_id, "Halo")
    assert (outcome.status, outcome.content_type) == (429, "application/json")
    assert outcome.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert siti.messages == [] and emu.sent_count == 0
    assert siti.errors == ["sendMessage: Too Many Requests: retry after 3"]


async def test_500_is_telegrams_internal_server_error_and_sends_nothing(
    emu: BotApiEmulator,
) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"500": 1.0})
    outcome = await send(emu, siti.chat_id, "Halo")
    assert outcome.status == 500
    assert outcome.json() == {
        "ok": False,
        "error_code": 500,
        "description": "Internal Server Error",
    }
    assert siti.messages == []


async def test_502_is_the_front_ends_html_page_and_sends_nothing(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"502": 1.0})
    outcome = await send(emu, siti.chat_id, "Halo")
    assert (outcome.status, outcome.content_type) == (502, "text/html")
    assert "<title>502 Bad Gateway</title>" in outcome.body
    assert siti.messages == []


async def test_502_reaches_ptb_as_a_network_error(emu: BotApiEmulator, bot: Bot) -> None:
    emu.faults.enable(rates={"502": 1.0})
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_webhook_info()


async def test_429_reaches_ptb_as_retry_after(emu: BotApiEmulator, bot: Bot) -> None:
    emu.faults.enable(rates={"429": 1.0}, retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await bot.get_me()
    assert "Retry in 7 seconds" in str(raised.value)


async def test_reset_closes_the_connection_without_an_answer(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"reset": 1.0})
    outcome = await send(emu, siti.chat_id, "Halo")
    assert outcome.status is None
    assert isinstance(outcome.error, aiohttp.ClientConnectionError), outcome.error
    assert "reset" in str(outcome.error).lower() or "disconnected" in str(outcome.error).lower()
    assert siti.messages == [] and emu.faults.applied == []


async def test_timeout_applies_the_call_but_loses_its_answer(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"timeout": 1.0})
    outcome = await send(emu, siti.chat_id, "Laporan diterima")
    assert outcome.status is None
    assert isinstance(outcome.error, aiohttp.ClientConnectionError), outcome.error
    # Siti has the message; the bot was never told.
    [shown] = await siti.wait_for(1)
    assert shown.text == "Laporan diterima"
    [applied] = emu.faults.applied
    assert (applied.method, applied.chat_id, applied.message_id) == (
        "sendMessage",
        siti.chat_id,
        shown.message_id,
    )
    assert applied.answer_lost and emu.faults.answers_lost == [applied]


async def test_timeout_can_hold_the_answer_past_the_clients_patience(
    emu: BotApiEmulator,
) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"timeout": 1.0}, hold_seconds=1.0)
    started = time.monotonic()
    outcome = await send(emu, siti.chat_id, "Halo", give_up_after=0.3)
    assert isinstance(outcome.error, TimeoutError), outcome.error
    assert time.monotonic() - started < 0.9
    assert [m.text for m in siti.messages] == ["Halo"]
    assert emu.faults.answers_lost[0].message_id == siti.messages[0].message_id


async def test_a_held_answer_reaches_ptb_as_timed_out(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"timeout": 1.0}, hold_seconds=2.0, methods=["sendMessage"])
    async with Bot(emu.token, base_url=f"{emu.base_url}/bot") as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(siti.chat_id, "Halo", read_timeout=0.3)
    assert [m.text for m in siti.messages] == ["Halo"]


async def test_slow_answers_late_but_answers(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"slow": 1.0}, slow_seconds=0.4)
    started = time.monotonic()
    outcome = await send(emu, siti.chat_id, "Halo")
    assert outcome.status == 200 and outcome.json()["result"]["text"] == "Halo"
    assert time.monotonic() - started >= 0.4
    assert [m.text for m in siti.messages] == ["Halo"]
    assert not emu.faults.applied[0].answer_lost


async def test_a_client_that_gives_up_on_a_slow_answer_sends_nothing(
    emu: BotApiEmulator,
) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"slow": 1.0}, slow_seconds=0.6)
    outcome = await send(emu, siti.chat_id, "Halo", give_up_after=0.2)
    assert isinstance(outcome.error, TimeoutError)
    await asyncio.sleep(0.7)
    assert siti.messages == []
    assert [method for method, _ in emu.abandoned_calls] == ["sendMessage"]


async def test_rate_zero_injects_nothing_and_disable_stops_injecting(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rate=0.0)
    outcomes = [await send(emu, siti.chat_id, f"Pesan {n}") for n in range(20)]
    assert [o.status for o in outcomes] == [200] * 20
    emu.faults.enable(rates={"500": 1.0})
    assert (await send(emu, siti.chat_id, "x")).status == 500
    emu.faults.disable()
    assert (await send(emu, siti.chat_id, "y")).status == 200
    assert emu.faults.count() == 1 and len(siti.messages) == 21


async def statuses(emu: BotApiEmulator, chat_id: int, count: int) -> list[int | None]:
    return [(await send(emu, chat_id, f"#{n}")).status for n in range(count)]


async def test_a_seed_gives_the_same_faults_again_and_another_seed_others(
    emu: BotApiEmulator,
) -> None:
    siti = await known_user(emu)
    plan = FaultPlan.uniform(0.5, kinds=("500", "502"), seed=11)
    emu.faults.enable(plan)
    first = await statuses(emu, siti.chat_id, 30)
    emu.faults.enable(plan)
    assert await statuses(emu, siti.chat_id, 30) == first
    assert {500, 502, 200} <= set(first)
    emu.faults.enable(plan, seed=12)
    assert await statuses(emu, siti.chat_id, 30) != first


async def test_each_chat_meets_the_same_faults_however_the_chats_interleave(
    emu: BotApiEmulator,
) -> None:
    siti, budi = await known_user(emu), await known_user(emu)
    plan = FaultPlan.uniform(0.5, kinds=("500",), seed=5)
    emu.faults.enable(plan)
    alone = {chat: await statuses(emu, chat, 10) for chat in (siti.chat_id, budi.chat_id)}
    emu.faults.enable(plan)
    together: dict[int, list[int | None]] = {siti.chat_id: [], budi.chat_id: []}
    for n in range(10):
        for chat in (budi.chat_id, siti.chat_id):
            together[chat].append((await send(emu, chat, f"#{n}")).status)
    assert together == alone


async def test_counts_per_kind_and_method(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"502": 1.0})
    for _ in range(3):
        await send(emu, siti.chat_id, "x")
    await call(emu.base_url, emu.token, "getMe")
    emu.faults.enable(rates={"429": 1.0})
    await call(emu.base_url, emu.token, "getMe")
    assert emu.faults.counts() == {"502": {"sendMessage": 3, "getMe": 1}, "429": {"getMe": 1}}
    assert emu.faults.count("502") == 4
    assert emu.faults.count(method="getme") == 2
    emu.faults.reset()
    assert emu.faults.counts() == {} and emu.faults.applied == []


async def test_methods_allow_list_and_exemptions(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    emu.faults.enable(rates={"500": 1.0}, methods=["sendMessage"])
    assert (await call(emu.base_url, emu.token, "getMe")).status == 200
    assert (await send(emu, siti.chat_id, "x")).status == 500
    emu.faults.enable(rates={"500": 1.0}, exempt=["getUpdates"])
    polled = await call(emu.base_url, emu.token, "getUpdates", **{"timeout": 0})
    assert polled.status == 200
    assert (await call(emu.base_url, emu.token, "getMe")).status == 500


async def test_a_502_on_getupdates_loses_no_update(emu: BotApiEmulator) -> None:
    siti = emu.user(first_name="Siti")
    await siti.send("satu")
    emu.faults.enable(rates={"502": 1.0}, methods=["getUpdates"])
    failed = await call(emu.base_url, emu.token, "getUpdates", **{"timeout": 0})
    assert failed.status == 502
    emu.faults.disable()
    polled = await call(emu.base_url, emu.token, "getUpdates", **{"timeout": 0})
    assert [u["message"]["text"] for u in polled.json()["result"]] == ["satu"]


async def test_a_lost_getupdates_answer_hands_the_same_updates_out_again(
    emu: BotApiEmulator,
) -> None:
    siti = emu.user(first_name="Siti")
    await siti.send("satu")
    emu.faults.enable(rates={"timeout": 1.0}, methods=["getUpdates"])
    lost = await call(emu.base_url, emu.token, "getUpdates", **{"timeout": 0})
    assert lost.error is not None
    assert [(c.method, c.answer_lost) for c in emu.faults.applied] == [("getUpdates", True)]
    emu.faults.disable()
    again = await call(emu.base_url, emu.token, "getUpdates", **{"timeout": 0})
    assert [u["message"]["text"] for u in again.json()["result"]] == ["satu"]


async def control(
    base_url: str, method: str, path: str = "", body: Any = None
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{base_url}/_emulator/faults{path}", json=body) as response,
    ):
        return response.status, await response.json()


async def test_the_control_endpoint_switches_and_reports_faults(emu: BotApiEmulator) -> None:
    siti = await known_user(emu)
    status, report = await control(
        emu.base_url, "POST", body={"rates": {"timeout": 1.0}, "seed": 3, "exempt": ["getMe"]}
    )
    assert status == 200 and report["active"] and report["plan"]["seed"] == 3
    assert (await call(emu.base_url, emu.token, "getMe")).status == 200
    await send(emu, siti.chat_id, "Halo")
    status, report = await control(emu.base_url, "GET")
    assert report["injected"] == {"timeout": {"sendMessage": 1}}
    assert report["answers_lost"] == [
        {
            "method": "sendMessage",
            "chat_id": siti.chat_id,
            "message_id": siti.messages[0].message_id,
        }
    ]
    status, report = await control(emu.base_url, "DELETE")
    assert not report["active"] and report["applied"] == 1
    assert (await send(emu, siti.chat_id, "lagi")).status == 200
    status, report = await control(emu.base_url, "POST", "/reset")
    assert report["injected"] == {} and report["applied"] == 0
    status, report = await control(emu.base_url, "POST", body={"rates": {"418": 0.5}})
    assert status == 400 and "unknown fault kinds" in report["description"]


async def test_a_separate_process_emulator_takes_fault_flags_and_the_control_endpoint() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "--headless",
        "--port",
        "0",
        "--token",
        "7:xyz",
        "--faults",
        "502=1",
        "--fault-exempt",
        "getMe",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        base_url = line.removeprefix("Bot API emulator at ").strip()
        assert base_url.startswith("http://127.0.0.1:"), line
        assert (await call(base_url, "7:xyz", "getMe")).status == 200
        assert (await call(base_url, "7:xyz", "getWebhookInfo")).status == 502
        await control(base_url, "DELETE")
        assert (await call(base_url, "7:xyz", "getWebhookInfo")).status == 200
        _, report = await control(base_url, "GET")
        assert report["injected"] == {"502": {"getWebhookInfo": 1}}
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0


def test_plans_refuse_what_makes_no_sense() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultPlan({"503": 0.1})
    with pytest.raises(ValueError, match="more than 1"):
        FaultPlan({"500": 0.7, "502": 0.7})
    assert FaultPlan.parse("0.6").rates == pytest.approx(
        dict.fromkeys(FaultPlan.parse("0.6").rates, 0.1)
    )
    assert FaultPlan.parse("502=0.1, reset=0.05").rates == {"502": 0.1, "reset": 0.05}
