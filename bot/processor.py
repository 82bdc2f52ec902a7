"""Process updates of different chats concurrently while each chat's updates stay in order.

On a real network every Bot API call takes tens of milliseconds, so one-update-at-a-time caps a
bot at ~20 updates/s (perf-notes.md). PTB's own concurrency does not keep a chat's updates in
order, and a person's "description" must never be handled after their next answer. Each update
here waits for the previous update of the same chat and only then takes one of the bounded slots,
so a busy chat never occupies slots while it waits.

Each update is handled inside an ``UpdateScope`` (``services.metrics``): every log line written
meanwhile carries its id and chat, and its kind, outcome and time are counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.leadership import ChatLocks
from services.metrics import Metrics, UpdateScope, current_update

# How many chats' log references are kept (a few hundred kB at most).
_REFS_KEPT = 10_000
_KINDS = ("message", "edited_message", "callback_query", "my_chat_member")


def chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    return next((k for k in _KINDS if getattr(update, k) is not None), "other")


def chat_ref(update: object, key: bytes) -> int | str | None:
    """The chat as the log may name it: a group's id as is; a private chat, whose id is the
    person's Telegram id (security.md: never in the log), as a pseudonym that is the same for
    every line and every update of that chat, and that only the holder of ``key`` (derived
    from the bot token) can link back to the person."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return None
    chat = update.effective_chat
    if chat.type != "private":
        return chat.id
    digest = hmac.new(key, str(chat.id).encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:12]}"


def log_key(token: str) -> bytes:
    return hashlib.sha256(b"sigap-log-chat:" + token.encode()).digest()


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int,
        metrics: Metrics | None = None,
        key: bytes = b"",
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._metrics = metrics
        self._key = key
        # Private chats' pseudonyms (an HMAC each), kept: a chat sends several updates in a row.
        self._refs: dict[int, int | str | None] = {}
        # For each chat, the future that resolves when its newest queued update is done.
        self._tails: dict[int, asyncio.Future[None]] = {}
        # Several webhook receivers on one database (bot.webhook): a chat is also held against
        # the other processes while its update is handled here.
        self.chat_locks: ChatLocks | None = None

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
            if self.chat_locks is None:
                await super().process_update(update, coroutine)
            else:
                await self._process_held(key, update, coroutine)
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def _process_held(self, chat: int, update: object, coroutine: Awaitable[Any]) -> None:
        assert self.chat_locks is not None
        started = False
        try:
            async with self.chat_locks.hold(chat):
                started = True
                await super().process_update(update, coroutine)
        finally:
            if not started and hasattr(coroutine, "close"):
                coroutine.close()  # the lock could not be had: the update is not handled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        scope = UpdateScope(update.update_id, self._chat_ref(update), update_kind(update))
        token = current_update.set(scope)
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            current_update.reset(token)
            if self._metrics is not None:
                self._metrics.update_handled(
                    scope.kind, failed=scope.failed, seconds=time.perf_counter() - started
                )

    def _chat_ref(self, update: Update) -> int | str | None:
        chat = update.effective_chat
        if chat is None:
            return None
        if chat.id in self._refs:
            return self._refs[chat.id]
        if len(self._refs) >= _REFS_KEPT:
            self._refs.clear()
        ref = self._refs[chat.id] = chat_ref(update, self._key)
        return ref

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
