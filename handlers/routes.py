"""The rows of each handler module's ``ROUTES`` table, and the menus built from them.

Every handler module lists what it answers in one module-level ``ROUTES``: its commands (with
the menus they appear in), its buttons (by callback-data prefix) and its labels on the
employees' reply keyboard. The composition root (``bot.app``) registers the handlers from these
rows and builds Telegram's command menus from the same rows, so a command cannot be answered
without being in a menu or marked hidden with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, ReplyKeyboardMarkup, Update

from domain.access import Audience
from handlers.callback import CallbackData
from handlers.common import Callback as Handler
from handlers.context import SigapContext
from texts import LANGUAGES, Texts, texts


@dataclass(frozen=True)
class Command:
    """``/name`` (Indonesian) and ``/english`` (when it differs), both answered in any language;
    the menu shows the name of the person's language."""

    name: str
    handler: Handler
    description: str  # catalogue key of its line in Telegram's menu
    audiences: tuple[Audience, ...] = ()  # whose menu shows it
    english: str | None = None
    hidden: str = ""  # why it is in nobody's menu (then ``audiences`` is empty)

    @property
    def names(self) -> list[str]:
        return [self.name] if self.english in (None, self.name) else [self.name, self.english]

    def menu_name(self, language: str) -> str:
        return self.name if language == LANGUAGES[0] else self.english or self.name


@dataclass(frozen=True)
class Button:
    """Every press whose data starts with ``data.prefix``: the handler unpacks it."""

    data: CallbackData
    handler: Handler


@dataclass(frozen=True)
class Key:
    """A label of a reply keyboard (``keyboard.<key>`` in the catalogues). A press
    arrives as plain text in the person's language and is answered like the command."""

    key: str
    handler: Handler


Route = Command | Button | Key


def commands_for(
    commands: Sequence[Command], audiences: Sequence[Audience], language: str
) -> list[BotCommand]:
    """Telegram's menu for a person with these audiences: the citizen's commands (everyone has
    those), then each audience's, each command once (Telegram refuses a list with a command
    twice; a supervisor who is also an admin shares /ikm)."""
    tr = texts(language)
    shown: dict[str, Command] = {}
    for audience in (Audience.CITIZEN, *audiences):
        for command in commands:
            if audience in command.audiences:
                shown.setdefault(command.name, command)
    return [BotCommand(c.menu_name(language), tr.plain(c.description)) for c in shown.values()]


# The always-visible reply keyboards, employees' and citizens': one tap instead of typing a
# command. Each key is answered by the ``Key`` row of the module that owns it.
KEYBOARD = (("log", "today"), ("recap", "leave"))
CITIZEN_KEYBOARD = (("complaint", "status"), ("survey", "help"))


def _keyboard(tr: Texts, rows: tuple[tuple[str, ...], ...]) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[tr.plain(f"keyboard.{key}") for key in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


def employee_keyboard(tr: Texts) -> ReplyKeyboardMarkup:
    return _keyboard(tr, KEYBOARD)


def citizen_keyboard(tr: Texts) -> ReplyKeyboardMarkup:
    return _keyboard(tr, CITIZEN_KEYBOARD)


def key_labels(key: str) -> list[str]:
    """The label of a key in every language: a keyboard drawn before a language switch keeps
    working after it."""
    return list(dict.fromkeys(texts(language).plain(f"keyboard.{key}") for language in LANGUAGES))


def as_key(handler: Handler) -> Handler:
    """A keyboard press is plain text, not a command: the command runs without arguments."""

    async def pressed(update: Update, context: SigapContext) -> Any:
        context.args = []
        return await handler(update, context)

    return pressed
