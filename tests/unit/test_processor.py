"""The update processor: different chats at once, one chat strictly in order, bounded."""

from __future__ import annotations

import asyncio
import random

from telegram import Chat, Message, Update, User

from bot.processor import ChatOrderedProcessor


def _update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "x", False)
    chat = Chat(chat_id, "private")
    return Update(update_id, message=Message(update_id, None, chat, from_user=user, text="t"))  # type: ignore[arg-type]


async def test_chats_run_concurrently_but_each_chat_in_order() -> None:
    processor = ChatOrderedProcessor(max_concurrent_updates=4)
    rng = random.Random(7)
    seen: dict[int, list[int]] = {}
    running = 0
    peak = 0

    async def handle(update: Update) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        # Random durations would reorder a chat's updates if nothing kept them in order.
        await asyncio.sleep(rng.random() / 200)
        seen.setdefault(update.effective_chat.id, []).append(update.update_id)  # type: ignore[union-attr]
        running -= 1

    updates = [_update(i, chat_id=rng.choice([1, 2, 3, 4, 5, 6])) for i in range(300)]
    # PTB starts one task per update, in arrival order.
    tasks = [asyncio.create_task(processor.process_update(u, handle(u))) for u in updates]
    await asyncio.gather(*tasks)

    for chat_id, ids in seen.items():
        assert ids == sorted(ids), f"chat {chat_id} out of order"
    assert sum(map(len, seen.values())) == 300
    assert peak == 4  # concurrent across chats, never above the bound


async def test_a_failing_update_does_not_block_the_chat() -> None:
    processor = ChatOrderedProcessor(max_concurrent_updates=2)
    done: list[int] = []

    async def boom() -> None:
        raise RuntimeError("handler bug")

    async def ok(i: int) -> None:
        done.append(i)

    first = asyncio.create_task(processor.process_update(_update(1, 9), boom()))
    second = asyncio.create_task(processor.process_update(_update(2, 9), ok(2)))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert done == [2]
