"""Telegram's command menu of one person: what it holds, and setting it.

Everyone sees the default menu (the citizen's, per Telegram language: ``bot.app._post_init``)
until their chat gets one of its own: an employee's for their roles, or a citizen's in the
language they chose. One rule (:func:`chat_menu`) serves both ways a menu is set: at once for
the person's own update (linking, choosing a language: :func:`set_chat_commands`), and through
the outbox for changes made by someone else (:func:`menu_for`, ``models.menus``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from telegram import BotCommand, BotCommandScopeChat

from domain.access import Actor, Audience
from handlers.context import SigapContext
from models.identity import Identity, actor_from
from models.menus import MenuFor
from models.outbox import menu_payload

CommandMenu = Callable[[Sequence[Audience], str], list[BotCommand]]


def chat_menu(actor: Actor, command_menu: CommandMenu) -> list[BotCommand] | None:
    """The menu of this person's chat; None for someone with nothing of their own (not an
    employee, no language chosen), who gets the default menu in their Telegram's language."""
    if actor.audiences == [Audience.CITIZEN] and not actor.language_chosen:
        return None
    return command_menu(actor.audiences, actor.language)


def menu_for(
    command_menu: CommandMenu, default_language: str, operators: Collection[int]
) -> MenuFor:
    """The outbox payload of an account's menu, from its identity after a change. An import
    queues thousands that differ only by audiences and language: each menu is built once."""
    built: dict[tuple[tuple[Audience, ...], str, bool], dict[str, Any]] = {}

    def payload(telegram_id: int, identity: Identity) -> dict[str, Any]:
        actor = actor_from(
            identity,
            telegram_id,
            first_name="",
            default_language=default_language,
            operators=operators,
        )
        key = (tuple(actor.audiences), actor.language, actor.language_chosen)
        if key not in built:
            menu = chat_menu(actor, command_menu)
            built[key] = menu_payload(None if menu is None else [c.to_dict() for c in menu])
        return built[key]

    return payload


def context_menus(context: SigapContext) -> MenuFor:
    """:func:`menu_for` with this Application's commands and settings."""
    settings = context.services.settings
    return menu_for(context.bot_data.command_menu, settings.default_language, settings.admin_ids)


async def set_chat_commands(
    context: SigapContext, chat_id: int, actor: Actor, *, own_only: bool = False
) -> None:
    """Telegram's command menu for one person, for their roles and language, now.
    ``own_only``: nothing for someone with no menu of their own (their chat has none to mend)."""
    scope = BotCommandScopeChat(chat_id)
    menu = chat_menu(actor, context.bot_data.command_menu)
    if menu is None:
        if not own_only:
            await context.bot.delete_my_commands(scope=scope)
    else:
        await context.bot.set_my_commands(menu, scope=scope)
