"""Fixtures for the emulator's own tests: a running emulator and a PTB Bot pointed at it."""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from emulator import BotApiEmulator

TOKEN = "123456:TEST-token"


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _request() -> HTTPXRequest:
    # Every httpx client loads the CA bundle (~50 ms) unless handed a ready SSL context; the
    # emulator speaks plain HTTP, so one shared context keeps each test's setup cheap.
    return HTTPXRequest(httpx_kwargs={"verify": _ssl_context()})


def _bot_for(emu: BotApiEmulator, token: str | None = None) -> Bot:
    return Bot(
        token or emu.token,
        base_url=f"{emu.base_url}/bot",
        base_file_url=f"{emu.base_url}/file/bot",
        request=_request(),
        get_updates_request=_request(),
    )


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(token=TOKEN, bot_username="sigap_test_bot", bot_first_name="Sigap")
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with _bot_for(emu) as client:
        yield client


@pytest.fixture
def make_bot(emu: BotApiEmulator) -> Callable[..., Bot]:
    """Another (not yet initialised) Bot on the same emulator, e.g. a second instance."""
    return lambda token=None: _bot_for(emu, token)
