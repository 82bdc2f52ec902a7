"""The people side of the emulator: users who write to the bot, and groups they write in.

A test plays any number of :class:`EmulatedUser` and :class:`EmulatedGroup`. Actions
(``send``, ``press``, ...) create the update the bot would receive from Telegram; the chat
views (``messages``, ``wait_for``) show what the bot sent back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, TypeAlias

from emulator.chats import ChatState
from emulator.files import FileStore
from emulator.messages import BotMessage, ReplyButton

__all__ = ["ChatView", "EmulatedGroup", "EmulatedUser", "MessageRef", "PeopleHost"]

# What a test may pass to mean "that message": a BotMessage, a Message dict or a message_id.
MessageRef: TypeAlias = "BotMessage | dict[str, Any] | int"


class PeopleHost(Protocol):
    """What the views need of the server: the emulator's people side
    (:class:`emulator.people.PeopleSide`), named here so that this module, which the server
    imports, does not import the server back."""

    @property
    def files(self) -> FileStore: ...

    def add_caption(self, content: dict[str, Any], caption: str | None) -> None: ...

    def user_text(
        self,
        user: EmulatedUser,
        text: str,
        *,
        chat: ChatView | int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]: ...

    def user_message(
        self,
        user: EmulatedUser,
        content: dict[str, Any],
        *,
        chat: ChatView | int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]: ...

    def user_edit(
        self, user: EmulatedUser, message_id: int, text: str, *, chat: ChatView | int | None
    ) -> dict[str, Any]: ...

    def user_press(
        self,
        user: EmulatedUser,
        text: str | None,
        *,
        callback_data: str | None = None,
        message_id: int | None = None,
        chat: ChatView | int | None = None,
        forge: bool = False,
    ) -> str: ...

    def upgrade_group(
        self, group: EmulatedGroup, by: EmulatedUser | None = None
    ) -> EmulatedGroup: ...


def message_id_of(ref: MessageRef) -> int:
    if isinstance(ref, BotMessage):
        return ref.message_id
    if isinstance(ref, dict):
        return int(ref["message_id"])
    return int(ref)


class ChatView:
    """One chat as a test observes it: the bot's messages, newest last."""

    def __init__(self, emulator: PeopleHost, state: ChatState) -> None:
        self._emulator = emulator
        self._state = state

    @property
    def chat_id(self) -> int:
        return self._state.id

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat, oldest first; edits applied, deleted ones gone."""
        return list(self._state.bot_messages.values())

    @property
    def last(self) -> BotMessage | None:
        return next(reversed(self._state.bot_messages.values()), None)

    @property
    def history(self) -> list[dict[str, Any]]:
        """Every message in this chat, the users' and the bot's, oldest first, as Bot API
        dicts (edits applied, deleted ones gone): what a Telegram client would show."""
        return [self._state.messages[key] for key in sorted(self._state.messages)]

    @property
    def arrivals(self) -> list[BotMessage]:
        """Every message the bot sent here, oldest first, as each arrived (snapshots; deleted
        ones too): what scrolled past, where ``messages`` is what the chat shows now."""
        return list(self._state.sent_log)

    @property
    def keyboard_markup(self) -> dict[str, Any] | None:
        """The reply keyboard markup the bot currently shows here, as sent (or None)."""
        return self._state.keyboard

    @property
    def keyboard(self) -> list[list[ReplyButton]] | None:
        """The reply keyboard the bot currently shows here, if any."""
        markup = self._state.keyboard
        if markup is None:
            return None
        return [[ReplyButton(button) for button in row] for row in markup.get("keyboard", [])]

    @property
    def errors(self) -> list[str]:
        """Recent Bot API errors the bot got for calls aimed at this chat."""
        return list(self._state.errors)

    # The public API takes ``timeout=`` (a test reads better that way than wrapping every wait
    # in asyncio.timeout), hence the ASYNC109 exemptions.
    async def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[BotMessage]:  # noqa: ASYNC109
        """Wait for at least ``count`` new bot messages (sends, not edits) since the last
        wait_for or user action in this chat; return all that arrived, as they arrived
        (snapshots: later edits show in ``messages``, not in these)."""
        state = self._state
        await self._wait(lambda: len(state.sent_log) - state.send_mark >= count, timeout, count)
        new = state.sent_log[state.send_mark :]
        state.send_mark = len(state.sent_log)
        return new

    async def wait_for_edit(self, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109
        """Wait until the bot edits a message here (since the last wait or user action);
        return a snapshot of the message as the newest edit left it."""
        state = self._state
        await self._wait(lambda: len(state.edit_log) > state.edit_mark, timeout, None)
        edited = state.edit_log[-1]
        state.edit_mark = len(state.edit_log)
        return edited

    async def _wait(
        self, done: Callable[[], bool], seconds: float, count: int | None, what: str | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        state = self._state
        while not done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                if what is not None:
                    raise AssertionError(f"no {what} within {seconds:g}s")
                raise AssertionError(self._timeout_report(count, seconds))
            waiter: asyncio.Future[None] = loop.create_future()
            state.waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                if waiter in state.waiters:
                    state.waiters.remove(waiter)

    def _timeout_report(self, count: int | None, timeout: float) -> str:
        state = self._state
        if count is None:
            wanted = "a bot edit"
            got = [repr(m) for m in state.edit_log[state.edit_mark :]]
        else:
            wanted = f"{count} new bot message(s)"
            got = [repr(m) for m in state.sent_log[state.send_mark :]]
        lines = [f"{self.name} (chat {state.id}): expected {wanted} within {timeout}s; got {got}"]
        recent = [repr(m) for m in state.sent_log[-5:]]
        lines.append(f"  last bot messages in this chat: {recent or 'none'}")
        if state.errors:
            lines.append("  recent Bot API errors for this chat:")
            lines.extend(f"    {error}" for error in state.errors)
        if state.blocked:
            lines.append("  note: this user has blocked the bot")
        if state.kicked:
            lines.append("  note: the bot was kicked from this chat")
        return "\n".join(lines)


class EmulatedUser(ChatView):
    """A Telegram user. The inherited chat view is the user's private chat with the bot."""

    def __init__(self, emulator: PeopleHost, user: dict[str, Any], state: ChatState) -> None:
        super().__init__(emulator, state)
        self.user = user
        self.callback_answers: list[dict[str, Any]] = []

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def first_name(self) -> str:
        return str(self.user["first_name"])

    @property
    def username(self) -> str | None:
        return self.user.get("username")

    @property
    def name(self) -> str:
        return self.first_name

    def __repr__(self) -> str:
        return f"EmulatedUser({self.first_name!r}, id={self.id})"

    # -- actions ------------------------------------------------------------------------------

    async def send(
        self,
        text: str,
        *,
        chat: EmulatedGroup | int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        """Send a text (commands get their ``bot_command`` entity); returns the Message dict."""
        message = self._emulator.user_text(self, text, chat=chat, reply_to=reply_to)
        await asyncio.sleep(0)
        return message

    async def press(
        self,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        message_id: int | None = None,
        chat: EmulatedGroup | int | None = None,
        forge: bool = False,
    ) -> str:
        """Press an inline button (by its text or callback_data) on the newest bot message in
        the chat that has it; returns the callback query id.

        ``forge=True`` sends the press even when that message does not (or no longer) show
        the button: a double tap racing the bot's edit, or a modified client. The
        callback_data then comes from ``callback_data=`` or from the button with that text on
        any earlier version of the message (default: the newest bot message).
        """
        query_id = self._emulator.user_press(
            self,
            text,
            callback_data=callback_data,
            message_id=message_id,
            chat=chat,
            forge=forge,
        )
        await asyncio.sleep(0)
        return query_id

    async def answer_to(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until the bot answers the press ``query_id`` (the toast or alert the person
        sees) and return that answer."""

        def answer() -> dict[str, Any] | None:
            return next(
                (a for a in self.callback_answers if a["callback_query_id"] == query_id), None
            )

        await self._wait(
            lambda: answer() is not None, timeout, None, what=f"an answer to {query_id}"
        )
        found = answer()
        assert found is not None
        return found

    async def share_location(
        self,
        latitude: float,
        longitude: float,
        *,
        chat: EmulatedGroup | int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        content = {"location": {"latitude": float(latitude), "longitude": float(longitude)}}
        message = self._emulator.user_message(self, content, chat=chat, reply_to=reply_to)
        await asyncio.sleep(0)
        return message

    async def share_contact(
        self,
        phone_number: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
        chat: EmulatedGroup | int | None = None,
    ) -> dict[str, Any]:
        """Share a contact; by default the user's own (``user_id`` set to this user)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.id if user_id is None else user_id,
        }
        surname = last_name if last_name is not None else self.user.get("last_name")
        if surname:
            contact["last_name"] = surname
        message = self._emulator.user_message(self, {"contact": contact}, chat=chat)
        await asyncio.sleep(0)
        return message

    async def send_photo(
        self,
        data: bytes = b"",
        *,
        caption: str | None = None,
        chat: EmulatedGroup | int | None = None,
        reply_to: MessageRef | None = None,
        file_size: int | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """Send a photo. ``file_size`` pretends a size without allocating it (for the 20 MB
        getFile limit); ``media_group_id`` makes it part of an album, which Telegram delivers
        as one message per item sharing that id."""
        sizes = self._emulator.files.add_photo(data, size=file_size)
        content: dict[str, Any] = {"photo": sizes}
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        self._emulator.add_caption(content, caption)
        message = self._emulator.user_message(self, content, chat=chat, reply_to=reply_to)
        await asyncio.sleep(0)
        return message

    async def send_document(
        self,
        data: bytes = b"",
        *,
        file_name: str = "document.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat: EmulatedGroup | int | None = None,
        reply_to: MessageRef | None = None,
        file_size: int | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        files = self._emulator.files
        stored = files.add(
            "document", data, size=file_size, file_name=file_name, mime_type=mime_type
        )
        content: dict[str, Any] = {"document": files.document(stored)}
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        self._emulator.add_caption(content, caption)
        message = self._emulator.user_message(self, content, chat=chat, reply_to=reply_to)
        await asyncio.sleep(0)
        return message

    async def send_sticker(
        self, *, emoji: str = "👍", chat: EmulatedGroup | int | None = None
    ) -> dict[str, Any]:
        stored = self._emulator.files.add("sticker", b"RIFF\x00\x00\x00\x00WEBP")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        message = self._emulator.user_message(self, {"sticker": sticker}, chat=chat)
        await asyncio.sleep(0)
        return message

    async def send_voice(
        self,
        data: bytes = b"OggS",
        *,
        duration: int = 1,
        chat: EmulatedGroup | int | None = None,
    ) -> dict[str, Any]:
        stored = self._emulator.files.add("voice", data, mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        message = self._emulator.user_message(self, {"voice": voice}, chat=chat)
        await asyncio.sleep(0)
        return message

    async def edit(
        self, message: MessageRef, text: str, *, chat: EmulatedGroup | int | None = None
    ) -> dict[str, Any]:
        """Edit one of this user's text messages; the bot receives ``edited_message``."""
        if chat is None and isinstance(message, dict):
            chat = int(message["chat"]["id"])
        edited = self._emulator.user_edit(self, message_id_of(message), text, chat=chat)
        await asyncio.sleep(0)
        return edited

    def open_private_chat(self) -> None:
        """Let the bot write first, as if this user had started it before (a sandbox restarted
        with its people already linked); normally a private chat opens when the user writes."""
        self._state.known = True

    def block(self) -> None:
        """From now on the bot's sends to this user fail with 403 (until :meth:`unblock`)."""
        self._state.blocked = True

    def unblock(self) -> None:
        self._state.blocked = False


class EmulatedGroup(ChatView):
    """A group or supergroup the bot is a member of."""

    @property
    def title(self) -> str:
        return str(self._state.chat["title"])

    @property
    def name(self) -> str:
        return self.title

    @property
    def kicked(self) -> bool:
        return self._state.kicked

    @property
    def privacy_mode(self) -> bool:
        """With privacy mode on the bot only sees commands, replies to it and mentions of it."""
        return self._state.privacy_mode

    @privacy_mode.setter
    def privacy_mode(self, value: bool) -> None:
        self._state.privacy_mode = value

    @property
    def bot_is_admin(self) -> bool:
        """Only an admin bot may delete other people's messages here."""
        return self._state.bot_is_admin

    @bot_is_admin.setter
    def bot_is_admin(self, value: bool) -> None:
        self._state.bot_is_admin = value

    @property
    def migrated_to(self) -> int | None:
        """The supergroup's id once this basic group was upgraded."""
        return self._state.migrated_to

    def upgrade_to_supergroup(self, by: EmulatedUser | None = None) -> EmulatedGroup:
        """An admin (``by``) turns this basic group into a supergroup; returns the supergroup.
        See :meth:`BotApiEmulator.upgrade_group` for what the bot sees."""
        return self._emulator.upgrade_group(self, by)

    def __repr__(self) -> str:
        return f"EmulatedGroup({self.title!r}, id={self.chat_id})"
