"""What handlers can reach: settings, the database, the clock. Built once by the composition root
and handed to PTB as ``bot_data`` so nothing is global."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Texts, texts
from bot.settings import Settings
from domain.access import Actor
from domain.clock import Clock, SystemClock
from models import conversation as conversation_store
from models.db import Database
from models.identity import IdentityCache
from models.tables import Conversation


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    bot_username: str = ""
    identities: IdentityCache = field(default_factory=lambda: IdentityCache(ttl=60))

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def today(self) -> date:
        """Today in the office's time zone (the clock is UTC)."""
        return self.clock.now().astimezone(self.timezone).date()


_UNSET = object()


class SigapContext(CallbackContext[ExtBot[None], dict, dict, dict]):  # type: ignore[type-var]
    """PTB's context plus who is talking and the conversation they are in.

    PTB builds one context per update and reuses it across handler groups, so what the
    group -1 loader stores here is seen by the handler that answers.
    """

    def __init__(
        self,
        application: Application,
        chat_id: int | None = None,  # type: ignore[type-arg]
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._actor: Actor | None = None
        self._conversation: object = _UNSET

    @property
    def services(self) -> Services:
        return self.bot_data["services"]  # type: ignore[no-any-return]

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            raise RuntimeError("actor not loaded: the loader handler did not run for this update")
        return self._actor

    @actor.setter
    def actor(self, value: Actor) -> None:
        self._actor = value

    @property
    def has_actor(self) -> bool:
        return self._actor is not None

    @property
    def texts(self) -> Texts:
        language = self._actor.language if self._actor else self.services.settings.default_language
        return texts(language)

    async def conversation(self, chat_id: int, user_id: int) -> Conversation | None:
        """The open conversation of this person in this chat, read once per update."""
        if self._conversation is _UNSET:
            self._conversation = await conversation_store.load(self.services.db, chat_id, user_id)
        return self._conversation  # type: ignore[return-value]

    def forget_conversation(self, value: Conversation | None = None) -> None:
        self._conversation = value
