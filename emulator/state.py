"""The emulator's world: the bot, its chats and their messages, the update queue, the files, the
conditions a test sets (latency, flood limits, faults) and the records a test reads.

:class:`EmulatorState` is the bottom layer of :class:`~emulator.core.BotApiEmulator`: the
people side (:mod:`emulator.people`) and the Bot API methods (:mod:`emulator.methods`) both
work on it. Its underscore members are that shared, package-internal API; tests use the
public ones.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from emulator import errors
from emulator.chats import ChatState
from emulator.client import ChatView, EmulatedGroup, EmulatedUser
from emulator.errors import ApiError, bad_request, forbidden
from emulator.faults import Faults
from emulator.files import FileStore
from emulator.flood import FloodControl
from emulator.messages import BotMessage
from emulator.params import Params
from emulator.updates import UpdateQueue, Webhook

__all__ = ["EmulatorState", "MethodHandler", "PendingQuery", "inline_buttons", "reply_snapshot"]

CommandsKey = tuple[str, int | None, int | None, str]


@dataclass(slots=True)
class PendingQuery:
    """A button press the bot has not answered yet; the answer goes to the presser's list."""

    user_id: int
    answers: list[dict[str, Any]]
    created: float
    answered: bool = False


def inline_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def reply_snapshot(message: dict[str, Any]) -> dict[str, Any]:
    # A replied-to message is embedded one level deep only, as Telegram does.
    return {key: value for key, value in message.items() if key != "reply_to_message"}


