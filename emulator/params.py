"""One Bot API request's parameters: how they arrive (query, form, JSON or multipart) and how
the methods read them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from emulator.errors import bad_request

__all__ = ["Described", "Params", "UploadedFile", "decode_params"]

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


class UploadedFile(NamedTuple):
    """A file part of a multipart request, as recorded in :attr:`BotApiEmulator.calls`."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass(slots=True)
class Described:
    """A successful result that Telegram accompanies with a description ("Webhook was set")."""

    result: Any
    description: str


def decode_params(raw: dict[str, Any]) -> dict[str, Any]:
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
