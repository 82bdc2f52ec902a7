"""The handler modules' route tables: what the root registers is what the menus show, the
keyboard's keys are answered, and the button data the scheduler writes is read by the handlers
it is meant for."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.app import MODULES, all_routes, build_application
from domain.access import Audience
from handlers import approvals, reminders, survey
from handlers.callback import Press
from handlers.routes import CITIZEN_KEYBOARD, KEYBOARD, Button, Command, Key, commands_for
from services import buttons
from services.settings import Settings
from texts import LANGUAGES

TOKEN = "123456:TEST-token-for-routes-0000000000"


def registered(tmp_path: Path) -> tuple[set[str], list[str]]:
    """The command names and callback patterns of the Application the root builds."""
    settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, SIGAP_DATA_DIR=str(tmp_path))  # type: ignore[call-arg]
    application = build_application(settings)
    commands: set[str] = set()
    patterns: list[str] = []
    for handler in application.handlers[0]:
        if isinstance(handler, CommandHandler):
            commands |= handler.commands
        elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
            patterns.append(handler.pattern.pattern)  # type: ignore[union-attr]
    return commands, patterns


def test_every_registered_command_is_in_a_menu_or_hidden_with_a_reason(tmp_path: Path) -> None:
    commands, _ = registered(tmp_path)
    rows = [route for route in all_routes() if isinstance(route, Command)]
    in_menus = {
        bot_command.command
        for language in LANGUAGES
        for audience in Audience
        for bot_command in commands_for(rows, [audience], language)
    }
    hidden = {name for row in rows if row.hidden for name in row.names}
    assert commands - in_menus - hidden == set(), "registered but in no menu and not hidden"
    for row in rows:
        assert bool(row.audiences) != bool(row.hidden), f"/{row.name}: a menu or a reason"
        assert set(row.names) <= commands, f"/{row.name} is in a table but not registered"


def test_every_button_family_is_registered_once(tmp_path: Path) -> None:
    _, patterns = registered(tmp_path)
    families = [route.data.pattern for route in all_routes() if isinstance(route, Button)]
    assert len(families) == len(set(families)), "two modules answer the same prefix"
    assert sorted(patterns) == sorted(families)


def test_every_module_has_a_table_and_every_key_an_answer() -> None:
    for module in MODULES:
        assert module.ROUTES, f"{module.__name__} has an empty route table"
    keys = [route.key for route in all_routes() if isinstance(route, Key)]
    assert sorted(keys) == sorted(key for row in KEYBOARD + CITIZEN_KEYBOARD for key in row)


def test_buttons_the_jobs_send_are_read_by_their_handlers() -> None:
    day = date(2026, 12, 24)
    assert reminders.BUTTONS.unpack(buttons.reminder_log(day)) == Press("log", (), day)
    assert reminders.BUTTONS.unpack(buttons.reminder_snooze(day)) == Press("snooze", (), day)
    # Reminders sent before the day travelled with the button are still answered.
    assert reminders.BUTTONS.unpack("rem:snooze") == Press("snooze")
    assert approvals.BUTTONS.unpack(buttons.OPEN_APPROVALS) is not None
    press = survey.BUTTONS.unpack(buttons.survey_offer(42))
    assert press is not None and press.numbers == (42,)
