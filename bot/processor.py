"""Process updates of different chats concurrently while each chat's updates stay in order.

On a real network every Bot API call takes tens of milliseconds, so one-update-at-a-time caps a
bot at ~20 updates/s (perf-notes.md). PTB's own concurrency does not keep a chat's updates in
order, and a person's "description" must never be handled after their next answer. Each update
here waits for the previous update of the same chat and only then takes one of the bounded slots,
so a busy chat never occupies slots while it waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        # For each chat, the future that resolves when its newest queued update is done.
        self._tails: dict[int, asyncio.Future[None]] = {}

    # PTB marks this final and expects do_process_update to be overridden, but that runs after
    # the concurrency semaphore is taken, when the arrival order within a chat is already lost.
    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[misc]
        # PTB starts one task per update in arrival order and calls this before any await,
        # so registering in ``_tails`` here fixes the order within a chat.
        key = chat_key(update)
        if key is None:
            await super().process_update(update, coroutine)
            return
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)
            await super().process_update(update, coroutine)
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
