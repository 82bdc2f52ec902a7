"""The per-update context handlers receive, and the typed ``bot_data`` behind it.

PTB makes ``bot_data`` from ``ContextTypes(bot_data=...)`` with no arguments when the Application
is built; the composition root (``bot.app.build_application``) then fills it in. Handlers read
it only as attributes of ``BotData`` (``context.services``, ``context.bot_data.command_menu``),
never by string keys.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import BotCommand
from telegram.ext import Application, CallbackContext, ExtBot

from domain.access import Actor, Audience
from models import conversation as conversation_store
from models.tables import Conversation
from services import Services
from texts import Texts, texts


def _no_commands(audiences: Sequence[Audience], language: str) -> list[BotCommand]:
    return []


@dataclass(eq=False)
class BotData:
    """What every handler can reach besides the update. One object per Application."""

    services: Services | None = None
    # Telegram's command menu for a person's audiences and language, built by the root from the
    # handler modules' route tables (``handlers.routes.commands_for``).
    command_menu: Callable[[Sequence[Audience], str], list[BotCommand]] = _no_commands
    # Album id → the complaint its first photo was added to (``handlers.complaints``); the
    # oldest are dropped past a few hundred.
    complaint_albums: OrderedDict[str, int] = field(default_factory=OrderedDict)
    # (chat, user) → the message of their conversation's latest question with buttons
    # (``handlers.flow``), whose keyboard goes once the conversation moves on. In memory only:
    # after a restart an old keyboard may stay, and a press on it is still refused as stale.
    flow_keyboards: OrderedDict[tuple[int, int], int] = field(default_factory=OrderedDict)
    # (chat, user) → the conversation version of a citizen's open offer (``handlers.citizen``)
    # and every offer message shown for it whose buttons are still on; the oldest people are
    # dropped past a few thousand. In memory only, as ``flow_keyboards``.
    citizen_offers: OrderedDict[tuple[int, int], tuple[int, list[int]]] = field(
        default_factory=OrderedDict
    )

    def require_services(self) -> Services:
        if self.services is None:
            raise RuntimeError("bot_data has no services: build the Application with bot.app")
        return self.services


# ExtBot[int]: the Application's bot carries bot.ratelimit's limiter, whose per-call argument
# (a call's own number of retries after a 429) is an int.
class SigapContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    """PTB's context plus who is talking and the conversation they are in.

    PTB builds one context per update and reuses it across handler groups, so what the
    group -1 loader stores here is seen by the handler that answers.
    """

    def __init__(
        self,
        # PTB passes the Application whose bot_data is the root's subclass of BotData.
        application: Application[ExtBot[int], Any, dict[Any, Any], dict[Any, Any], Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._actor: Actor | None = None
        self._conversation: Conversation | None = None
        self._conversation_loaded = False

    @property
    def services(self) -> Services:
        return self.bot_data.require_services()

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
        if not self._conversation_loaded:
            self._conversation = await conversation_store.load(self.services.db, chat_id, user_id)
            self._conversation_loaded = True
        return self._conversation

    def forget_conversation(self, value: Conversation | None = None) -> None:
        self._conversation = value
        self._conversation_loaded = True
