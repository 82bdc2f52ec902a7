"""Telegram's command menu per person: every role's commands, each once, in the person's
language (Telegram refuses a list with a command twice)."""

from __future__ import annotations

import pytest

from domain.access import Audience
from handlers.start import commands_for


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_admin_who_supervises_gets_each_command_once(language: str) -> None:
    audiences = [Audience.EMPLOYEE, Audience.SUPERVISOR, Audience.ADMIN]
    names = [c.command for c in commands_for(audiences, language)]
    assert len(names) == len(set(names))
    assert "ikm" in names and ("persetujuan" if language == "id" else "approvals") in names


def test_an_admin_alone_has_ikm_and_the_desk_commands() -> None:
    names = [c.command for c in commands_for([Audience.ADMIN], "id")]
    assert {"ikm", "undang", "pasang_meja", "lepas_meja"} <= set(names)
    assert "persetujuan" not in names
