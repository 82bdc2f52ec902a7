"""Each persona's chat as the page shows it: messages as JSON with safe HTML, times on the
sandbox clock, buttons and the reply keyboard; and the chats of earlier runs, saved to the data
folder and shown again (read-only) after a restart, since the emulator keeps chats in memory."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from emulator import EmulatedGroup, EmulatedUser
from sandbox.clock import SandboxClock
from sandbox.people import People
from sandbox.personas import PERSONAS, Persona, persona
from sandbox.render import entities_to_html

Json = dict[str, Any]


@dataclass(frozen=True)
class _Reading:
    """What showing the messages of one chat needs, worked out once per chat."""

    chat_id: int
    is_group: bool
    bot_id: int
    me: frozenset[int]  # the persona's own users: their messages are "out"
    keys: dict[int, str]  # user id → persona key
    retexted: frozenset[int]  # message ids whose text changed ("edited")
    markups: dict[int, Json | None]  # message id → the markup the bot sent


class Chats:
    def __init__(self, people: People, clock: SandboxClock, zone: Callable[[], ZoneInfo]) -> None:
        self.people = people
        self.clock = clock
        self.zone = zone
        # When each message arrived, on the sandbox clock (the emulator stamps real time).
        self._stamps: dict[tuple[int, int], datetime] = {}
        # Chats of earlier runs: shown above the live ones, read-only.
        self.archive: dict[str, list[Json]] = {}

    def stamp(self, chat_id: int, message_id: int) -> datetime:
        key = (chat_id, message_id)
        if key not in self._stamps:
            self._stamps[key] = self.clock.now()
        return self._stamps[key]

    def stamp_new(self, view: EmulatedUser | EmulatedGroup) -> None:
        for raw in view.history:
            self.stamp(view.chat_id, int(raw["message_id"]))

    def chat_json(self, p: Persona) -> Json:
        view = self.people.view_of(p)
        users = self.people.users
        reading = _Reading(
            chat_id=view.chat_id,
            is_group=p.is_group,
            bot_id=self.people.emulator.bot_id,
            me=frozenset(users[k].id for k in (p.members if p.is_group else (p.key,))),
            keys={user.id: key for key, user in users.items()},
            # Telegram marks a message "edited" when its text changed, not for a new keyboard.
            retexted=frozenset(
                m.message_id
                for m in view.messages
                if any(_shown_text(old) != _shown_text(m.raw) for old in m.history or ())
            ),
            markups={m.message_id: m.reply_markup for m in view.messages},
        )
        messages = [self._message(raw, reading) for raw in view.history]
        return {
            "persona": p.key,
            "title": p.name,
            "subtitle": p.role,
            "is_group": p.is_group,
            "members": [{"key": k, "name": self.people.persona(k).name} for k in p.members],
            "messages": [*self.archive.get(p.key, []), *messages],
            "keyboard": self._keyboard(view),
        }

    def _message(self, raw: Json, reading: _Reading) -> Json:
        message_id = int(raw["message_id"])
        sender = raw.get("from") or {}
        from_bot = sender.get("id") == reading.bot_id
        shown = self.stamp(reading.chat_id, message_id).astimezone(self.zone())
        item: Json = {
            "id": message_id,
            "out": not from_bot and sender.get("id") in reading.me,
            "from_bot": from_bot,
            "sender_key": reading.keys.get(sender["id"]) if "id" in sender else None,
            "sender": " ".join(x for x in (sender.get("first_name"), sender.get("last_name")) if x),
            "time": shown.strftime("%H.%M"),
            "edited": message_id in reading.retexted,
        }
        if not from_bot and not reading.is_group and raw.get("text", "").startswith("/start "):
            # An invite link opens the chat with "/start <token>"; Telegram shows "/start".
            item["html"] = entities_to_html("/start", [_command(6)])
        elif "text" in raw:
            item["html"] = entities_to_html(raw["text"], raw.get("entities"))
        elif raw.get("caption"):
            item["html"] = entities_to_html(raw["caption"], raw.get("caption_entities"))
        item.update(_attachments(raw))
        rows = (raw.get("reply_markup") or {}).get("inline_keyboard") or []
        if rows:
            item["buttons"] = [
                [
                    {"text": b.get("text", ""), "data": b.get("callback_data"), "url": b.get("url")}
                    for b in row
                ]
                for row in rows
            ]
        markup = reading.markups.get(message_id) or {}
        if markup.get("force_reply"):
            item["force_reply"] = True
            item["placeholder"] = markup.get("input_field_placeholder")
        return item

    def _keyboard(self, view: EmulatedUser | EmulatedGroup) -> Json | None:
        """The reply keyboard under the input field, unless a one-time one was used."""
        markup = view.keyboard_markup
        if markup is None or self.people.hidden_keyboards.get(view.chat_id) == id(markup):
            return None
        return {
            "rows": [
                [
                    {
                        "text": b if isinstance(b, str) else b.get("text", ""),
                        "request_location": isinstance(b, dict) and bool(b.get("request_location")),
                        "request_contact": isinstance(b, dict) and bool(b.get("request_contact")),
                    }
                    for b in row
                ]
                for row in markup.get("keyboard", [])
            ],
            "placeholder": markup.get("input_field_placeholder"),
        }

    # -- earlier runs ----------------------------------------------------------------------

    def load_archive(self, path: Path, now_shown: str) -> None:
        self.archive = load_history(path, now_shown)

    def history_json(self) -> str:
        """Every persona's chat as the page shows it, for the next run (read-only there)."""
        chats = {p.key: [archived(m) for m in self.chat_json(p)["messages"]] for p in PERSONAS}
        return json.dumps(chats, ensure_ascii=False)


