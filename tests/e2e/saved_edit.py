"""Waiting for the work log's confirmation, which arrives as an edit of the pressed summary."""

from __future__ import annotations

import asyncio
from typing import Any

from emulator.messages import BotMessage


async def wait_for_saved(
    person: Any,
    marker: str = "Tersimpan",
    timeout: float = 5.0,  # noqa: ASYNC109
) -> BotMessage:
    """The newest edit in ``person``'s chat that shows ``marker``: the summary edited into its
    confirmation. Earlier edits (the buttons taken off a question answered by typing, which
    may land just before) are passed over."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        edited: BotMessage = await person.wait_for_edit(timeout=max(0.0, deadline - loop.time()))
        if marker in edited.text:
            return edited
