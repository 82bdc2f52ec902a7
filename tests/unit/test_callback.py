"""Typed button data: packing and unpacking keep today's wire format, and anything that does not
fit a declared shape (forged, garbled, too long) unpacks to None."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.callback import CallbackData, Press

TUESDAY = date(2026, 11, 24)
APV = CallbackData("apv", {"open": "", "ok": "n", "day": "ndn"})


def test_unpack_accepts_only_the_declared_shapes() -> None:
    assert APV.unpack("apv:open") == Press("open")
    assert APV.unpack("apv:ok:17") == Press("ok", (17,))
    assert APV.unpack("apv:day:3:20261124:1") == Press("day", (3, 1), TUESDAY)
    for forged in (
        "apv:ok",
        "apv:ok:-1",
        "apv:ok:1:2",
        "apv:ok:abc",
        "apv:ok:²",
        "apv:ok:" + "9" * 13,
        "apv:open:",
        "apv:day:3:20261332:1",
        "apv:drop:1",
        "apv",
        "tim:ok:1",
        "",
        None,
    ):
        assert APV.unpack(forged) is None, forged


def test_pack_writes_the_format_people_already_have_in_their_chats() -> None:
    assert APV.pack("open") == "apv:open"
    assert APV.pack("day", 3, TUESDAY, 1) == "apv:day:3:20261124:1"
    flow = CallbackData("f", "ns")
    assert flow.pack(7, "q:2026:4") == "f:7:q:2026:4"
    assert flow.unpack("f:7:q:2026:4") == Press("", (7,), text="q:2026:4")
    assert flow.unpack("f:x:c:1") is None and flow.unpack("f:7") is None
    times = CallbackData("remt", "s")
    assert times.unpack("remt:13:00") == Press("", text="13:00")


def test_an_optional_last_field() -> None:
    desk = CallbackData("desk", {"assign": "nn?", "back": "n"})
    assert desk.unpack("desk:assign:5") == Press("assign", (5,))
    assert desk.unpack("desk:assign:5:9") == Press("assign", (5, 9))
    assert desk.unpack("desk:assign") is None and desk.unpack("desk:back:5:9") is None


def test_pack_refuses_what_unpack_would_refuse() -> None:
    with pytest.raises(ValueError):
        APV.pack("ok", -1)
    with pytest.raises(ValueError):
        APV.pack("drop", 1)
    with pytest.raises(ValueError):  # over Telegram's 64 bytes
        CallbackData("f", "ns").pack(1, "x" * 70)
    with pytest.raises(ValueError):
        CallbackData("bad:prefix", "n")
    with pytest.raises(ValueError):
        CallbackData("x", {"v": "sn"})  # text only as the last field


def test_pack_remembers_only_data_it_found_valid() -> None:
    family = CallbackData("f", "ns")
    assert family.pack(1, "k:complaint") == family.pack(1, "k:complaint") == "f:1:k:complaint"
    for _ in range(2):  # refused every time: a refusal is never remembered as valid
        with pytest.raises(ValueError):
            family.pack(-1, "k:complaint")
