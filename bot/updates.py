"""PTB's ``Update`` objects from the Bot API's dicts, made cheaper for the common shapes.

``Update.de_json`` was the largest single cost of fetching (11–16 % of the bot's samples on a
citizen's message, bench/paths.py): a ``Message`` has some 120 attributes, each set through
``TelegramObject.__setattr__`` (a Python function), and ``Message.de_json`` looks up a hundred
kinds of content a text message never has. Here each class's object is copied, attribute by
attribute at C speed, from a template PTB itself built, and only what the dict holds is set:
the same class, the same attributes, frozen, with the bot set, as PTB makes them (a test
compares every attribute of both). Any dict with a key not listed here, or without one PTB
requires, is left to PTB's own ``de_json`` as a whole, so nothing unknown is ever guessed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any

from telegram import (
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    TelegramObject,
    Update,
    User,
)
from telegram._utils.datetime import extract_tzinfo_from_defaults, from_timestamp
from telegram.constants import ChatType, MessageEntityType

Convert = Callable[[Any, Any], Any]  # (the dict's value, the bot) → the attribute's value
_set = object.__setattr__


def _ptb(cls: type[TelegramObject]) -> Convert:
    def convert(value: Any, bot: Any) -> Any:
        return None if value is None else cls.de_json(value, bot)

    return convert


def _enum(members: Callable[[Any], Any]) -> Convert:
    def convert(value: Any, _bot: Any) -> Any:
        try:
            return members(value)
        except ValueError:
            return value  # a kind newer than PTB's constants: kept as the string, as PTB does

    return convert


def _date(value: Any, bot: Any) -> Any:
    return from_timestamp(value, tzinfo=extract_tzinfo_from_defaults(bot))


class _Shape:
    """How one PTB class is made from a dict with only ``fields``' keys, ``required``'s among
    them: each key's attribute and the conversion of its value (None: as it is)."""

    def __init__(
        self,
        cls: type[TelegramObject],
        sample: dict[str, Any],
        fields: Mapping[str, tuple[str, Convert | None]],
        identity: tuple[str, ...],
    ) -> None:
        self.cls = cls
        self.required = frozenset(sample)
        self.fields = dict(fields)
        self.keys = frozenset(fields)
        self.identity = identity
        template = cls.de_json(dict(sample), None)  # PTB's own object: every default as PTB sets it
        names = dict.fromkeys(
            name for klass in reversed(cls.__mro__) for name in getattr(klass, "__slots__", ())
        )
        kept = [name for name in names if hasattr(template, name)]
        self.names = tuple(kept)
        self.values = tuple(getattr(template, name) for name in kept)

    def make(self, data: Any, bot: Any) -> Any:
        if data is None:
            return None
        keys = data.keys()
        if not (self.required <= keys <= self.keys):
            return self.cls.de_json(data, bot)
        obj = self.cls.__new__(self.cls)
        # The template's attributes in one loop in C (a ``for`` here costs as much again).
        deque(map(_set, repeat(obj, len(self.names)), self.names, self.values), maxlen=0)
        for key, value in data.items():
            name, convert = self.fields[key]
            _set(obj, name, value if convert is None else convert(value, bot))
        _set(obj, "_id_attrs", tuple(getattr(obj, name) for name in self.identity))
        _set(obj, "_bot", bot)
        return obj


def _plain(*names: str) -> dict[str, tuple[str, Convert | None]]:
    return {name: (name, None) for name in names}


_USER = _Shape(
    User,
    {"id": 1, "is_bot": False, "first_name": "x"},
    _plain(
        "id",
        "is_bot",
        "first_name",
        "last_name",
        "username",
        "language_code",
        "is_premium",
        "added_to_attachment_menu",
    ),
    ("id",),
)
_CHAT = _Shape(
    Chat,
    {"id": 1, "type": "private"},
    {
        **_plain("id", "title", "username", "first_name", "last_name", "is_forum"),
        "type": ("type", _enum(ChatType)),
    },
    ("id",),
)
_ENTITY = _Shape(
    MessageEntity,
    {"type": "bold", "offset": 0, "length": 1},
    {**_plain("offset", "length", "url", "language"), "type": ("type", _enum(MessageEntityType))},
    ("type", "offset", "length"),
)


# A keyboard on a message the bot sent comes back with every press on it (the quick log's
# summary): PTB's de_json of three buttons took longer than the rest of the update.
_BUTTON = _Shape(
    InlineKeyboardButton,
    {"text": "x"},
    _plain(
        "text",
        "url",
        "callback_data",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "pay",
        "style",
        "icon_custom_emoji_id",
    ),
    (
        "text",
        "url",
        "login_url",
        "callback_data",
        "web_app",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "callback_game",
        "pay",
        "style",
        "icon_custom_emoji_id",
    ),
)


def _rows(value: Any, bot: Any) -> tuple[tuple[InlineKeyboardButton, ...], ...]:
    return tuple(tuple(_BUTTON.make(button, bot) for button in row) for row in value)


_KEYBOARD = _Shape(
    InlineKeyboardMarkup,
    {"inline_keyboard": []},
    {"inline_keyboard": ("inline_keyboard", _rows)},
    ("inline_keyboard",),
)


def _keyboard(value: Any, bot: Any) -> Any:
    markup = _KEYBOARD.make(value, bot)
    if markup is not None:
        # PTB makes the keyboard itself with its constructor, which sets no bot (its buttons
        # have the bot).
        _set(markup, "_bot", None)
    return markup


def _entities(value: Any, bot: Any) -> tuple[MessageEntity, ...]:
    return () if value is None else tuple(_ENTITY.make(entity, bot) for entity in value)


def _message(value: Any, bot: Any) -> Any:
    # A message too old for Telegram to show (a button pressed on it) comes with date 0, which
    # PTB turns into a date of its own: left to PTB.
    if value is not None and value.get("date") == 0:
        return Message.de_json(value, bot)
    return _MESSAGE.make(value, bot)


_MESSAGE = _Shape(
    Message,
    {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}},
    {
        **_plain("message_id", "text", "caption", "migrate_to_chat_id", "migrate_from_chat_id"),
        "date": ("date", _date),
        "edit_date": ("edit_date", _date),
        "chat": ("chat", _CHAT.make),
        "from": ("from_user", _USER.make),
        "entities": ("entities", _entities),
        "caption_entities": ("caption_entities", _entities),
        "reply_markup": ("reply_markup", _keyboard),
        "reply_to_message": ("reply_to_message", _message),
    },
    ("message_id", "chat"),
)


_CALLBACK = _Shape(
    CallbackQuery,
    {"id": "1", "from": {"id": 1, "is_bot": False, "first_name": "x"}, "chat_instance": "1"},
    {
        **_plain("id", "chat_instance", "data", "inline_message_id", "game_short_name"),
        "from": ("from_user", _USER.make),
        "message": ("message", _message),
    },
    ("id",),
)
_UPDATE = _Shape(
    Update,
    {"update_id": 1},
    {
        "update_id": ("update_id", None),
        "message": ("message", _message),
        "edited_message": ("edited_message", _message),
        "callback_query": ("callback_query", _CALLBACK.make),
        "my_chat_member": ("my_chat_member", _ptb(ChatMemberUpdated)),
    },
    ("update_id",),
)


def update_from(data: dict[str, Any], bot: Any) -> Update:
    """``Update.de_json(data, bot)``, the same object, cheaper for the common updates."""
    update: Update = _UPDATE.make(data, bot)
    return update
