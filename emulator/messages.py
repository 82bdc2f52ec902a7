"""What a test sees of the messages the bot sent: :class:`BotMessage`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.textparse.entities import utf16_slice

__all__ = ["BotMessage", "ReplyButton"]


class ReplyButton(str):
    """A reply-keyboard button: compares equal to its text, and knows what it requests.

    Being a ``str`` keeps the common assertion short (``msg.reply_keyboard == [["Ya", "Tidak"]]``)
    while ``button.request_location`` still tells a location button from a text button.
    """

    request_location: bool
    request_contact: bool
    raw: dict[str, Any]

    def __new__(cls, button: str | dict[str, Any]) -> ReplyButton:
        raw = {"text": button} if isinstance(button, str) else dict(button)
        self = super().__new__(cls, str(raw.get("text", "")))
        self.raw = raw
        self.request_location = bool(raw.get("request_location"))
        self.request_contact = bool(raw.get("request_contact"))
        return self


@dataclass(eq=False, slots=True)
class BotMessage:
    """A message the bot sent.

    The objects in a chat's ``messages``/``last`` are live: they follow the bot's edits and
    deletes. ``wait_for``/``wait_for_edit`` hand out snapshots instead (``live`` is False), so a
    test can still look at a message as it arrived after the bot has changed it.

    ``raw`` is the Bot API ``Message`` exactly as Telegram returned it to the bot; the
    properties are shortcuts for assertions.
    """

    raw: dict[str, Any]
    source_text: str | None = None
    parse_mode: str | None = None
    sent_markup: dict[str, Any] | None = None
    edit_count: int = 0
    deleted: bool = False
    live: bool = True
    # Earlier versions of ``raw`` (oldest first), kept only once the bot edits the message:
    # a stale press of a button that an edit took away must still know its callback_data.
    history: list[dict[str, Any]] | None = None

    def snapshot(self) -> BotMessage:
        """A frozen copy of the message as it is now (raw dicts are never changed in place)."""
        return BotMessage(
            self.raw,
            self.source_text,
            self.parse_mode,
            self.sent_markup,
            self.edit_count,
            self.deleted,
            live=False,
        )

    @property
    def message_id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def chat_id(self) -> int:
        return int(self.raw["chat"]["id"])

    @property
    def date(self) -> int:
        return int(self.raw["date"])

    @property
    def text(self) -> str:
        """The text the user reads: entities parsed out; a media message's caption; or ``""``."""
        value = self.raw.get("text")
        if value is None:
            value = self.raw.get("caption", "")
        return str(value)

    @property
    def caption(self) -> str | None:
        return self.raw.get("caption")

    @property
    def html(self) -> str | None:
        """The text or caption exactly as the bot sent it, markup included (any parse_mode)."""
        return self.source_text

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    def entity_texts(self, entity_type: str) -> list[str]:
        """The pieces of text covered by entities of one type, e.g. ``entity_texts("bold")``."""
        return [
            utf16_slice(self.text, entity["offset"], entity["length"])
            for entity in self.entities
            if entity["type"] == entity_type
        ]

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        """The markup as the bot sent it, any kind. (``raw`` only echoes inline keyboards,
        as Telegram does.)"""
        return self.sent_markup

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as ``(text, callback_data or url)`` pairs."""
        markup = self.raw.get("reply_markup") or {}
        rows: list[list[tuple[str, str | None]]] = []
        for row in markup.get("inline_keyboard", []):
            rows.append(
                [
                    (str(button.get("text", "")), button.get("callback_data", button.get("url")))
                    for button in row
                ]
            )
        return rows

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    @property
    def reply_keyboard(self) -> list[list[ReplyButton]] | None:
        """Reply keyboard rows, or ``None`` when this message did not send one."""
        markup = self.sent_markup or {}
        if "keyboard" not in markup:
            return None
        return [[ReplyButton(button) for button in row] for row in markup["keyboard"]]

    @property
    def remove_keyboard(self) -> bool:
        return bool((self.sent_markup or {}).get("remove_keyboard"))

    @property
    def photo(self) -> list[dict[str, Any]] | None:
        return self.raw.get("photo")

    @property
    def document(self) -> dict[str, Any] | None:
        return self.raw.get("document")

    @property
    def location(self) -> dict[str, Any] | None:
        return self.raw.get("location")

    @property
    def reply_to_message_id(self) -> int | None:
        replied = self.raw.get("reply_to_message")
        return int(replied["message_id"]) if replied else None

    @property
    def edited(self) -> bool:
        return self.edit_count > 0

    def __repr__(self) -> str:
        parts = [f"#{self.message_id}"]
        if self.text:
            text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
            parts.append(repr(text))
        for kind in ("photo", "document", "location"):
            if kind in self.raw:
                parts.append(f"<{kind}>")
        if self.button_texts:
            parts.append(f"buttons={self.button_texts}")
        if self.edited:
            parts.append(f"edited x{self.edit_count}")
        if self.deleted:
            parts.append("deleted")
        if not self.live:
            parts.append("snapshot")
        return f"BotMessage({' '.join(parts)})"