def _attachments(raw: Json) -> Json:
    """What a message carries besides its text, with links to the page's file API."""
    item: Json = {}
    if raw.get("photo"):
        biggest = raw["photo"][-1]
        item["photo"] = {
            "url": _file_url(biggest["file_id"]),
            "width": biggest.get("width"),
            "height": biggest.get("height"),
        }
    if raw.get("document"):
        document = raw["document"]
        item["document"] = {
            "url": _file_url(document["file_id"]),
            "name": document.get("file_name") or "berkas",
            "size": document.get("file_size") or 0,
        }
    if raw.get("location"):
        item["location"] = raw["location"]
    if raw.get("contact"):
        item["contact"] = {"phone": raw["contact"].get("phone_number", "")}
    if raw.get("sticker"):
        item["sticker"] = raw["sticker"].get("emoji", "")
    if raw.get("voice"):
        item["voice"] = raw["voice"].get("duration", 0)
    replied = raw.get("reply_to_message")
    if replied:
        who = replied.get("from") or {}
        item["reply_to"] = {
            "id": replied.get("message_id"),
            "sender": who.get("first_name", ""),
            "text": (replied.get("text") or replied.get("caption") or "")[:120],
        }
    return item


def archived(item: Json) -> Json:
    """A message of an earlier run: no buttons, and no files (they lived in that run's memory)."""
    kept = {k: v for k, v in item.items() if k not in ("buttons", "force_reply", "placeholder")}
    if "service" in kept:
        return kept
    kept["archived"] = True
    if "photo" in kept:
        kept["photo"] = {**kept["photo"], "url": None}
    if "document" in kept:
        kept["document"] = {**kept["document"], "url": None}
    return kept


def load_history(path: Path, now_shown: str) -> dict[str, list[Json]]:
    try:
        chats = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(chats, dict):
        return {}
    result: dict[str, list[Json]] = {}
    for key, items in chats.items():
        if isinstance(items, list) and items and persona(str(key)) is not None:
            mark = {"service": f"Sandbox dijalankan lagi · {now_shown}"}
            result[str(key)] = [i for i in items if isinstance(i, dict)] + [mark]
    return result


def _file_url(file_id: str) -> str:
    return f"/api/file/{file_id}"


def _shown_text(raw: Json) -> str | None:
    return raw.get("text", raw.get("caption"))


def _command(length: int) -> Json:
    return {"type": "bot_command", "offset": 0, "length": length}
