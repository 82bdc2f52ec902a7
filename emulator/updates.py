"""The update queue (getUpdates long polling) and webhook delivery.

One queue serves both ways of receiving updates, as on Telegram: an update stays queued until
a getUpdates call confirms it with a higher ``offset`` or the webhook answers it with 2xx.

Webhook delivery follows the Bot API server (tdlib/telegram-bot-api, ``WebhookActor``): updates
are sorted into one delivery queue per chat; each queue has at most one update in flight and
sends its next one only after a 2xx, so a chat's updates arrive in order, while different chats
go out in parallel over up to ``max_connections`` connections. A failed update (not 2xx, refused
or dropped connection, time-out) is retried with a doubling delay, or after the response's
``Retry-After``, and never skipped. At most ``2 * max_connections`` updates are loaded at a time,
in update order: a chat whose updates keep failing ends up holding back every other chat.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict, deque
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
    """Pending updates in update_id order; getUpdates confirms them from the front, the webhook
    acknowledges them one by one."""

    def __init__(self) -> None:
        self._items: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._next_id = 1
        self.allowed: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        # At most one long poll can be parked; a second getUpdates bumps the generation so
        # the first one wakes up and answers 409, like Telegram does.
        self._poll_waiter: asyncio.Future[None] | None = None
        self._poll_generation = 0
        # The webhook's hooks: told of every new update and of drop_pending_updates.
        self.on_push: Callable[[dict[str, Any]], None] | None = None
        self.on_drop: Callable[[], None] | None = None
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._items

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update unless allowed_updates filters its type out (then it is lost)."""
        if kind not in self.allowed:
            return None
        update_id = self._next_id
        self._next_id += 1
        update: dict[str, Any] = {"update_id": update_id, kind: payload}
        self._items[update_id] = update
        self._wake()
        if self.on_push is not None:
            self.on_push(update)
        return update

    def _wake(self) -> None:
        waiter = self._poll_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

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
            while items and next(iter(items)) < offset:
                items.popitem(last=False)
        elif offset < 0:
            while len(items) > -offset:
                items.popitem(last=False)

    def acknowledge(self, update_id: int) -> None:
        """The webhook answered this update with 2xx."""
        self._items.pop(update_id, None)

    def peek(self, limit: int) -> list[dict[str, Any]]:
        return list(itertools.islice(self._items.values(), limit))

    def pending(self) -> list[dict[str, Any]]:
        return list(self._items.values())

    def drop_all(self) -> None:
        self._items.clear()
        if self.on_drop is not None:
            self.on_drop()

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


