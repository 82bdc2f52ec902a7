"""bot.http's JSON both ways (orjson): the same JSON as PTB's for every shape Sigap sends and
reads, PTB's own answer where orjson refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.http import AiohttpRequest, json_body


def _data(**params: Any) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


def _read(body: bytes) -> dict[str, Any]:
    """A body as Telegram reads it: each value that is JSON text read too."""

    def value(text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError:
            return text

    return {name: value(text) for name, text in json.loads(body).items()}


@pytest.mark.parametrize(
    "params",
    [
        {"chat_id": 123456789, "text": "Selamat pagi", "parse_mode": ParseMode.HTML},
        # Non-ASCII and emoji: UTF-8 here, \\u escapes in PTB's; the same strings once read.
        {"chat_id": -1001234, "text": "✅ Simpan — «ok» 😀 ß", "message_id": 7},
        {
            "chat_id": 1,
            "text": "x",
            "reply_markup": InlineKeyboardMarkup([[InlineKeyboardButton("✅", callback_data="s")]]),
            "entities": [MessageEntity("bold", 0, 1)],
            "disable_notification": True,
            "until_date": datetime(2026, 1, 2, tzinfo=UTC),
            "latitude": 3.5,
            "caption": None,  # dropped, as PTB drops it
        },
        {"chat_id": 1, "reply_markup": '{"inline_keyboard": [[{"text": "é"}]]}'},
        {"offset": 5, "timeout": 30, "allowed_updates": ["message", "callback_query"]},
        {},
    ],
)
def test_the_body_is_ptbs_json(params: dict[str, Any]) -> None:
    data = _data(**params)
    body = json_body(data)
    assert _read(body) == _read(data.json_payload)
    # Every value that is not a string is its JSON text, as PTB sends it.
    for name, value in json.loads(body).items():
        assert isinstance(value, str), name


@pytest.mark.parametrize(
    "params",
    [{"text": "half a pair \ud800"}, {"chat_id": 1, "options": {1: "a"}}, {"big": 2**70}],
)
def test_what_orjson_refuses_is_written_by_ptb(params: dict[str, Any]) -> None:
    data = _data(**params)
    assert json_body(data) == data.json_payload


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ok":true,"result":[{"update_id":1,"message":{"text":"\\u00e9 \xc3\xa9 \xf0\x9f'
        b'\x98\x80"}}]}',
        b'{"ok":true,"result":true}',
        b'{"ok":false,"error_code":429,"parameters":{"retry_after":3},"description":"Too"}',
        b'{"ok":true,"result":{"id":-1009223372036854775,"big":18446744073709551615}}',
        # Not UTF-8, NaN: orjson refuses, PTB reads them.
        b'{"ok":true,"result":"\xff\xfe"}',
        b'{"ok":true,"result":NaN}',
    ],
)
def test_answers_read_as_ptb_reads_them(payload: bytes) -> None:
    ours = AiohttpRequest.parse_json_payload(payload)
    theirs = BaseRequest.parse_json_payload(payload)
    assert repr(ours) == repr(theirs)  # repr: NaN is not equal to itself


@pytest.mark.parametrize("payload", [b"<html>Bad Gateway</html>", b"", b'{"ok":'])
def test_no_json_is_ptbs_telegram_error(payload: bytes) -> None:
    with pytest.raises(TelegramError, match="Invalid server response"):
        AiohttpRequest.parse_json_payload(payload)
