"""The demo people in the emulator, and what the page lets them do: write, press a button,
share a location or their phone number, upload a photo or a file. Every action goes through
the emulator's client side, exactly as the tests drive the bot.

A persona is a private chat (a user) or the desk group, where one of its members writes."""

from __future__ import annotations

from typing import Any

from emulator import BotApiEmulator, ChatView, EmulatedGroup, EmulatedUser
from sandbox.personas import PERSONAS, Persona, persona

MAX_TEXT = 4096  # Telegram's limit for one message
FAKE_PHONE = "+62812000{:04d}"


class ApiProblem(Exception):
    """A request the page should not have made: its status and one line for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class People:
    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.users: dict[str, EmulatedUser] = {}
        self.group: EmulatedGroup | None = None
        # Who pressed a button (callback query id → persona): the bot's answer is a toast in
        # that persona's chat.
        self.query_persona: dict[str, str] = {}
        self.hidden_keyboards: dict[int, int] = {}  # chat id → id() of a used one-time keyboard

    def create(self) -> None:
        """Every persona in the emulator (the emulator is started)."""
        for p in PERSONAS:
            if p.is_group:
                self.group = self.emulator.group(p.name, privacy_mode=True)
            else:
                self.users[p.key] = self.emulator.user(
                    first_name=p.first_name, last_name=p.last_name, user_id=p.user_id
                )

    # -- who is who ------------------------------------------------------------------------

    def persona(self, key: str) -> Persona:
        found = persona(key)
        if found is None:
            raise ApiProblem(404, f"no persona {key!r}")
        return found

    def view_of(self, p: Persona) -> EmulatedUser | EmulatedGroup:
        if p.is_group:
            assert self.group is not None
            return self.group
        return self.users[p.key]

    def chat_id(self, p: Persona) -> int:
        return self.view_of(p).chat_id

    def view_by_chat_id(self, chat_id: int) -> EmulatedUser | EmulatedGroup | None:
        if self.group is not None and chat_id == self.group.chat_id:
            return self.group
        return next((u for u in self.users.values() if u.id == chat_id), None)

    def _actor(self, p: Persona, as_key: str | None) -> EmulatedUser:
        """Who writes: the persona itself, or for a group one of its members."""
        if not p.is_group:
            return self.users[p.key]
        key = as_key or p.members[0]
        if key not in p.members:
            raise ApiProblem(400, f"{key!r} is not a member of {p.name}")
        return self.users[key]

    def _group_of(self, p: Persona) -> EmulatedGroup | None:
        """The chat to write in when it is not the actor's private chat with the bot."""
        return self.group if p.is_group else None

    def _used_keyboard(self, view: ChatView, text: str | None) -> None:
        """A one-time reply keyboard hides once one of its buttons is used, as in Telegram
        (``text`` None: a location or contact button)."""
        markup = view.keyboard_markup
        if not markup or not markup.get("one_time_keyboard"):
            return
        labels = {
            b if isinstance(b, str) else b.get("text") for row in markup["keyboard"] for b in row
        }
        if text is None or text in labels:
            self.hidden_keyboards[view.chat_id] = id(markup)

    # -- actions ---------------------------------------------------------------------------

    async def send_text(
        self, key: str, text: object, *, reply_to: int | None, as_key: str | None
    ) -> dict[str, Any]:
        p = self.persona(key)
        text = text if isinstance(text, str) else ""
        if not text.strip():
            raise ApiProblem(400, "Pesan kosong tidak dikirim.")
        if len(text) > MAX_TEXT:
            raise ApiProblem(400, f"Pesan terlalu panjang (maksimal {MAX_TEXT} karakter).")
        actor = self._actor(p, as_key)
        self._used_keyboard(self.view_of(p), text)
        try:
            return await actor.send(text, chat=self._group_of(p), reply_to=reply_to)
        except LookupError as exc:
            raise ApiProblem(404, str(exc)) from None

    async def press(self, key: str, message_id: int, data: str, *, as_key: str | None) -> str:
        p = self.persona(key)
        actor = self._actor(p, as_key)
        try:
            query_id = await actor.press(
                callback_data=data, message_id=message_id, chat=self._group_of(p), forge=False
            )
        except (LookupError, ValueError) as exc:
            raise ApiProblem(409, str(exc)) from None
        self.query_persona[query_id] = key
        return query_id

    async def share_location(
        self, key: str, latitude: float, longitude: float, *, as_key: str | None
    ) -> dict[str, Any]:
        p = self.persona(key)
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ApiProblem(400, "Lintang harus -90..90 dan bujur -180..180.")
        self._used_keyboard(self.view_of(p), None)
        return await self._actor(p, as_key).share_location(
            latitude, longitude, chat=self._group_of(p)
        )

    async def share_contact(self, key: str, *, as_key: str | None) -> dict[str, Any]:
        p = self.persona(key)
        actor = self._actor(p, as_key)
        self._used_keyboard(self.view_of(p), None)
        phone = FAKE_PHONE.format(actor.id % 10_000)
        return await actor.share_contact(phone, chat=self._group_of(p))

    async def upload(
        self,
        key: str,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        as_photo: bool,
        caption: str | None,
        as_key: str | None,
    ) -> dict[str, Any]:
        p = self.persona(key)
        actor = self._actor(p, as_key)
        chat = self._group_of(p)
        if as_photo:
            return await actor.send_photo(data, caption=caption, chat=chat)
        return await actor.send_document(
            data, file_name=file_name, mime_type=mime_type, caption=caption, chat=chat
        )
