"""The Bot API emulator: an aiohttp server speaking the Bot API, plus the users' side.

Tests, the benchmark and the sandbox all drive the real python-telegram-bot Application over
HTTP against this server, so what matters here is that every answer has the shape, the error
wording and the HTTP status of api.telegram.org. The hot path (getUpdates/sendMessage) does
O(1) work per call: chats and messages are dicts keyed by id, updates sit in a deque.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiohttp import BodyPartReader, web

from emulator import errors
from emulator.chats import ChatState
from emulator.client import ChatView, EmulatedGroup, EmulatedUser, MessageRef, message_id_of
from emulator.errors import ApiError, bad_request, forbidden
from emulator.files import FileStore, StoredFile
from emulator.flood import FloodControl
from emulator.messages import BotMessage
from emulator.textparse import (
    EmptyTextError,
    EntityParseError,
    FormattedText,
    checked_link,
    parse_text,
    utf16_len,
    utf16_slice,
)
from emulator.updates import Delivery, UpdateQueue, Webhook

__all__ = ["BotApiEmulator", "UploadedFile"]

_log = logging.getLogger("emulator")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files on the cloud Bot API

# String parameters that are never JSON-decoded: they are text even when they look like
# numbers ("123" as a message text must stay a string).
_TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "url",
        "secret_token",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "parse_mode",
        "caption_parse_mode",
        "action",
        "language_code",
        "title",
        "description",
        "short_description",
        "name",
        "emoji",
        "phone_number",
        "first_name",
        "last_name",
        "ip_address",
        "question",
        "business_connection_id",
    }
)
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]+")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")
_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Real Bot API methods that only change settings the emulator does not model. They answer
# ``true`` (and are recorded in ``calls``) so a bot's post_init does not crash on them;
# anything else unknown gets Telegram's 404.
_ACCEPTED_SETTERS = (
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
    "setMessageReaction",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "leaveChat",
    "logOut",
    "close",
)


class UploadedFile(NamedTuple):
    """A file part of a multipart request, as recorded in :attr:`BotApiEmulator.calls`."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass(slots=True)
class _Described:
    """A successful result that Telegram accompanies with a description ("Webhook was set")."""

    result: Any
    description: str


@dataclass(slots=True)
class _PendingQuery:
    user: EmulatedUser
    created: float
    answered: bool = False


def _decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Form values arrive as strings with nested objects JSON-encoded (that is how PTB and the
    Bot API spec send them); decode them once so handlers see the same types as with a JSON
    body."""
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in _TEXT_PARAMS and value:
            first = value[0]
            if first in "{[" or first == "-" or first.isdigit() or value in ("true", "false"):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
        decoded[key] = value
    return decoded


class Params:
    """Typed, forgiving access to one request's parameters."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def get_str(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or isinstance(value, UploadedFile):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str) -> int | None:
        value = self.raw.get(name)
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                return None
        return None

    def get_float(self, name: str) -> float | None:
        value = self.raw.get(name)
        if isinstance(value, bool) or value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return number if math.isfinite(number) else None

    def get_bool(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, error: str) -> Any:
        """A JSON-typed parameter (object/array); ``error`` is the 400 for unparsable input."""
        value = self.raw.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value


_Handler = Callable[[Params], Awaitable[Any]]


