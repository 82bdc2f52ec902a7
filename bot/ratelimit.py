"""The replies' rate limiter: groups held to Telegram's 20 messages a minute, a 429 waited out
and the call made again.

It does what PTB's ``AIORateLimiter(overall_max_rate=0, max_retries=3)`` did for Sigap, which
used nothing else of it, without its cost on every call: that one enters two context managers
and runs two coroutines more per call, and a call to a private chat (nearly all of them) needs
none of it. Here such a call is one check and the call itself.

As PTB's:
- a call whose ``chat_id`` is a negative number (or a string that is one) or a ``@username``
  counts towards that group's 20 a minute (``aiolimiter``'s leaky bucket, one per group, the
  idle ones dropped past 512 groups), whatever the method: an edit or a ``getChat`` in a group
  counts as a message there;
- a call with ``allow_paid_broadcast`` is not held to the group's limit (Sigap sends none);
- a ``RetryAfter`` (429) holds *every* call for its ``retry_after`` + 0.1 s, then the call is
  made again, up to ``max_retries`` times (a call's ``rate_limit_args``, when given, instead);
  after that the ``RetryAfter`` reaches the caller.
Unlike PTB's, a call that ends while another waits out a 429 does not release the waiting calls
early (PTB sets its event again after every call); the hold lasts until the latest 429's time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from scheduler.outbox import retry_after_seconds

log = logging.getLogger("sigap.ratelimit")

Result = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, Result]]

# Telegram's limit for a group (telegram.constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP).
GROUP_MAX_RATE, GROUP_TIME_PERIOD = 20, 60.0
# Past this many groups' buckets, the full (idle) ones are dropped, as PTB does.
_GROUPS_KEPT = 512
# Added to Telegram's retry_after, as PTB does.
_RETRY_MARGIN = 0.1


def group_of(chat_id: object) -> int | str | None:
    """The group a call counts towards (PTB's rule): a negative id, or a ``@username``."""
    if type(chat_id) is int:  # the fast path: a private chat's (positive) id
        return chat_id if chat_id < 0 else None
    if isinstance(chat_id, str | int | float):
        try:
            number = int(chat_id)
        except (ValueError, OverflowError):
            return chat_id if isinstance(chat_id, str) else None
        return number if number < 0 else None
    return None


class RateLimiter(BaseRateLimiter[int]):
    """For ``ApplicationBuilder.rate_limiter``; ``rate_limit_args``: a call's own number of
    retries after a 429."""

    def __init__(
        self,
        *,
        group_max_rate: float = GROUP_MAX_RATE,
        group_time_period: float = GROUP_TIME_PERIOD,
        max_retries: int = 0,
    ) -> None:
        # 0: groups are not held (tests whose sweeps answer in groups hundreds of times).
        self.group_max_rate = group_max_rate
        self._group_time_period = group_time_period
        self._max_retries = max_retries
        self._groups: dict[int | str, AsyncLimiter] = {}
        # Cleared while a 429 is waited out: every call waits for it. Set again by a timer at the
        # end of the latest 429's wait.
        self._open = asyncio.Event()
        self._open.set()
        self._reopen: asyncio.TimerHandle | None = None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        retries = rate_limit_args or self._max_retries
        group = group_of(data.get("chat_id"))
        if group is not None and (not self.group_max_rate or data.get("allow_paid_broadcast")):
            group = None
        attempt = 0
        while True:
            try:
                if group is None:
                    if not self._open.is_set():
                        await self._open.wait()
                    return await callback(*args, **kwargs)
                async with self._group(group):
                    if not self._open.is_set():
                        await self._open.wait()
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    log.exception("%s: rate limit hit after %d retries", endpoint, retries)
                    raise
                attempt += 1
                wait = retry_after_seconds(exc) + _RETRY_MARGIN
                log.info("%s: rate limit hit; trying again in %.1f s", endpoint, wait)
                self._hold(wait)
                await self._open.wait()

    def _hold(self, seconds: float) -> None:
        """Hold every call for ``seconds``, or longer if an earlier 429 holds them longer."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        if self._reopen is not None:
            if self._reopen.when() >= until:
                return
            self._reopen.cancel()
        self._open.clear()
        self._reopen = loop.call_at(until, self._release)

    def _release(self) -> None:
        self._reopen = None
        self._open.set()

    def _group(self, group: int | str) -> AsyncLimiter:
        limiter = self._groups.get(group)
        if limiter is not None:
            return limiter
        if len(self._groups) >= _GROUPS_KEPT:
            for key, idle in list(self._groups.items()):
                if idle.has_capacity(idle.max_rate):
                    del self._groups[key]
        limiter = self._groups[group] = AsyncLimiter(self.group_max_rate, self._group_time_period)
        return limiter
