"""Typed button data: each handler module declares the data of its buttons once, as a
``CallbackData`` with the module's prefix, and packs and unpacks presses through it instead of
splitting strings by hand.

On the wire the data keeps the format Sigap has always sent (``apv:day:12:20261124:0``,
``f:7:c:3``, ``lang:en``): buttons already in people's chats, and rows already waiting in the
outbox, must keep working after an upgrade. This module changes how the strings are made and
read, never what they look like.

The data is ``<prefix>[:<verb>]:<field>...``; each verb (or the family, when it has no verbs)
has a shape, one letter per field:

``n``  a number an id column can hold (``domain.ids.parse_id``)
``d``  a day, ``yyyymmdd``
``s``  the rest of the data as it is, colons and all (the last field only)
``?``  after the last letter: that field may be left out

Telegram carries at most 64 bytes: ``pack`` refuses longer data (a programming error the tests
find), and ``unpack`` returns None for anything that does not fit a shape (a forged, garbled or
out-of-date press), which the handler answers as a stale button.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from domain.approvals import day_code, parse_day
from domain.ids import parse_id

MAX_BYTES = 64  # Telegram's limit on callback_data
_KINDS = frozenset("nds")
_PACKED_KEPT = 4096  # per family, valid data remembered by ``pack``


@dataclass(frozen=True)
class Press:
    """An unpacked press: ``apv:day:12:20261124:0`` → verb "day", numbers (12, 0), the day."""

    verb: str  # "" in a family without verbs
    numbers: tuple[int, ...] = ()
    day: date | None = None
    text: str | None = None  # an ``s`` field


def _check_shape(shape: str) -> None:
    kinds = shape.removesuffix("?")
    if not set(kinds) <= _KINDS or "s" in kinds[:-1] or (shape.endswith("?") and not kinds):
        raise ValueError(f"bad shape {shape!r}")
    if kinds.count("d") > 1 or kinds.count("s") > 1:
        raise ValueError(f"at most one day and one text field: {shape!r}")


class CallbackData:
    """The buttons of one module: ``CallbackData("apv", {"ok": "n", "day": "ndn"})``, or
    ``CallbackData("f", "ns")`` for a family without verbs."""

    def __init__(self, prefix: str, shapes: Mapping[str, str] | str) -> None:
        if not prefix or ":" in prefix:
            raise ValueError(f"bad prefix {prefix!r}")
        self.prefix = prefix
        self._verbs = None if isinstance(shapes, str) else dict(shapes)
        for shape in [shapes] if isinstance(shapes, str) else shapes.values():
            _check_shape(shape)
        self._shape = shapes if isinstance(shapes, str) else ""
        self._packed: set[str] = set()  # data ``pack`` has already found valid

    def __repr__(self) -> str:
        return f"CallbackData({self.prefix!r})"

    @property
    def verbs(self) -> tuple[str, ...]:
        """The verbs this data knows (none for a prefix with one shape)."""
        return tuple(self._verbs or ())

    @property
    def pattern(self) -> str:
        """For PTB's ``CallbackQueryHandler``: every press of this family, good or garbled, goes
        to the module's handler, which checks access first and then answers a bad one."""
        return f"^{re.escape(self.prefix)}:"

    def pack(self, *parts: str | int | date | None) -> str:
        """``pack("day", 12, date(2026, 11, 24), 0)`` → ``apv:day:12:20261124:0``. A part that
        does not fit (None: a row not yet stored) is refused."""
        fields = [day_code(p) if isinstance(p, date) else str(p) for p in parts]
        data = ":".join([self.prefix, *fields])
        if data in self._packed:
            return data
        if len(data.encode()) > MAX_BYTES or self.unpack(data) is None:
            raise ValueError(f"{data!r} is not valid button data of {self!r}")
        # Checked once: the same data comes round for every person at the same step (the
        # citizen's offer, "f:1:k:complaint"), and checking it again was 3 % of the bot's
        # time on that path (bench/paths.py). Bounded: ids and days make the rest unique.
        if len(self._packed) >= _PACKED_KEPT:
            self._packed.clear()
        self._packed.add(data)
        return data

    def unpack(self, data: str | None) -> Press | None:
        if data is None or len(data.encode()) > MAX_BYTES:
            return None
        head, colon, rest = data.partition(":")
        if head != self.prefix or not colon:
            return None
        verb, args = "", rest
        shape = self._shape
        if self._verbs is not None:
            verb, colon, args = rest.partition(":")
            verb_shape = self._verbs.get(verb)
            if verb_shape is None:
                return None
            shape = verb_shape
            if not colon:
                return _fields(verb, shape, [])
        return _fields(verb, shape, _split(args, shape))


def _split(args: str, shape: str) -> list[str]:
    kinds = shape.removesuffix("?")
    if kinds.endswith("s"):
        return args.split(":", len(kinds) - 1)
    return args.split(":")


def _fields(verb: str, shape: str, args: list[str]) -> Press | None:
    kinds = shape.removesuffix("?")
    if not (len(args) == len(kinds) or (shape.endswith("?") and len(args) == len(kinds) - 1)):
        return None
    numbers: list[int] = []
    day = text = None
    for kind, arg in zip(kinds, args, strict=False):
        if kind == "n":
            number = parse_id(arg)
            if number is None:
                return None
            numbers.append(number)
        elif kind == "d":
            day = parse_day(arg)
            if day is None:
                return None
        else:
            text = arg
    return Press(verb, tuple(numbers), day, text)
