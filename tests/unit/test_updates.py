"""``bot.updates.update_from`` makes the very objects PTB's ``Update.de_json`` makes: the same
class and every attribute equal (the private ones too: the identity ``==`` uses, the bot, the
caches of ``effective_*``), for the shapes it makes itself and for those it leaves to PTB."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram import TelegramObject, Update
from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

from bot.updates import update_from

PERSON = {"id": 6000001, "is_bot": False, "first_name": "Warga", "language_code": "id"}
BOT = {"id": 42, "is_bot": True, "first_name": "Sigap", "username": "sigap_bot"}
PRIVATE = {"id": 6000001, "type": "private", "first_name": "Warga", "last_name": "Kota"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Meja aduan"}
SENT = {
    "message_id": 7,
    "from": BOT,
    "chat": PRIVATE,
    "date": 1764700000,
    "edit_date": 1764700005,
    "text": "Ringkasan: Rapat 2 jam",
    "entities": [{"type": "bold", "offset": 0, "length": 9}],
    "reply_markup": {"inline_keyboard": [[{"text": "✅ Simpan", "callback_data": "ql:save:1"}]]},
}
TEXT = {"message_id": 10, "from": PERSON, "chat": PRIVATE, "date": 1764700000, "text": "halo"}

PAYLOADS: list[dict[str, Any]] = [
    {"update_id": 1, "message": TEXT},
    {
        "update_id": 2,
        "message": {
            **TEXT,
            "text": "/start abc",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    },
    {"update_id": 3, "edited_message": {**TEXT, "edit_date": 1764700100}},
    {
        "update_id": 4,
        "callback_query": {
            "id": "99",
            "from": PERSON,
            "message": SENT,
            "chat_instance": "123",
            "data": "ql:save:1",
        },
    },
    {  # a press on a message too old to show: PTB's InaccessibleMessage
        "update_id": 5,
        "callback_query": {
            "id": "100",
            "from": PERSON,
            "message": {"message_id": 3, "chat": PRIVATE, "date": 0},
            "chat_instance": "123",
            "data": "x",
        },
    },
    {
        "update_id": 6,
        "message": {
            "message_id": 11,
            "from": PERSON,
            "chat": GROUP,
            "date": 1764700000,
            "text": "sudah ditangani",
            "reply_to_message": SENT | {"chat": GROUP},
        },
    },
    {  # a kind of entity newer than PTB's constants, and a chat type it does not know
        "update_id": 7,
        "message": {
            **TEXT,
            "chat": {"id": 5, "type": "newkind"},
            "entities": [{"type": "sparkle", "offset": 0, "length": 2}],
        },
    },
    {  # a field this module does not list: PTB's own de_json, api_kwargs and all
        "update_id": 8,
        "message": {**TEXT, "from": {**PERSON, "future_field": True}, "sticker_set": "x"},
    },
    {  # a photo: left to PTB
        "update_id": 9,
        "message": {
            **TEXT,
            "photo": [{"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1}],
        },
    },
    {
        "update_id": 10,
        "my_chat_member": {
            "chat": PRIVATE,
            "from": PERSON,
            "date": 1764700000,
            "old_chat_member": {"user": BOT, "status": "member"},
            "new_chat_member": {"user": BOT, "status": "kicked", "until_date": 0},
        },
    },
    {"update_id": 11, "poll": {"id": "p"}},  # incomplete: PTB's error, not a guess
    {  # a press on a keyboard of rows, a link, and a button of a kind not listed (PTB's)
        "update_id": 12,
        "callback_query": {
            "id": "101",
            "from": PERSON,
            "message": SENT
            | {
                "reply_markup": {
                    "inline_keyboard": [
                        [
                            {"text": "✅ Simpan", "callback_data": "ql:save:1"},
                            {"text": "✏️ Ubah", "callback_data": "ql:edit:1"},
                        ],
                        [{"text": "Bantuan", "url": "https://example.org/"}],
                        [{"text": "Salin", "copy_text": {"text": "KTP-1"}}],
                    ]
                }
            },
            "chat_instance": "123",
            "data": "ql:edit:1",
        },
    },
]


def _slots(obj: object) -> dict[str, object]:
    names = dict.fromkeys(
        name for cls in type(obj).__mro__ for name in getattr(cls, "__slots__", ())
    )
    return {name: getattr(obj, name) for name in names if hasattr(obj, name)}


def _same(made: object, expected: object, where: str) -> None:
    assert type(made) is type(expected), where
    if isinstance(expected, TelegramObject):
        mine, ptb = _slots(made), _slots(expected)
        assert mine.keys() == ptb.keys(), where
        for name, value in ptb.items():
            _same(mine[name], value, f"{where}.{name}")
    elif isinstance(expected, tuple):
        assert isinstance(made, tuple) and len(made) == len(expected), where
        for n, (a, b) in enumerate(zip(made, expected, strict=True)):
            _same(a, b, f"{where}[{n}]")
    elif isinstance(expected, ExtBot):
        assert made is expected, where
    else:
        assert made == expected, where
        if hasattr(expected, "__dict__") or isinstance(expected, dict):
            return
        assert repr(made) == repr(expected), where  # ChatType.PRIVATE, not "private"


@pytest.mark.parametrize("bot", ["none", "defaults"])
@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: str(p["update_id"]))
def test_the_same_objects_as_ptb(payload: dict[str, Any], bot: str) -> None:
    ext = (
        None
        if bot == "none"
        else ExtBot(
            "1:x",
            defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo("Asia/Jakarta")),
        )
    )
    try:
        expected = Update.de_json(payload, ext)
    except Exception as exc:
        with pytest.raises(type(exc)):
            update_from(payload, ext)
        return
    made = update_from(payload, ext)
    _same(made, expected, "update")
    assert made.to_dict() == expected.to_dict()
    assert made == expected and made.effective_chat == expected.effective_chat
    with pytest.raises(AttributeError):
        made.update_id = 5  # frozen, as PTB's
