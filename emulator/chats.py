"""Server-side state of one chat: its messages, what the bot sent, who is waiting for it."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from emulator.messages import BotMessage

__all__ = ["ChatState"]


class ChatState:
    """Everything the emulator knows about one chat.

    Message ids are per chat and only grow. ``messages`` holds every message (the users' and
    the bot's, as Bot API dicts) for replies, edits and deletes; ``bot_messages`` holds the
    bot's live messages in order; ``sent_log``/``edit_log`` only grow and back ``wait_for``.
    """

    __slots__ = (
        "blocked",
        "bot_is_admin",
        "bot_messages",
        "chat",
        "chat_instance",
        "edit_log",
        "edit_mark",
        "errors",
        "id",
        "keyboard",
        "kicked",
        "known",
        "messages",
        "migrated_to",
        "next_message_id",
        "privacy_mode",
        "send_mark",
        "sent_log",
        "type",
        "username",
        "waiters",
    )

    def __init__(self, chat: dict[str, Any], *, known: bool) -> None:
        self.id: int = int(chat["id"])
        self.type: str = str(chat["type"])
        self.chat = chat
        self.username: str | None = chat.get("username")
        # chat_instance identifies "this chat as seen by this bot" in callback queries.
        self.chat_instance = str((self.id * 2654435761) % 10**19)
        self.messages: dict[int, dict[str, Any]] = {}
        self.bot_messages: dict[int, BotMessage] = {}
        self.sent_log: list[BotMessage] = []
        self.edit_log: list[BotMessage] = []
        self.send_mark = 0
        self.edit_mark = 0
        self.next_message_id = 1
        # A private chat becomes known to the bot when its user first writes; until then the
        # bot gets "chat not found", as it would on Telegram.
        self.known = known
        self.blocked = False
        self.kicked = False
        # A group upgraded to a supergroup: the new chat's id (see BotApiEmulator.upgrade_group).
        self.migrated_to: int | None = None
        self.privacy_mode = False
        self.bot_is_admin = False
        self.keyboard: dict[str, Any] | None = None
        self.waiters: list[asyncio.Future[None]] = []
        # Recent failed Bot API calls aimed at this chat, shown when a wait_for times out:
        # "the bot tried but got 400 can't parse entities" is the usual answer to "why no reply".
        self.errors: deque[str] = deque(maxlen=10)

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def mark_client_action(self) -> None:
        """A user acted here: later wait_for calls count only bot messages from now on."""
        self.send_mark = len(self.sent_log)
        self.edit_mark = len(self.edit_log)

    def notify(self) -> None:
        if self.waiters:
            waiters, self.waiters = self.waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
