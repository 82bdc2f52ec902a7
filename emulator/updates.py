"""The update queue (getUpdates long polling) and webhook delivery.

One queue serves both ways of receiving updates, as on Telegram: an update stays queued until
a getUpdates call confirms it with a higher ``offset`` or the webhook answers it with 2xx.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from emulator import errors
from emulator.errors import ApiError

__all__ = ["ALL_UPDATE_TYPES", "UpdateQueue", "Webhook"]

_log = logging.getLogger(__name__)

ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
# Without allowed_updates Telegram sends everything except these opt-in types.
DEFAULT_ALLOWED_UPDATES = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}


class UpdateQueue:
    """Pending updates in order; getUpdates and the webhook both drain it from the left."""

    def __init__(self) -> None:
        self._items: deque[dict[str, Any]] = deque()
        self._next_id = 1
        self.allowed: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        # At most one long poll can be parked; a second getUpdates bumps the generation so
        # the first one wakes up and answers 409, like Telegram does.
        self._poll_waiter: asyncio.Future[None] | None = None
        self._poll_generation = 0
        self._listener: asyncio.Future[None] | None = None
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update unless allowed_updates filters its type out (then it is lost)."""
        if kind not in self.allowed:
            return None
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._items.append(update)
        self._wake()
        return update

    def _wake(self) -> None:
        waiter = self._poll_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        listener = self._listener
        if listener is not None and not listener.done():
            listener.set_result(None)

    def set_allowed(self, values: Any) -> None:
        """Apply an ``allowed_updates`` parameter: ``None`` keeps the current setting, an empty
        list restores the default, anything else replaces it (affects future updates only)."""
        if values is None:
            return
        if not isinstance(values, list):
            return
        self.allowed = frozenset(str(v) for v in values) if values else DEFAULT_ALLOWED_UPDATES

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last ``-offset``."""
        items = self._items
        if offset > 0:
            while items and items[0]["update_id"] < offset:
                items.popleft()
        elif offset < 0:
            while len(items) > -offset:
                items.popleft()

    def peek(self, limit: int) -> list[dict[str, Any]]:
        return list(itertools.islice(self._items, limit))

    def first(self) -> dict[str, Any] | None:
        return self._items[0] if self._items else None

    def drop_first(self, update: dict[str, Any]) -> None:
        """Remove ``update`` if it is still first (it may have been dropped meanwhile)."""
        if self._items and self._items[0] is update:
            self._items.popleft()

    def drop_all(self) -> None:
        self._items.clear()

    def close(self) -> None:
        """Release every parked long poll (they answer with no updates) on shutdown."""
        self.closed = True
        self._poll_generation += 1
        self._wake()

    def interrupt_poll(self) -> None:
        """Wake a parked long poll so it re-checks its conditions (e.g. a webhook was set)."""
        self._wake()

    async def poll(
        self,
        offset: int,
        limit: int,
        wait_seconds: float,
        webhook_active: Callable[[], bool],
    ) -> list[dict[str, Any]]:
        self._poll_generation += 1
        generation = self._poll_generation
        previous = self._poll_waiter
        if previous is not None and not previous.done():
            previous.set_result(None)
        self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            if self.closed:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, errors.CONFLICT_POLLING)
            if webhook_active():
                raise ApiError(409, errors.CONFLICT_WEBHOOK)
            if self._items:
                return self.peek(limit)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            waiter: asyncio.Future[None] = loop.create_future()
            self._poll_waiter = waiter
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None

    async def wait_for_items(self) -> None:
        """Block until the queue is non-empty (used by the webhook sender)."""
        while not self._items:
            listener: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._listener = listener
            try:
                await listener
            finally:
                if self._listener is listener:
                    self._listener = None


@dataclass
class Webhook:
    """Webhook settings plus the task that POSTs queued updates to ``url`` in order."""

    queue: UpdateQueue
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    retry_delay: float = 0.05
    retry_max_delay: float = 2.0
    request_timeout: float = 10.0
    delivered: int = 0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def info(self) -> dict[str, Any]:
        """The getWebhookInfo result."""
        result: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue),
        }
        if self.url:
            result["max_connections"] = self.max_connections
            if self.ip_address:
                result["ip_address"] = self.ip_address
            if self.allowed_updates is not None:
                result["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            result["last_error_date"] = self.last_error_date
            result["last_error_message"] = self.last_error_message
        return result

    def activate(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._deliver_forever())

    async def deactivate(self) -> None:
        self.url = ""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _deliver_forever(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        delay = self.retry_delay
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while self.url:
                await self.queue.wait_for_items()
                update = self.queue.first()
                if update is None or not self.url:
                    continue
                problem = await self._post(session, update)
                if problem is None:
                    self.queue.drop_first(update)
                    self.delivered += 1
                    delay = self.retry_delay
                    continue
                self.last_error_date = int(time.time())
                self.last_error_message = problem
                _log.debug("webhook delivery to %s failed: %s", self.url, problem)
                # Telegram retries the same update, backing off, and never skips ahead: updates
                # stay in order.
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_delay)

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> str | None:
        headers = {}
        if self.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret_token
        try:
            async with session.post(self.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except (aiohttp.ClientError, OSError, ValueError) as error:
            # Whatever went wrong, the sender must live on and retry, as Telegram does.
            return f"Connection error: {error}"