class EmulatorState:
    """Everything the emulator knows; see :class:`~emulator.core.BotApiEmulator` for use."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "sigap_test_bot",
        bot_first_name: str = "Sigap",
        *,
        latency: float = 0.0,
        flood_limits: bool = False,
        flood_chat_burst: int = 3,
        record_calls: bool = True,
        callback_query_timeout: float = 15.0,
        webhook_retry_delay: float = 0.05,
        webhook_retry_max_delay: float = 2.0,
        faults: Faults | None = None,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.latency = latency
        self.record_calls = record_calls
        self.callback_query_timeout = callback_query_timeout
        # The clock behind flood limits and callback-query expiry; tests may replace it to
        # move time without sleeping.
        self.clock: Callable[[], float] = time.monotonic
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.faults = faults if faults is not None else Faults()

        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent_count = 0
        self.count_429 = 0
        self.files = FileStore(self.bot_id)

        self._flood = FloodControl(chat_burst=flood_chat_burst)
        self._flood_limits = flood_limits
        self._queue = UpdateQueue()
        self._webhook = Webhook(
            self._queue,
            retry_delay=webhook_retry_delay,
            retry_max_delay=webhook_retry_max_delay,
            latency=lambda: self.latency,
            record=lambda: self.record_calls,
        )
        self._chats: dict[int, ChatState] = {}
        self._chats_by_username: dict[str, ChatState] = {}
        self._users: dict[int, EmulatedUser] = {}
        self._groups: dict[int, EmulatedGroup] = {}
        self._next_user_id = 700_000_001
        self._next_group_number = 1
        self._next_query_id = 4_567_890_123_456_789_000
        self._queries: dict[str, PendingQuery] = {}
        self._commands: dict[CommandsKey, list[dict[str, str]]] = {}
        self._idle_waiters: list[tuple[int, asyncio.Future[None]]] = []
        # slow_down(): per chat, the added seconds and the methods they apply to (empty: all).
        self._slow_chats: dict[int, tuple[float, frozenset[str]]] = {}
        self.abandoned_calls: list[tuple[str, dict[str, Any]]] = []
        self._warned_methods: set[str] = set()  # unknown methods, logged once each
        # Called with a chat id whenever something in that chat changes (a message from either
        # side, an edit, a delete, a callback answer to that user): the sandbox's live page.
        self.listeners: list[Callable[[int], None]] = []

    @property
    def flood_limits(self) -> bool:
        return self._flood_limits

    @flood_limits.setter
    def flood_limits(self, value: bool) -> None:
        # Fresh buckets on every switch so earlier traffic does not count against the new run.
        self._flood_limits = value
        self._flood.reset()

    @property
    def flood_chat_burst(self) -> int:
        return self._flood.chat_burst

    @flood_chat_burst.setter
    def flood_chat_burst(self, value: int) -> None:
        self._flood.chat_burst = value
        self._flood.reset()

    @property
    def pending_update_count(self) -> int:
        return len(self._queue)

    def _changed(self, chat_id: int) -> None:
        """Something in this chat changed (a message, an edit, an answer to a press): wake the
        tests waiting on it, which check again what they wait for, and tell the listeners."""
        state = self._chats.get(chat_id)
        if state is not None:
            state.notify()
        for listener in self.listeners:
            listener(chat_id)

    def _state_of(self, chat: ChatView | int) -> ChatState:
        if isinstance(chat, ChatView):
            return chat._state
        state = self._chats.get(int(chat))
        if state is None:
            raise LookupError(f"no chat with id {chat}")
        return state

    # -- what the Bot API methods share ---------------------------------------------------------

    def _lookup_chat(self, params: Params) -> ChatState:
        value = params.raw.get("chat_id")
        if value is None or value == "":
            raise bad_request(errors.CHAT_ID_EMPTY)
        state: ChatState | None
        if isinstance(value, str) and value.startswith("@"):
            state = self._chats_by_username.get(value[1:].lower())
        else:
            chat_id = params.get_int("chat_id")
            state = self._chats.get(chat_id) if chat_id is not None else None
        if state is None or not state.known:
            raise bad_request(errors.CHAT_NOT_FOUND)
        return state

    def _writable_chat(
        self, params: Params, *, blocked_ok: bool = False, edit: bool = False
    ) -> ChatState:
        """The chat a method acts on. ``edit``: editing or deleting existing messages, which
        an upgraded group still allows (its messages stay there); sending does not."""
        state = self._lookup_chat(params)
        if state.migrated_to is not None and not edit:
            raise ApiError(
                400,
                f"Bad Request: {errors.GROUP_UPGRADED}",
                {"migrate_to_chat_id": state.migrated_to},
            )
        if state.kicked:
            kind = "supergroup" if state.type == "supergroup" else "group"
            raise forbidden(f"bot was kicked from the {kind} chat")
        if state.blocked and not blocked_ok:
            raise forbidden(errors.BLOCKED)
        return state

    def _check_flood(self, state: ChatState, *, overall: bool = True) -> None:
        """A 429 if the call is over Telegram's limits; ``overall=False`` for an edit, which
        counts against its chat's limits only (emulator/flood.py)."""
        if not self._flood_limits:
            return
        retry_after = self._flood.check(state.id, state.is_group, self.clock(), overall=overall)
        if retry_after:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def _mention_user(self, user_id: int) -> dict[str, Any]:
        known = self._users.get(user_id)
        if known is not None:
            return dict(known.user)
        return {"id": user_id, "is_bot": False, "first_name": ""}

    def _note_chat_error(self, params: dict[str, Any], method: str, error: ApiError) -> None:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self._chats:
            self._chats[chat_id].errors.append(f"{method}: {error.description}")

    def _store_bot_message(
        self,
        state: ChatState,
        content: dict[str, Any],
        markup: dict[str, Any] | None,
        reply: dict[str, Any] | None,
        source_text: str | None,
        parse_mode: str | None,
    ) -> BotMessage:
        message_id = state.take_message_id()
        raw: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": state.chat,
            "date": int(time.time()),
        }
        if reply is not None:
            raw["reply_to_message"] = reply
        raw.update(content)
        if markup is not None:
            # Telegram only echoes inline keyboards back in the Message object.
            if "inline_keyboard" in markup:
                raw["reply_markup"] = markup
            elif "keyboard" in markup:
                state.keyboard = markup
            elif markup.get("remove_keyboard"):
                state.keyboard = None
        state.messages[message_id] = raw
        message = BotMessage(raw, source_text, parse_mode, markup)
        state.bot_messages[message_id] = message
        state.sent_log.append(message.snapshot())
        self.sent_count += 1
        self._changed(state.id)
        if self._idle_waiters:
            for threshold, waiter in self._idle_waiters:
                if self.sent_count >= threshold and not waiter.done():
                    waiter.set_result(None)
        return message

    def _store_edit(
        self,
        state: ChatState,
        raw: dict[str, Any],
        changes: dict[str, Any],
        drop: tuple[str, ...],
        markup: dict[str, Any] | None,
        source_text: str | None,
        parse_mode: str | None,
    ) -> dict[str, Any]:
        # A new dict, not an in-place change: updates already queued keep their snapshot.
        edited = {key: value for key, value in raw.items() if key not in drop}
        edited.update(changes)
        if markup is not None:
            edited["reply_markup"] = markup
        edited["edit_date"] = int(time.time())
        message_id = int(raw["message_id"])
        state.messages[message_id] = edited
        message = state.bot_messages.get(message_id)
        if message is not None:
            if message.history is None:
                message.history = []
            message.history.append(message.raw)
            message.raw = edited
            message.edit_count += 1
            if source_text is not None:
                message.source_text = source_text
                message.parse_mode = parse_mode
            message.sent_markup = markup
            state.edit_log.append(message.snapshot())
            self._changed(state.id)
        return edited


# A Bot API method: reads the request's parameters, acts on the state, returns the ``result``
# (or a :class:`~emulator.params.Described` one) or raises :class:`~emulator.errors.ApiError`.
MethodHandler = Callable[[EmulatorState, Params], Awaitable[object]]
