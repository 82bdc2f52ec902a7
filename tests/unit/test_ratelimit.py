"""The replies' rate limiter (bot.ratelimit): what PTB's AIORateLimiter did for Sigap."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import RateLimiter, group_of

# PTB itself warns when it builds a RetryAfter (its retry_after is becoming a timedelta).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class Telegram:
    """A callback as ExtBot passes one: records each call's loop time, answers from a script."""

    def __init__(self, *answers: Exception | None) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, float]] = []

    async def __call__(self, endpoint: str, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls.append((endpoint, asyncio.get_running_loop().time()))
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        return {"ok": endpoint}


async def call(
    limiter: RateLimiter,
    telegram: Telegram,
    data: dict[str, Any],
    endpoint: str = "sendMessage",
    retries: int | None = None,
) -> Any:
    return await limiter.process_request(
        telegram, (endpoint, data), {}, endpoint=endpoint, data=data, rate_limit_args=retries
    )


def test_groups_are_negative_ids_and_usernames_as_ptb_counts_them() -> None:
    assert group_of(42) is None
    assert group_of(-100123) == -100123
    assert group_of("-100123") == -100123
    assert group_of("42") is None
    assert group_of("@desk") == "@desk"
    assert group_of(None) is None


async def test_a_private_chat_is_called_at_once_and_never_held() -> None:
    limiter = RateLimiter(group_max_rate=1, group_time_period=60, max_retries=3)
    telegram = Telegram()
    for _ in range(5):
        assert await call(limiter, telegram, {"chat_id": 42, "text": "x"}) == {"ok": "sendMessage"}
    assert len(telegram.calls) == 5
    assert limiter._groups == {}  # no bucket for a private chat


async def test_a_group_is_held_to_its_rate_whatever_the_method() -> None:
    limiter = RateLimiter(group_max_rate=2, group_time_period=0.4)
    telegram = Telegram()
    await asyncio.gather(
        call(limiter, telegram, {"chat_id": -5}),
        call(limiter, telegram, {"chat_id": -5}, endpoint="editMessageText"),
        call(limiter, telegram, {"chat_id": -5}),
        # Another group and a private chat are not held by this one.
        call(limiter, telegram, {"chat_id": -6}),
        call(limiter, telegram, {"chat_id": 7}),
    )
    times = [t for _, t in telegram.calls]
    assert len(times) == 5
    # Two at once, the third once the bucket has leaked one (0.2 s); the others meanwhile.
    assert times[-1] - times[0] >= 0.15
    assert all(t - times[0] < 0.15 for t in times[:-1])


async def test_without_a_group_rate_groups_are_not_held() -> None:
    limiter = RateLimiter(group_max_rate=1, group_time_period=60)
    limiter.group_max_rate = 0  # as the sweeps of the e2e tests set it
    telegram = Telegram()
    await asyncio.gather(*(call(limiter, telegram, {"chat_id": -5}) for _ in range(3)))
    assert len(telegram.calls) == 3


async def test_paid_broadcasts_are_not_held_to_the_group_rate() -> None:
    limiter = RateLimiter(group_max_rate=1, group_time_period=60)
    telegram = Telegram()
    data = {"chat_id": -5, "allow_paid_broadcast": True}
    await asyncio.wait_for(asyncio.gather(*(call(limiter, telegram, data) for _ in range(3))), 5)
    assert len(telegram.calls) == 3


async def test_a_429_is_waited_out_and_the_call_made_again() -> None:
    limiter = RateLimiter(max_retries=3)
    telegram = Telegram(RetryAfter(0), RetryAfter(0))
    assert await call(limiter, telegram, {"chat_id": 42}) == {"ok": "sendMessage"}
    times = [t for _, t in telegram.calls]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.09 and times[2] - times[1] >= 0.09  # retry_after + 0.1 s


async def test_after_its_retries_the_429_reaches_the_caller() -> None:
    limiter = RateLimiter(max_retries=1)
    telegram = Telegram(RetryAfter(0), RetryAfter(0), RetryAfter(0))
    with pytest.raises(RetryAfter):
        await call(limiter, telegram, {"chat_id": 42})
    assert len(telegram.calls) == 2
    # A call's own rate_limit_args: retries for that call.
    telegram = Telegram(RetryAfter(0), RetryAfter(0))
    assert await call(limiter, telegram, {"chat_id": 42}, retries=2) == {"ok": "sendMessage"}
    assert len(telegram.calls) == 3


async def test_a_429_holds_every_call_until_it_is_waited_out() -> None:
    limiter = RateLimiter(max_retries=3)
    refused = Telegram(RetryAfter(0))
    others = Telegram()
    first = asyncio.create_task(call(limiter, refused, {"chat_id": 1}))
    await asyncio.sleep(0.01)  # refused, now waiting 0.1 s
    await asyncio.gather(call(limiter, others, {"chat_id": 2}), call(limiter, others, {}))
    await first
    start = refused.calls[0][1]
    assert all(t - start >= 0.09 for _, t in others.calls)
