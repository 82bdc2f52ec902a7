"""Telegram's command menu per person: every role's commands, each once, in the person's
language (Telegram refuses a list with a command twice)."""

from __future__ import annotations

import pytest
from telegram import BotCommand

from bot.app import all_routes
from domain.access import Audience
from handlers.routes import Command, commands_for


def menu(audiences: list[Audience], language: str) -> list[BotCommand]:
    commands = [route for route in all_routes() if isinstance(route, Command)]
    return commands_for(commands, audiences, language)


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_admin_who_supervises_gets_each_command_once(language: str) -> None:
    audiences = [Audience.EMPLOYEE, Audience.SUPERVISOR, Audience.ADMIN]
    names = [c.command for c in menu(audiences, language)]
    assert len(names) == len(set(names))
    assert "ikm" in names and ("persetujuan" if language == "id" else "approvals") in names


def test_an_admin_alone_has_ikm_and_the_desk_commands() -> None:
    names = [c.command for c in menu([Audience.ADMIN], "id")]
    assert {"ikm", "undang", "pasang_meja", "lepas_meja"} <= set(names)
    assert "persetujuan" not in names


def test_a_supervisor_finds_the_digest_in_the_menu() -> None:
    # /digest was answered but missing from the supervisor's menu before the route tables.
    assert "digest" in [c.command for c in menu([Audience.SUPERVISOR], "id")]
    assert "digest" not in [c.command for c in menu([Audience.EMPLOYEE], "id")]