def delivery_key(update: dict[str, Any]) -> int | str:
    """The delivery queue of an update: its chat (or, without one, its sender); updates that
    belong to nobody get a queue of their own."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        message = payload.get("message") if kind == "callback_query" else payload
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return int(message["chat"]["id"])
        sender = payload.get("from") or payload.get("user")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
    return f"update-{update['update_id']}"


@dataclass
class Delivery:
    """One POST of an update to the webhook, as recorded in ``Webhook.deliveries``."""

    update_id: int
    error: str | None  # None: answered 2xx


@dataclass
class Webhook:
    """Webhook settings plus the workers that POST queued updates to ``url``."""

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
    # Seconds added before each POST (the emulator's ``latency``: the network both ways).
    latency: Callable[[], float] = lambda: 0.0
    # Every POST and its outcome, oldest first (tests read redeliveries from it), kept while
    # ``record()`` says so (the emulator's ``record_calls``).
    deliveries: list[Delivery] = field(default_factory=list)
    record: Callable[[], bool] = lambda: True
    _workers: list[asyncio.Task[None]] = field(default_factory=list, repr=False)
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)
    _ready: asyncio.Queue[int | str] | None = field(default=None, repr=False)
    # Updates not yet loaded, in order; loaded ones per delivery queue (the first is in flight
    # or waiting for its retry); failures so far per update.
    _fresh: deque[dict[str, Any]] = field(default_factory=deque, repr=False)
    _chats: dict[int | str, deque[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _loaded: int = 0
    _failures: dict[int, int] = field(default_factory=dict, repr=False)
    _timers: set[asyncio.TimerHandle] = field(default_factory=set, repr=False)

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

    @property
    def active(self) -> bool:
        return bool(self._workers)

    def activate(self) -> None:
        """Start delivering every pending update (and every new one) to ``url``."""
        if self._workers:
            return
        self._ready = asyncio.Queue()
        self._fresh = deque(self.queue.pending())
        self._chats.clear()
        self._loaded = 0
        self._failures.clear()
        self.queue.on_push = self._on_push
        self.queue.on_drop = self._on_drop
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            connector=aiohttp.TCPConnector(limit=self.max_connections),
        )
        loop = asyncio.get_running_loop()
        self._workers = [
            loop.create_task(self._work(), name=f"emulator-webhook-{n}")
            for n in range(self.max_connections)
        ]
        self._load()

    async def stop_delivery(self) -> None:
        """Stop the workers; updates in flight stay pending and are sent again later."""
        workers, self._workers = self._workers, []
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self.queue.on_push = self.queue.on_drop = None
        for task in workers:
            task.cancel()
        for task in workers:
            try:
                await task
            except asyncio.CancelledError:
                pass
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        self._chats.clear()
        self._fresh.clear()
        self._loaded = 0

    async def deactivate(self) -> None:
        self.url = ""
        await self.stop_delivery()

    def _on_push(self, update: dict[str, Any]) -> None:
        self._fresh.append(update)
        self._load()

    def _on_drop(self) -> None:
        # drop_pending_updates: what is in flight still completes, nothing else goes out.
        self._fresh.clear()
        for key in list(self._chats):
            self._chats[key] = deque(itertools.islice(self._chats[key], 1))
        self._loaded = len(self._chats)

    def _load(self) -> None:
        """Move updates, in order, into their delivery queues, up to 2 x max_connections."""
        limit = 2 * self.max_connections
        ready = self._ready
        assert ready is not None
        while self._loaded < limit and self._fresh:
            update = self._fresh.popleft()
            if update["update_id"] not in self.queue:
                continue
            key = delivery_key(update)
            waiting = self._chats.get(key)
            if waiting is None:
                waiting = self._chats[key] = deque()
                ready.put_nowait(key)
            waiting.append(update)
            self._loaded += 1

    async def _work(self) -> None:
        ready = self._ready
        assert ready is not None and self._session is not None
        while True:
            key = await ready.get()
            waiting = self._chats.get(key)
            if not waiting:
                continue
            update = waiting[0]
            update_id = update["update_id"]
            if update_id not in self.queue:  # dropped meanwhile
                self._next_of(key)
                continue
            problem, retry_after = await self._post(self._session, update)
            if self.record():
                self.deliveries.append(Delivery(update_id, problem))
            if problem is None:
                self.queue.acknowledge(update_id)
                self.delivered += 1
                self._next_of(key)
                continue
            self.last_error_date = int(time.time())
            self.last_error_message = problem
            _log.debug("webhook delivery of %s to %s failed: %s", update_id, self.url, problem)
            failures = self._failures.get(update_id, 0) + 1
            self._failures[update_id] = failures
            delay = min(self.retry_delay * 2 ** (failures - 1), self.retry_max_delay)
            if retry_after is not None:
                delay = min(float(retry_after), 3600.0)
            # The same update again after the delay, never the next one of this chat before it;
            # the connection serves other chats meanwhile.
            self._retry_later(key, delay)

    def _retry_later(self, key: int | str, delay: float) -> None:
        def due() -> None:
            self._timers.discard(timer)
            if self._ready is not None:
                self._ready.put_nowait(key)

        timer = asyncio.get_running_loop().call_later(delay, due)
        self._timers.add(timer)

    def _next_of(self, key: int | str) -> None:
        waiting = self._chats[key]
        done = waiting.popleft()
        self._failures.pop(done["update_id"], None)
        self._loaded -= 1
        if waiting:
            assert self._ready is not None
            self._ready.put_nowait(key)
        else:
            del self._chats[key]
        self._load()

    async def _post(
        self, session: aiohttp.ClientSession, update: dict[str, Any]
    ) -> tuple[str | None, int | None]:
        headers = {}
        if self.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret_token
        delay = self.latency()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            async with session.post(self.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None, None
                retry_after = response.headers.get("Retry-After", "")
                return (
                    f"Wrong response from the webhook: {response.status} {response.reason}",
                    int(retry_after) if retry_after.isdigit() else None,
                )
        except TimeoutError:
            return "Read timeout expired", None
        except aiohttp.ClientConnectorError:
            return "Connection refused", None
        except aiohttp.ServerDisconnectedError:
            # The process behind the webhook died (or closed) before answering.
            return "Webhook connection closed", None
        except (aiohttp.ClientError, OSError, ValueError) as error:
            # Whatever went wrong, the sender must live on and retry, as Telegram does.
            return f"Connection error: {error}", None
