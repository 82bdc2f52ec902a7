"""The people side of the server: users and groups come into being, and what they do (write,
edit, press a button, upgrade a group, remove the bot) becomes the updates the bot receives.

The views a test holds (:mod:`emulator.client`) call these; the Bot API methods never do.
"""

from __future__ import annotations

import time
from typing import Any

from emulator.chats import ChatState
from emulator.client import ChatView, EmulatedGroup, EmulatedUser, MessageRef, message_id_of
from emulator.messages import BotMessage
from emulator.state import EmulatorState, PendingQuery, inline_buttons, reply_snapshot
from emulator.textparse import EmptyTextError, parse_text, utf16_slice

__all__ = ["PeopleSide"]

# Service messages and member updates nobody in particular caused come from Telegram itself.
_TELEGRAM = {"id": 777_000, "is_bot": False, "first_name": "Telegram"}


class PeopleSide(EmulatorState):
    """The users and groups of :class:`~emulator.core.BotApiEmulator` and their actions."""

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

    def users(self) -> list[EmulatedUser]:
        return list(self._users.values())

    def groups(self) -> list[EmulatedGroup]:
        return list(self._groups.values())

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
        was = "administrator" if state.bot_is_admin else "member"
        now: dict[str, Any] = {"user": self.bot_user, "status": "left"}
        if state.type == "supergroup":
            now = {"user": self.bot_user, "status": "kicked", "until_date": 0}
        self._queue.push(
            "my_chat_member",
            {
                "chat": state.chat,
                "from": by.user if by is not None else _TELEGRAM,
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
        self._announce_migration(old, new, by.user if by is not None else _TELEGRAM)
        return upgraded

    def _announce_migration(self, old: ChatState, new: ChatState, sender: dict[str, Any]) -> None:
        now = int(time.time())
        for state, field, other in (
            (old, "migrate_to_chat_id", new),
            (new, "migrate_from_chat_id", old),
        ):
            message: dict[str, Any] = {
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
                member = {
                    "user": self.bot_user,
                    "status": "administrator" if new.bot_is_admin else "member",
                }
                update = {
                    "chat": new.chat,
                    "from": sender,
                    "date": now,
                    "old_chat_member": {"user": self.bot_user, "status": "left"},
                    "new_chat_member": member,
                }
                self._queue.push("my_chat_member", update)
            # Service messages reach the bot whatever its privacy mode.
            self._queue.push("message", message)
            self._changed(state.id)

    def inject_text(
        self, user: EmulatedUser, text: str, *, chat: EmulatedGroup | int | None = None
    ) -> dict[str, Any]:
        """Queue a text message from ``user`` without yielding: the benchmark's bulk path."""
        return self.user_text(user, text, chat=chat)

    def push_update(self, kind: str, payload: dict[str, Any]) -> None:
        """Queue a raw update of any type (``channel_post``, ``my_chat_member``...) for the
        kinds of update the client side has no verb for."""
        self._queue.push(kind, payload)

    # -- what the views call --------------------------------------------------------------------

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
        content["caption"] = formatted.text
        if formatted.entities:
            content["caption_entities"] = formatted.entities

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
            message["reply_to_message"] = reply_snapshot(target)
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
            for button in inline_buttons(message.raw):
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
                    for button in inline_buttons(raw)
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
        self._queries[query_id] = PendingQuery(user.id, user.callback_answers, self.clock())
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
