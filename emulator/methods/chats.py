"""The bot and its chats: getMe, getChat, the command menus (setMyCommands, getMyCommands,
deleteMyCommands), and the settings methods the emulator accepts without modelling them."""

from __future__ import annotations

import re
from typing import Any

from emulator import errors
from emulator.errors import bad_request
from emulator.params import Params
from emulator.state import CommandsKey, EmulatorState, MethodHandler

__all__ = ["METHODS", "scope_key"]

_COMMAND_RE = re.compile(r"[a-z0-9_]+")
_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Real Bot API methods that only change settings the emulator does not model. They answer
# ``true`` (and are recorded in ``calls``) so a bot's post_init does not crash on them;
# anything else unknown gets Telegram's 404.
_ACCEPTED_SETTERS = (
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
    "setMessageReaction",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "leaveChat",
    "logOut",
    "close",
)


async def accept(emu: EmulatorState, params: Params) -> bool:
    return True


async def get_me(emu: EmulatorState, params: Params) -> dict[str, Any]:
    return {
        **emu.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_chat(emu: EmulatorState, params: Params) -> dict[str, Any]:
    state = emu._lookup_chat(params)
    info: dict[str, Any] = dict(state.chat)
    info.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }
    )
    return info


def _scope_chat_id(emu: EmulatorState, value: Any) -> int:
    if isinstance(value, str) and value.startswith("@"):
        state = emu._chats_by_username.get(value[1:].lower())
        if state is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        return state.id
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(errors.CHAT_NOT_FOUND) from None


def scope_key(emu: EmulatorState, scope: Any, language_code: str | None) -> CommandsKey:
    """Where setMyCommands stores a menu: the scope's type, chat and user, and the language."""
    if scope is None or scope == "":
        scope = {"type": "default"}
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = str(scope.get("type", "default"))
    if kind not in _COMMAND_SCOPES:
        raise bad_request("unsupported bot command scope type")
    chat_id: int | None = None
    user_id: int | None = None
    if kind in ("chat", "chat_administrators", "chat_member"):
        chat_id = _scope_chat_id(emu, scope.get("chat_id"))
    if kind == "chat_member":
        user_value: Any = scope.get("user_id")
        try:
            user_id = int(user_value)
        except (TypeError, ValueError):
            raise bad_request("user not found") from None
    return kind, chat_id, user_id, language_code or ""


def _commands_key(emu: EmulatorState, params: Params) -> CommandsKey:
    scope = params.get_json("scope", "can't parse BotCommandScope JSON object")
    return scope_key(emu, scope, params.get_str("language_code"))


async def set_my_commands(emu: EmulatorState, params: Params) -> bool:
    commands = params.get_json("commands", "can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    stored: list[dict[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse commands JSON object")
        command = str(item.get("command", "")).removeprefix("/")
        description = str(item.get("description", "")).strip()
        if not (1 <= len(command) <= 32 and _COMMAND_RE.fullmatch(command)):
            raise bad_request(errors.BOT_COMMAND_INVALID)
        if not 1 <= len(description) <= 256:
            raise bad_request(errors.BOT_COMMAND_DESCRIPTION_INVALID)
        stored.append({"command": command, "description": description})
    key = _commands_key(emu, params)
    if stored:
        emu._commands[key] = stored
    else:
        emu._commands.pop(key, None)
    return True


async def get_my_commands(emu: EmulatorState, params: Params) -> list[dict[str, str]]:
    return [dict(command) for command in emu._commands.get(_commands_key(emu, params), [])]


async def delete_my_commands(emu: EmulatorState, params: Params) -> bool:
    emu._commands.pop(_commands_key(emu, params), None)
    return True


METHODS: dict[str, MethodHandler] = {
    "getMe": get_me,
    "getChat": get_chat,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    **dict.fromkeys(_ACCEPTED_SETTERS, accept),
}