def _inline_buttons(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        yield from row


def _reply_snapshot(message: dict[str, Any]) -> dict[str, Any]:
    # A replied-to message is embedded one level deep only, as Telegram does.
    return {key: value for key, value in message.items() if key != "reply_to_message"}


class BotApiEmulator:
    """An in-process Telegram Bot API server plus the users and groups that talk to the bot.

    Point PTB at it with ``base_url=f"{emu.base_url}/bot"`` and
    ``base_file_url=f"{emu.base_url}/file/bot"``. ``latency`` and ``flood_limits`` may be
    changed at any time.
    """

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
        self._queries: dict[str, _PendingQuery] = {}
        self._commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = {}
        self._idle_waiters: list[tuple[int, asyncio.Future[None]]] = []
        # slow_down(): per chat, the added seconds and the methods they apply to (empty: all).
        self._slow_chats: dict[int, tuple[float, frozenset[str]]] = {}
        self.abandoned_calls: list[tuple[str, dict[str, Any]]] = []
        self._warned_methods: set[str] = set()
        # Called with a chat id whenever something in that chat changes (a message from either
        # side, an edit, a delete, a callback answer to that user): the sandbox's live page.
        self.listeners: list[Callable[[int], None]] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

        handlers: list[tuple[str, _Handler]] = [
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("sendMessage", self._send_message),
            ("sendPhoto", self._send_photo),
            ("sendDocument", self._send_document),
            ("sendLocation", self._send_location),
            ("sendChatAction", self._send_chat_action),
            ("editMessageText", self._edit_message_text),
            ("editMessageCaption", self._edit_message_caption),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("deleteMessages", self._delete_messages),
            ("answerCallbackQuery", self._answer_callback_query),
            ("getFile", self._get_file),
            ("getChat", self._get_chat),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
        ]
        handlers.extend((name, self._accept) for name in _ACCEPTED_SETTERS)
        self._methods: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler) for name, handler in handlers
        }

    # =========================================================================================
    # Lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (port 0 picks a free one) and set :attr:`base_url`."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        # Real Telegram answers JSON 404 for any unknown path, not an HTML page.
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        # A short shutdown timeout: a parked long poll must not hold stop() for a minute.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        # A wildcard bind address is not something a client can connect to.
        reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        self.base_url = f"http://{reachable}:{bound_port}"
        self._queue.closed = False

    async def stop(self) -> None:
        self._queue.close()
        await self._webhook.deactivate()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

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

    # =========================================================================================
    # The people side

    def user(
        self,
        first_name: str = "User",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        user_id: int | None = None,
    ) -> EmulatedUser:
        """A new Telegram user. The bot can write to them once they have written to the bot."""
        if user_id is None:
            while self._next_user_id in self._chats:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id in self._chats:
            raise ValueError(f"user id {user_id} is already taken")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": user_id, "first_name": first_name}
        if last_name:
            user["last_name"] = chat["last_name"] = last_name
        if username:
            user["username"] = chat["username"] = username
        if language_code:
            user["language_code"] = language_code
        chat["type"] = "private"
        state = ChatState(chat, known=False)
        self._chats[user_id] = state
        emulated = EmulatedUser(self, user, state)
        self._users[user_id] = emulated
        return emulated

    def group(
        self,
        title: str = "Group",
        supergroup: bool = True,
        *,
        username: str | None = None,
        privacy_mode: bool = False,
        bot_is_admin: bool = False,
    ) -> EmulatedGroup:
        """A group with the bot in it (known to the bot at once, as after being added)."""
        number = self._next_group_number
        self._next_group_number += 1
        chat_id = -(1_001_000_000_000 + number) if supergroup else -(4_000_000_000 + number)
        chat: dict[str, Any] = {"id": chat_id, "title": title}
        if username:
            chat["username"] = username
        chat["type"] = "supergroup" if supergroup else "group"
        state = ChatState(chat, known=True)
        state.privacy_mode = privacy_mode
        state.bot_is_admin = bot_is_admin
        self._chats[chat_id] = state
        if username:
            self._chats_by_username[username.lower()] = state
        emulated = EmulatedGroup(self, state)
        self._groups[chat_id] = emulated
        return emulated

    def kick_bot(
        self, group: EmulatedGroup, by: EmulatedUser | None = None, *, notify: bool = True
    ) -> None:
        """Remove the bot from ``group``: its sends there fail with 403 from now on, and, as on
        Telegram, the bot gets a ``my_chat_member`` update (status ``kicked`` in a supergroup,
        where removing a member bans them, ``left`` in a basic group). ``notify=False``: an
        update the bot never saw (dropped while it was down)."""
        state = self._state_of(group)
        state.kicked = True
        if not notify:
            return
        remover = (
            by.user
            if by is not None
            else {"id": 777_000, "is_bot": False, "first_name": "Telegram"}
        )
        was = "administrator" if state.bot_is_admin else "member"
        now: dict[str, Any] = {"user": self.bot_user, "status": "left"}
        if state.type == "supergroup":
            now = {"user": self.bot_user, "status": "kicked", "until_date": 0}
        self._queue.push(
            "my_chat_member",
            {
                "chat": state.chat,
                "from": remover,
                "date": int(time.time()),
                "old_chat_member": {"user": self.bot_user, "status": was},
                "new_chat_member": now,
            },
        )

    def upgrade_group(self, group: EmulatedGroup, by: EmulatedUser | None = None) -> EmulatedGroup:
        """Turn a basic group into a supergroup, as Telegram does when an admin makes the history
        visible to new members, makes the group public, and the like.

        What the bot sees, as on Telegram: a service message with ``migrate_to_chat_id`` in the
        old group, a ``my_chat_member`` update for the new supergroup (the bot is in it, as
        everyone was) and a service message with ``migrate_from_chat_id`` in the supergroup,
        which has the same title, a new ``-100…`` id and its own message ids starting at 1.

        Afterwards sends to the old id answer 400 "group chat was upgraded to a supergroup
        chat" with ``parameters.migrate_to_chat_id``; the old group still exists (deactivated)
        and its messages stay there, so the bot can still edit and delete them *at the old id*
        (the Bot API checks write access for sends only; tdlib/telegram-bot-api#266), and
        buttons pressed on them arrive with the old chat in ``callback_query.message``. The old
        message ids mean nothing in the supergroup. Users' new messages come from the new chat.
        """
        old = self._state_of(group)
        if old.type != "group" or old.migrated_to is not None:
            raise ValueError(f"{group!r} is not a basic group")
        number = self._next_group_number
        self._next_group_number += 1
        chat_id = -(1_001_000_000_000 + number)
        chat: dict[str, Any] = {"id": chat_id, "title": old.chat["title"], "type": "supergroup"}
        new = ChatState(chat, known=True)
        # A bot removed from the group is not in the supergroup either.
        new.privacy_mode, new.bot_is_admin = old.privacy_mode, old.bot_is_admin
        new.kicked = old.kicked
        self._chats[chat_id] = new
        upgraded = EmulatedGroup(self, new)
        self._groups[chat_id] = upgraded
        old.migrated_to = chat_id
        sender = (
            by.user
            if by is not None
            else {"id": 777_000, "is_bot": False, "first_name": "Telegram"}
        )
        now = int(time.time())
        for state, field, other in (
            (old, "migrate_to_chat_id", new),
            (new, "migrate_from_chat_id", old),
        ):
            message = {
                "message_id": state.take_message_id(),
                "from": sender,
                "chat": state.chat,
                "date": now,
                field: other.id,
            }
            state.messages[message["message_id"]] = message
            if old.kicked:
                continue  # a removed bot hears nothing of either chat
            if state is new:
                left = {"user": self.bot_user, "status": "left"}
                member = {
                    "user": self.bot_user,
                    "status": "administrator" if new.bot_is_admin else "member",
                }
                update = {
                    "chat": chat,
                    "from": sender,
                    "date": now,
                    "old_chat_member": left,
                    "new_chat_member": member,
                }
                self._queue.push("my_chat_member", update)
            # Service messages reach the bot whatever its privacy mode.
            self._queue.push("message", message)
            self._changed(state.id)
        return upgraded

    def users(self) -> list[EmulatedUser]:
        return list(self._users.values())

    def groups(self) -> list[EmulatedGroup]:
        return list(self._groups.values())

    def inject_text(
        self, user: EmulatedUser, text: str, *, chat: EmulatedGroup | int | None = None
    ) -> dict[str, Any]:
        """Queue a text message from ``user`` without yielding: the benchmark's bulk path."""
        return self.user_text(user, text, chat=chat)

    def push_update(self, kind: str, payload: dict[str, Any]) -> None:
        """Queue a raw update of any type (``channel_post``, ``my_chat_member``...) for the
        kinds of update the client side has no verb for."""
        self._queue.push(kind, payload)

    async def wait_idle(self, expected_sent: int, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has sent ``expected_sent`` messages in total."""
        if self.sent_count >= expected_sent:
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (expected_sent, waiter)
        self._idle_waiters.append(entry)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise AssertionError(
                f"bot sent {self.sent_count} of {expected_sent} messages within {timeout}s"
                f" ({len(self._queue)} updates still queued, {self.count_429} answered 429)"
            ) from None
        finally:
            if entry in self._idle_waiters:
                self._idle_waiters.remove(entry)

    def slow_down(self, chat: ChatView | int, seconds: float, *methods: str) -> None:
        """Make the bot's calls about ``chat`` (only ``methods``, if given) take ``seconds``
        longer, e.g. to kill the bot while a handler waits on its reply. The delay stands for
        the network before Telegram: a call whose client hangs up during it never takes effect
        (it is listed in :attr:`abandoned_calls`). ``seconds=0`` removes the delay."""
        chat_id = self._state_of(chat).id
        if seconds > 0:
            self._slow_chats[chat_id] = (seconds, frozenset(methods))
        else:
            self._slow_chats.pop(chat_id, None)

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST to the webhook (update_id and error, None for 2xx), oldest first."""
        return self._webhook.deliveries

    def calls_by_method(self, name: str) -> list[dict[str, Any]]:
        """Parameters of every recorded call to ``name`` (case-insensitive), oldest first."""
        wanted = name.lower()
        return [params for method, params in self.calls if method.lower() == wanted]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """What setMyCommands stored for exactly this scope and language (no fallback)."""
        key = self._scope_key(scope, language_code)
        return [dict(command) for command in self._commands.get(key, [])]

    def _changed(self, chat_id: int) -> None:
        """Something in this chat changed (a message, an edit, an answer to a press): wake the
        tests waiting on it, which check again what they wait for, and tell the listeners."""
        state = self._chats.get(chat_id)
        if state is not None:
            state.notify()
        for listener in self.listeners:
            listener(chat_id)

    # -- used by the client classes -----------------------------------------------------------

    def _state_of(self, chat: ChatView | int) -> ChatState:
        if isinstance(chat, ChatView):
            return chat._state
        state = self._chats.get(int(chat))
        if state is None:
            raise LookupError(f"no chat with id {chat}")
        return state

    def _client_chat(self, user: EmulatedUser, chat: ChatView | int | None) -> ChatState:
        return user._state if chat is None else self._state_of(chat)

    def add_caption(self, content: dict[str, Any], caption: str | None) -> None:
        """Attach a user's caption (plain text with detected entities) to message content."""
        if not caption:
            return
        try:
            formatted = parse_text(caption, None)
        except EmptyTextError:
            return
        self._apply_caption(content, formatted)

    def user_text(
        self,
        user: EmulatedUser,
        text: str,
        *,
        chat: ChatView | int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        try:
            formatted = parse_text(text, None)
        except EmptyTextError:
            raise ValueError("Telegram does not send empty or whitespace-only messages") from None
        content: dict[str, Any] = {"text": formatted.text}
        if formatted.entities:
            content["entities"] = formatted.entities
        return self.user_message(user, content, chat=chat, reply_to=reply_to)

    def user_message(
        self,
        user: EmulatedUser,
        content: dict[str, Any],
        *,
        chat: ChatView | int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        """Create a message from ``user`` in ``chat`` (default: their private chat) and queue
        the update the bot receives for it."""
        state = self._client_chat(user, chat)
        while state.migrated_to is not None:  # the group became a supergroup: people write there
            state = self._chats[state.migrated_to]
        state.mark_client_action()
        if not state.is_group:
            state.known = True
        message: dict[str, Any] = {
            "message_id": state.take_message_id(),
            "from": user.user,
            "chat": state.chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            target = state.messages.get(message_id_of(reply_to))
            if target is None:
                raise LookupError(f"no message {message_id_of(reply_to)} in chat {state.id}")
            message["reply_to_message"] = _reply_snapshot(target)
        message.update(content)
        state.messages[message["message_id"]] = message
        if self._bot_sees(state, message):
            self._queue.push("message", message)
        self._changed(state.id)
        return message

    def user_edit(
        self, user: EmulatedUser, message_id: int, text: str, *, chat: ChatView | int | None
    ) -> dict[str, Any]:
        state = self._client_chat(user, chat)
        original = state.messages.get(message_id)
        if original is None:
            raise LookupError(f"no message {message_id} in chat {state.id}")
        if original["from"]["id"] != user.id or "text" not in original:
            raise ValueError("a user can only edit their own text messages")
        try:
            formatted = parse_text(text, None)
        except EmptyTextError:
            raise ValueError("Telegram does not allow editing a text to nothing") from None
        edited = {k: v for k, v in original.items() if k not in ("text", "entities", "edit_date")}
        edited["edit_date"] = int(time.time())
        edited["text"] = formatted.text
        if formatted.entities:
            edited["entities"] = formatted.entities
        state.messages[message_id] = edited
        state.mark_client_action()
        if self._bot_sees(state, edited):
            self._queue.push("edited_message", edited)
        self._changed(state.id)
        return edited

    def user_press(
        self,
        user: EmulatedUser,
        text: str | None,
        *,
        callback_data: str | None = None,
        message_id: int | None = None,
        chat: ChatView | int | None = None,
        forge: bool = False,
    ) -> str:
        state = self._client_chat(user, chat)
        if text is None and callback_data is None:
            raise ValueError("press() needs the button text or callback_data=")
        if forge:
            return self._forged_press(user, state, text, callback_data, message_id)

        def matches(button: dict[str, Any]) -> bool:
            if text is not None and button.get("text") != text:
                return False
            return callback_data is None or button.get("callback_data") == callback_data

        candidates: list[BotMessage]
        if message_id is not None:
            found = state.bot_messages.get(message_id)
            candidates = [found] if found is not None else []
        else:
            candidates = list(reversed(state.bot_messages.values()))
        for message in candidates:
            for button in _inline_buttons(message.raw):
                if not matches(button):
                    continue
                if "callback_data" not in button:
                    raise ValueError(
                        f"button {button.get('text')!r} has no callback_data"
                        f" ({sorted(button)}): pressing it sends the bot no update"
                    )
                return self._queue_callback(user, state, message, str(button["callback_data"]))
        wanted = repr(text) if text is not None else f"callback_data={callback_data!r}"
        seen = [
            f"#{m.message_id}: {m.button_texts}" for m in reversed(candidates) if m.button_texts
        ]
        raise LookupError(
            f"no inline button {wanted} on"
            f" {'message ' + str(message_id) if message_id is not None else 'any bot message'}"
            f" in chat {state.id}; buttons there: {seen or 'none'}"
        )

    def _forged_press(
        self,
        user: EmulatedUser,
        state: ChatState,
        text: str | None,
        callback_data: str | None,
        message_id: int | None,
    ) -> str:
        """A press Telegram would deliver although the button is not (or no longer) shown: a
        double tap racing the bot's edit, an outdated client, or a modified one."""
        if message_id is None:
            target = next(reversed(state.bot_messages.values()), None)
        else:
            target = state.bot_messages.get(message_id)
        if target is None:
            where = "any bot message" if message_id is None else f"bot message {message_id}"
            raise LookupError(f"no {where} in chat {state.id} to press a button on")
        if callback_data is None:
            versions = (target.raw, *reversed(target.history or []))
            callback_data = next(
                (
                    str(button["callback_data"])
                    for raw in versions
                    for button in _inline_buttons(raw)
                    if button.get("text") == text and "callback_data" in button
                ),
                None,
            )
            if callback_data is None:
                raise LookupError(
                    f"message {target.message_id} never had a button {text!r};"
                    " pass callback_data= to forge one"
                )
        return self._queue_callback(user, state, target, callback_data)

    def _queue_callback(
        self, user: EmulatedUser, state: ChatState, message: BotMessage, data: str
    ) -> str:
        self._next_query_id += 1
        query_id = str(self._next_query_id)
        state.mark_client_action()
        self._queries[query_id] = _PendingQuery(user, self.clock())
        query = {
            "id": query_id,
            "from": user.user,
            "message": message.raw,
            "chat_instance": state.chat_instance,
            "data": data,
        }
        if not state.kicked:
            self._queue.push("callback_query", query)
        return query_id

    def _bot_sees(self, state: ChatState, message: dict[str, Any]) -> bool:
        """Whether the bot gets an update for ``message`` (kicked bots and privacy mode)."""
        if state.kicked:
            return False
        if not (state.is_group and state.privacy_mode):
            return True
        # Privacy mode: commands, replies to the bot and mentions of the bot only.
        replied = message.get("reply_to_message")
        if replied is not None and replied["from"]["id"] == self.bot_id:
            return True
        text = message.get("text") or message.get("caption") or ""
        handle = "@" + self.bot_username.lower()
        for entity in message.get("entities") or message.get("caption_entities") or []:
            if entity["type"] not in ("bot_command", "mention"):
                continue
            covered = utf16_slice(text, entity["offset"], entity["length"]).lower()
            if entity["type"] == "mention" and covered == handle:
                return True
            if entity["type"] == "bot_command" and ("@" not in covered or covered.endswith(handle)):
                return True
        return False

    # =========================================================================================
    # HTTP

    @staticmethod
    def _json(status: int, body: dict[str, Any]) -> web.Response:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return web.Response(status=status, body=payload, content_type="application/json")

    def _error(self, error: ApiError) -> web.Response:
        return self._json(error.code, error.body())

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return self._error(ApiError(404, "Not Found"))

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query) if request.query_string else {}
        if not request.body_exists:
            return raw
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.read()
            if body.strip():
                try:
                    parsed = json.loads(body)
                except ValueError:
                    raise bad_request("can't parse JSON encoded request parameters") from None
                if isinstance(parsed, dict):
                    raw.update(parsed)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = bytes(await part.read())
                    raw[part.name] = UploadedFile(
                        part.filename, part.headers.get("Content-Type"), data
                    )
                else:
                    raw[part.name] = await part.text()
        else:
            form = await request.post()
            raw.update(form)
        return raw

    async def _handle_api(self, request: web.Request) -> web.Response:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        try:
            params = _decode_params(await self._read_params(request))
        except ApiError as error:
            return self._error(error)
        entry = self._methods.get(method.lower())
        name = entry[0] if entry is not None else method
        if self.record_calls:
            self.calls.append((name, params))
        if self._slow_chats and await self._slowed_and_abandoned(request, name, params):
            return self._error(ApiError(499, "Client Closed Request"))
        if entry is None:
            if name not in self._warned_methods:
                self._warned_methods.add(name)
                _log.warning("Bot API method %r is not emulated; answering 404 Not Found", name)
            return self._error(ApiError(404, "Not Found"))
        try:
            result = await entry[1](Params(params))
        except ApiError as error:
            if error.code == 429:
                self.count_429 += 1
            self._note_chat_error(params, name, error)
            return self._error(error)
        except Exception as error:  # a bug here must reach the test, not vanish in aiohttp
            _log.exception("emulator failed on %s", name)
            return self._error(ApiError(500, f"Internal Server Error: emulator bug: {error!r}"))
        if isinstance(result, _Described):
            body = {"ok": True, "result": result.result, "description": result.description}
            return self._json(200, body)
        return self._json(200, {"ok": True, "result": result})

    async def _slowed_and_abandoned(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> bool:
        """Apply :meth:`slow_down`; True when the bot hung up meanwhile (the call is dropped)."""
        chat_id = params.get("chat_id")
        slow = self._slow_chats.get(chat_id) if isinstance(chat_id, int) else None
        if slow is None or (slow[1] and method not in slow[1]):
            return False
        await asyncio.sleep(slow[0])
        transport = request.transport
        if transport is None or transport.is_closing():
            self.abandoned_calls.append((method, params))
            return True
        return False

    def _note_chat_error(self, params: dict[str, Any], method: str, error: ApiError) -> None:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self._chats:
            self._chats[chat_id].errors.append(f"{method}: {error.description}")

    async def _handle_file(self, request: web.Request) -> web.Response:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        stored = self.files.by_path.get(request.match_info["path"])
        if stored is None or stored.data is None:
            return self._error(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # =========================================================================================
    # Shared pieces of the methods

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

    def _check_flood(self, state: ChatState) -> None:
        if not self._flood_limits:
            return
        retry_after = self._flood.check(state.id, state.is_group, self.clock())
        if retry_after:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def _mention_user(self, user_id: int) -> dict[str, Any]:
        known = self._users.get(user_id)
        if known is not None:
            return dict(known.user)
        return {"id": user_id, "is_bot": False, "first_name": ""}

    def _format(
        self, text: str, parse_mode: str | None, entities: Any, *, caption: bool
    ) -> FormattedText | None:
        """Parse a text or caption; ``None`` for a caption that is only whitespace."""
        try:
            formatted = parse_text(
                text,
                parse_mode,
                entities if isinstance(entities, list) else None,
                resolve_user=self._mention_user,
            )
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        except EmptyTextError:
            if caption:
                return None
            raise bad_request(errors.MESSAGE_MUST_BE_NON_EMPTY) from None
        except ValueError:
            raise bad_request(errors.UNSUPPORTED_PARSE_MODE) from None
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if utf16_len(formatted.text) > limit:
            raise bad_request(errors.CAPTION_TOO_LONG if caption else errors.MESSAGE_TOO_LONG)
        return formatted

    def _text_param(self, params: Params) -> FormattedText:
        text = params.get_str("text")
        if not text:
            raise bad_request(errors.MESSAGE_TEXT_EMPTY)
        entities = params.get_json("entities", errors.BAD_ENTITIES_JSON)
        formatted = self._format(text, params.get_str("parse_mode"), entities, caption=False)
        assert formatted is not None  # only captions may come back empty
        return formatted

    def _caption_param(self, params: Params) -> FormattedText | None:
        caption = params.get_str("caption")
        if not caption:
            return None
        entities = params.get_json("caption_entities", errors.BAD_ENTITIES_JSON)
        return self._format(caption, params.get_str("parse_mode"), entities, caption=True)

    @staticmethod
    def _apply_caption(content: dict[str, Any], caption: FormattedText | None) -> None:
        if caption is None:
            return
        content["caption"] = caption.text
        if caption.entities:
            content["caption_entities"] = caption.entities

    def _markup_param(self, params: Params) -> dict[str, Any] | None:
        markup = params.get_json("reply_markup", errors.BAD_MARKUP_JSON)
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise bad_request(errors.BAD_MARKUP_JSON)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request(errors.BAD_MARKUP_JSON)
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return markup
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request(errors.BAD_MARKUP_JSON)
            return markup
        if "remove_keyboard" in markup or "force_reply" in markup:
            return markup
        raise bad_request(errors.BAD_MARKUP_JSON)

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or "text" not in button:
            raise bad_request(errors.BAD_MARKUP_JSON)
        if "callback_data" in button:
            data = button["callback_data"]
            size = len(str(data).encode()) if data is not None else 0
            if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request(errors.BUTTON_DATA_INVALID)
        elif "url" in button:
            url = str(button["url"])
            if not url or not checked_link(url):
                raise bad_request(errors.BUTTON_URL_INVALID)
        elif not any(action in button for action in _INLINE_BUTTON_ACTIONS):
            raise bad_request(errors.TEXT_BUTTONS_UNALLOWED)

    def _reply_param(self, state: ChatState, params: Params) -> dict[str, Any] | None:
        reply = params.get_json("reply_parameters", "can't parse reply parameters JSON object")
        target_state = state
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
            other = reply.get("chat_id")
            if other is not None and other != state.id:
                target_state = self._lookup_chat(Params({"chat_id": other}))
        else:
            message_id = params.get_int("reply_to_message_id")
            allow_missing = params.get_bool("allow_sending_without_reply")
        if message_id is None:
            return None
        target = target_state.messages.get(int(message_id))
        if target is None:
            if allow_missing:
                return None
            raise bad_request(errors.REPLY_NOT_FOUND)
        return _reply_snapshot(target)

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

    def _input_file(
        self, params: Params, name: str, kind: str
    ) -> StoredFile | list[dict[str, Any]]:
        """The file a send method got: an upload, a known file_id, or an HTTP URL."""
        value = params.raw.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.raw.get(value[len("attach://") :])
        if isinstance(value, UploadedFile):
            if kind == "photo":
                return self.files.add_photo(value.data)
            return self.files.add(
                kind,
                value.data,
                file_name=value.filename,
                mime_type=value.content_type or "application/octet-stream",
            )
        if value is None or value == "":
            raise bad_request(f"there is no {name} in the request")
        reference = str(value)
        if reference.startswith(("http://", "https://")):
            # The emulator cannot fetch URLs; it records a file without bytes instead, so the
            # send succeeds as it would for a reachable URL.
            if kind == "photo":
                return self.files.add_photo(None)
            file_name = reference.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or None
            return self.files.add(kind, None, file_name=file_name)
        stored = self.files.by_id.get(reference)
        if stored is None:
            raise bad_request(errors.WRONG_FILE_ID)
        if (stored.kind == "photo") != (kind == "photo"):
            raise bad_request(errors.TYPE_MISMATCH)
        return stored.photo if kind == "photo" else stored

    def _bot_message_to_edit(self, params: Params) -> tuple[ChatState, dict[str, Any]]:
        if params.raw.get("inline_message_id") and params.raw.get("chat_id") is None:
            raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not emulated
        state = self._writable_chat(params, edit=True)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request(errors.MESSAGE_ID_MISSING)
        raw = state.messages.get(message_id)
        if raw is None:
            raise bad_request(errors.MESSAGE_TO_EDIT_NOT_FOUND)
        if raw["from"]["id"] != self.bot_id:
            raise bad_request(errors.MESSAGE_CANT_BE_EDITED)
        return state, raw

    def _inline_markup_param(self, params: Params) -> dict[str, Any] | None:
        markup = self._markup_param(params)
        # Edits only take inline keyboards; anything else leaves the message without one.
        return markup if markup is not None and "inline_keyboard" in markup else None

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

    # =========================================================================================
    # Methods

    async def _accept(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self._webhook.url:
            raise ApiError(409, errors.CONFLICT_WEBHOOK)
        offset = params.get_int("offset") or 0
        limit = params.get_int("limit")
        limit = 100 if limit is None else min(100, max(1, limit))
        timeout = max(0.0, params.get_float("timeout") or 0.0)
        self._queue.set_allowed(
            params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
        )
        return await self._queue.poll(offset, limit, timeout, lambda: bool(self._webhook.url))

    async def _set_webhook(self, params: Params) -> _Described:
        url = params.get_str("url") or ""
        if not url:
            return await self._delete_webhook(params)
        if not url.lower().startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token")
        if secret is not None and not (
            1 <= len(secret) <= 256 and _SECRET_TOKEN_RE.fullmatch(secret)
        ):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if params.get_bool("drop_pending_updates"):
            self._queue.drop_all()
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
        self._queue.set_allowed(allowed)
        webhook = self._webhook
        if isinstance(allowed, list):
            webhook.allowed_updates = [str(item) for item in allowed]
        max_connections = params.get_int("max_connections")
        before = webhook.max_connections
        webhook.max_connections = (
            40 if max_connections is None else min(100, max(1, max_connections))
        )
        webhook.ip_address = params.get_str("ip_address")
        if (
            webhook.active
            and (webhook.url, webhook.secret_token) == (url, secret)
            and webhook.max_connections == before
            and not params.get_bool("drop_pending_updates")
        ):
            # A bot restarting with the same settings: deliveries (and their back-off) go on.
            return _Described(True, "Webhook is already set")
        await webhook.stop_delivery()  # new settings: start over, in-flight updates stay pending
        webhook.secret_token = secret
        changed = webhook.url != url
        webhook.url = url
        if changed:
            webhook.last_error_date = webhook.last_error_message = None
        webhook.activate()
        self._queue.interrupt_poll()  # a parked getUpdates must now fail with 409
        return _Described(True, "Webhook was set")

    async def _delete_webhook(self, params: Params) -> _Described:
        if params.get_bool("drop_pending_updates"):
            self._queue.drop_all()
        was_set = bool(self._webhook.url)
        await self._webhook.deactivate()
        self._webhook.allowed_updates = None
        self._webhook.last_error_date = self._webhook.last_error_message = None
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        return self._webhook.info()

    async def _send_message(self, params: Params) -> dict[str, Any]:
        formatted = self._text_param(params)
        markup = self._markup_param(params)
        state = self._writable_chat(params)
        reply = self._reply_param(state, params)
        self._check_flood(state)
        content: dict[str, Any] = {"text": formatted.text}
        if formatted.entities:
            content["entities"] = formatted.entities
        message = self._store_bot_message(
            state, content, markup, reply, params.get_str("text"), params.get_str("parse_mode")
        )
        return message.raw

    async def _send_photo(self, params: Params) -> dict[str, Any]:
        caption = self._caption_param(params)
        markup = self._markup_param(params)
        state = self._writable_chat(params)
        reply = self._reply_param(state, params)
        photo = self._input_file(params, "photo", "photo")
        self._check_flood(state)
        content: dict[str, Any] = {"photo": photo}
        self._apply_caption(content, caption)
        message = self._store_bot_message(
            state, content, markup, reply, params.get_str("caption"), params.get_str("parse_mode")
        )
        return message.raw

    async def _send_document(self, params: Params) -> dict[str, Any]:
        caption = self._caption_param(params)
        markup = self._markup_param(params)
        state = self._writable_chat(params)
        reply = self._reply_param(state, params)
        stored = self._input_file(params, "document", "document")
        assert isinstance(stored, StoredFile)
        self._check_flood(state)
        content: dict[str, Any] = {"document": self.files.document(stored)}
        self._apply_caption(content, caption)
        message = self._store_bot_message(
            state, content, markup, reply, params.get_str("caption"), params.get_str("parse_mode")
        )
        return message.raw

    async def _send_location(self, params: Params) -> dict[str, Any]:
        latitude = params.get_float("latitude")
        longitude = params.get_float("longitude")
        if latitude is None or not -90 <= latitude <= 90:
            raise bad_request("wrong latitude specified")
        if longitude is None or not -180 <= longitude <= 180:
            raise bad_request("wrong longitude specified")
        markup = self._markup_param(params)
        state = self._writable_chat(params)
        reply = self._reply_param(state, params)
        self._check_flood(state)
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        accuracy = params.get_float("horizontal_accuracy")
        if accuracy is not None:
            location["horizontal_accuracy"] = accuracy
        live_period = params.get_int("live_period")
        if live_period:
            location["live_period"] = live_period
        message = self._store_bot_message(state, {"location": location}, markup, reply, None, None)
        return message.raw

    async def _send_chat_action(self, params: Params) -> bool:
        action = params.get_str("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request(errors.WRONG_CHAT_ACTION)
        self._writable_chat(params)
        return True

    async def _edit_message_text(self, params: Params) -> dict[str, Any]:
        state, raw = self._bot_message_to_edit(params)
        if "text" not in raw:
            raise bad_request(errors.NO_TEXT_TO_EDIT)
        formatted = self._text_param(params)
        markup = self._inline_markup_param(params)
        entities = formatted.entities
        if (
            formatted.text == raw["text"]
            and entities == raw.get("entities", [])
            and markup == raw.get("reply_markup")
        ):
            raise bad_request(errors.MESSAGE_NOT_MODIFIED)
        self._check_flood(state)
        changes: dict[str, Any] = {"text": formatted.text}
        if entities:
            changes["entities"] = entities
        return self._store_edit(
            state,
            raw,
            changes,
            ("text", "entities", "reply_markup", "edit_date"),
            markup,
            params.get_str("text"),
            params.get_str("parse_mode"),
        )

    async def _edit_message_caption(self, params: Params) -> dict[str, Any]:
        state, raw = self._bot_message_to_edit(params)
        if not any(kind in raw for kind in ("photo", "document", "video", "audio", "animation")):
            raise bad_request(errors.NO_CAPTION_TO_EDIT)
        caption = self._caption_param(params)
        markup = self._inline_markup_param(params)
        new_text = caption.text if caption is not None else None
        new_entities = caption.entities if caption is not None else []
        if (
            new_text == raw.get("caption")
            and new_entities == raw.get("caption_entities", [])
            and markup == raw.get("reply_markup")
        ):
            raise bad_request(errors.MESSAGE_NOT_MODIFIED)
        self._check_flood(state)
        changes: dict[str, Any] = {}
        self._apply_caption(changes, caption)
        return self._store_edit(
            state,
            raw,
            changes,
            ("caption", "caption_entities", "reply_markup", "edit_date"),
            markup,
            params.get_str("caption") or "",
            params.get_str("parse_mode"),
        )

    async def _edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        state, raw = self._bot_message_to_edit(params)
        markup = self._inline_markup_param(params)
        if markup == raw.get("reply_markup"):
            raise bad_request(errors.MESSAGE_NOT_MODIFIED)
        self._check_flood(state)
        return self._store_edit(state, raw, {}, ("reply_markup", "edit_date"), markup, None, None)

    def _delete_one(self, state: ChatState, message_id: int) -> None:
        raw = state.messages.get(message_id)
        if raw is None:
            raise bad_request(errors.MESSAGE_TO_DELETE_NOT_FOUND)
        if state.is_group and raw["from"]["id"] != self.bot_id and not state.bot_is_admin:
            raise bad_request(errors.MESSAGE_CANT_BE_DELETED)
        del state.messages[message_id]
        message = state.bot_messages.pop(message_id, None)
        if message is not None:
            message.deleted = True
        self._changed(state.id)

    async def _delete_message(self, params: Params) -> bool:
        state = self._writable_chat(params, blocked_ok=True, edit=True)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request(errors.MESSAGE_ID_MISSING)
        self._delete_one(state, message_id)
        return True

    async def _delete_messages(self, params: Params) -> bool:
        state = self._writable_chat(params, blocked_ok=True, edit=True)
        message_ids = params.get_json("message_ids", "can't parse message identifiers")
        if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
            raise bad_request("message identifiers are not specified")
        for message_id in message_ids:
            try:
                self._delete_one(state, int(message_id))
            except ApiError:
                pass  # deleteMessages skips messages that cannot be deleted
        return True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        pending = self._queries.get(query_id)
        if (
            pending is None
            or pending.answered
            or self.clock() - pending.created > self.callback_query_timeout
        ):
            raise bad_request(errors.QUERY_TOO_OLD)
        pending.answered = True
        answer: dict[str, Any] = {
            "callback_query_id": query_id,
            "text": params.get_str("text"),
            "show_alert": params.get_bool("show_alert"),
        }
        url = params.get_str("url")
        if url:
            answer["url"] = url
        pending.user.callback_answers.append(answer)
        self._changed(pending.user.id)
        return True

    async def _get_file(self, params: Params) -> dict[str, Any]:
        stored = self.files.by_id.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad_request(errors.WRONG_FILE_ID)
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise bad_request(errors.FILE_TOO_BIG)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    async def _get_chat(self, params: Params) -> dict[str, Any]:
        state = self._lookup_chat(params)
        info: dict[str, Any] = dict(state.chat)
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        return info

    def _scope_key(
        self, scope: Any, language_code: str | None
    ) -> tuple[str, int | None, int | None, str]:
        if scope is None or scope == "":
            scope = {"type": "default"}
        if not isinstance(scope, dict):
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = str(scope.get("type", "default"))
        if kind not in _COMMAND_SCOPES:
            raise bad_request("unsupported bot command scope type")
        chat_id: int | None = None
        user_id: int | None = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat_value = scope.get("chat_id")
            if isinstance(chat_value, str) and chat_value.startswith("@"):
                state = self._chats_by_username.get(chat_value[1:].lower())
                if state is None:
                    raise bad_request(errors.CHAT_NOT_FOUND)
                chat_id = state.id
            else:
                try:
                    chat_id = int(chat_value)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise bad_request(errors.CHAT_NOT_FOUND) from None
        if kind == "chat_member":
            try:
                user_id = int(scope.get("user_id"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise bad_request("user not found") from None
        return kind, chat_id, user_id, language_code or ""

    def _commands_key(self, params: Params) -> tuple[str, int | None, int | None, str]:
        scope = params.get_json("scope", "can't parse BotCommandScope JSON object")
        return self._scope_key(scope, params.get_str("language_code"))

    async def _set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        stored: list[dict[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse commands JSON object")
            command = str(item.get("command", "")).removeprefix("/")
            description = str(item.get("description", "")).strip()
            if not (1 <= len(command) <= 32 and _COMMAND_RE.fullmatch(command)):
                raise bad_request(errors.BOT_COMMAND_INVALID)
            if not 1 <= len(description) <= 256:
                raise bad_request(errors.BOT_COMMAND_DESCRIPTION_INVALID)
            stored.append({"command": command, "description": description})
        key = self._commands_key(params)
        if stored:
            self._commands[key] = stored
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return [dict(command) for command in self._commands.get(self._commands_key(params), [])]

    async def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True
