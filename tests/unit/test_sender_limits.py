"""The outbox sender that the composition root builds keeps to Telegram's limits as configured:
25 messages/s overall (a burst of 25, a wave's of 2), one per second per chat, 20 a minute per
group. Measured on the sender's own pacing in simulated time, so nothing here waits."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bot.app import app_data, build_application
from services.settings import Settings

TOKEN = "123456:TEST-token-for-limits-0000000000"


def _sender(tmp_path: Path) -> Any:
    settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, SIGAP_DATA_DIR=str(tmp_path))
    sender = app_data(build_application(settings)).require_scheduler().sender
    assert sender is not None
    return sender


def _pacing(tmp_path: Path) -> Any:
    return _sender(tmp_path).pacing


def test_the_built_sender_sends_25_messages_a_second_overall(tmp_path: Path) -> None:
    pacing = _pacing(tmp_path)
    assert pacing.overall_rate == pacing.target_rate == 25
    start = now = time.monotonic() + 1_000  # long idle: the bucket holds its whole burst
    sent = 0
    while True:
        now += pacing.overall_wait(now)
        if now - start >= 10:
            break
        pacing.take()
        sent += 1
    # 10 s at 25/s plus a second's worth at once from a quiet sender (notices of people who
    # act together); never Telegram's 30/s, whose bucket lets 30 pass at once.
    assert 274 <= sent <= 276, sent


def test_the_built_sender_keeps_one_per_second_per_chat_and_20_a_minute_per_group(
    tmp_path: Path,
) -> None:
    pacing = _pacing(tmp_path)
    now = time.monotonic() + 1_000
    pacing.record(42, now)
    assert pacing.chat_ready_at(42) == now + 1
    group = -1001
    for n in range(20):
        pacing.record(group, now + n * 1.0)
    assert pacing.chat_ready_at(group) == now + 60  # the 21st waits for the first to age


def _wave_in_ten_seconds(sender: Any, later: float) -> int:
    """How many rows of a digest wave the sender would start in 10 s of simulated time,
    ``later`` seconds from now (after what the previous wave left of its buckets)."""
    pacing = sender.pacing
    start = now = time.monotonic() + later
    sent = 0
    while True:
        now += max(pacing.overall_wait(now), sender._background_wait(now))
        if now - start >= 10:
            return sent
        pacing.take(background=True)
        sent += 1


def test_the_built_sender_gives_a_wave_what_the_replies_to_people_leave(tmp_path: Path) -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, SIGAP_DATA_DIR=str(tmp_path))
    data = app_data(build_application(settings))
    scheduler = data.require_scheduler()
    sender, metrics = scheduler.sender, scheduler.services.metrics
    assert _wave_in_ten_seconds(sender, 1_000) in range(250, 254)  # nobody writing: the whole 25/s
    for _ in range(40):  # the bot answering people: 40 calls in the last 2 s, 20/s
        metrics.bot_api_answered(200, client="replies")
        metrics.bot_api_answered(200, client="outbox")  # the sender's own do not count
    assert metrics.replies_per_second() == 20
    # 25/s less the replies' 20/s: 5/s (the burst of 2 aside), leaving Telegram's 30/s room.
    assert _wave_in_ten_seconds(sender, 2_000) in range(50, 54)
    for _ in range(40):  # replies beyond the whole rate: the wave still moves, at 3/s
        metrics.bot_api_answered(200, client="replies")
    assert _wave_in_ten_seconds(sender, 3_000) in range(30, 34)


def test_notices_between_people_go_before_the_actors_own_follow_ups_and_the_waves(
    tmp_path: Path,
) -> None:
    """A head's offer to log their move waits for the employee's and citizen's notices queued
    after it; a digest waits for both, whatever the order the rows were written in."""
    from collections import deque

    from models.outbox import QueuedMessage

    sender = _sender(tmp_path)

    def lane(row_id: int, kind: str) -> Any:
        return deque([QueuedMessage(row_id, f"k{row_id}", row_id, kind, {}, 0)])

    digest = sender._priority(lane(1, "digest"))
    offer = sender._priority(lane(2, "work_offer"))
    review = sender._priority(lane(3, "review"))
    later_offer = sender._priority(lane(4, "work_offer"))
    desk = sender._priority(lane(5, "desk"))
    assert review < desk < offer < later_offer < digest
