"""Telegram's command menu follows a person's roles without their /start: the admin makes Agus
a supervisor in the roster (chat or CLI) and his menu has /tim at once; he loses the role and
/tim goes; Kevin leaves the roster, a lost phone is unlinked, an old account is replaced by a
new link: each gets the default (citizen) menu back. The menus go through the outbox, queued
in the transaction that made the change."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from emulator import EmulatedUser
from models.outbox import OutboxMessage
from tests.e2e.harness import Harness, eventually
from tests.e2e.test_admin_people import _open_agus
from tests.e2e.test_admin_roster import (
    AGUS,
    FITRIANI,
    KEVIN,
    XLSX,
    _book,
    _bytes,
    _download,
    _row_of,
)

ROLES_COLUMN = 7


def _menu(office: Harness, person: EmulatedUser) -> list[str]:
    """The commands of this person's own chat menu ([] when they see the default one)."""
    scope = {"type": "chat", "chat_id": person.chat_id}
    return [c["command"] for c in office.emulator.commands(scope=scope)]


async def _apply_roles(office: Harness, admin: EmulatedUser, changes: dict[str, str | None]):
    """The admin downloads the roster, sets roles (None: deletes the row), sends it back and
    presses Terapkan."""
    book = _book(office, await _download(office, admin))
    sheet = book["Pegawai"]
    for nip, roles in changes.items():
        if roles is None:
            sheet.delete_rows(_row_of(sheet, nip))
        else:
            sheet.cell(_row_of(sheet, nip), ROLES_COLUMN).value = roles
    await admin.send_document(_bytes(book), file_name="daftar-pegawai-semua.xlsx", mime_type=XLSX)
    await admin.wait_for(1)
    await admin.press("✅ Terapkan")
    [done] = await admin.wait_for(1)
    assert "berubah" in done.text, done.text


async def _menu_rows(office: Harness) -> list[OutboxMessage]:
    async with office.db.read() as session:
        stmt = select(OutboxMessage).where(col(OutboxMessage.kind) == "menu")
        return list((await session.execute(stmt.order_by(col(OutboxMessage.id)))).scalars())


async def test_roster_changes_move_the_menus_of_linked_people(office) -> None:
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    agus = await office.employee(AGUS, first_name="Agus")
    kevin = await office.employee(KEVIN, first_name="Kevin")
    assert "lapor" in _menu(office, agus) and "tim" not in _menu(office, agus)
    fitri_menu = _menu(office, fitri)

    await _apply_roles(office, fitri, {AGUS: "atasan", KEVIN: None})
    await eventually(lambda: "tim" in _menu(office, agus))
    assert "penilaian" in _menu(office, agus) and "lapor" in _menu(office, agus)
    # Kevin left: his chat's own menu is gone, Telegram shows him the default (citizen's).
    await eventually(lambda: _menu(office, kevin) == [])
    assert _menu(office, fitri) == fitri_menu  # unchanged, and not set again
    rows = await _menu_rows(office)
    assert sorted(r.chat_id for r in rows) == sorted([agus.chat_id, kevin.chat_id])
    # A menu is not a notice: no message came with it.
    assert [m.text for m in agus.messages if "NIP" not in m.text] == []

    await _apply_roles(office, fitri, {AGUS: "pegawai"})
    await eventually(lambda: "tim" not in _menu(office, agus))
    assert "lapor" in _menu(office, agus)


async def test_unlinked_and_replaced_accounts_get_the_default_menu(office) -> None:
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    agus = await office.employee(AGUS, first_name="Agus")
    assert "lapor" in _menu(office, agus)
    await _open_agus(fitri)
    await fitri.press("📵 Lepas akun Telegram")
    await fitri.wait_for(1)
    await fitri.press("📵 Ya, lepas akunnya")
    await fitri.wait_for(1)
    await eventually(lambda: _menu(office, agus) == [])

    # Linked again from a new phone, then from another: the older account loses the menu.
    phone = await office.employee(AGUS, first_name="Agus")
    assert "lapor" in _menu(office, phone)
    office.clock.advance(timedelta(minutes=5))  # an invite issued after that link may move it
    newer = await office.employee(AGUS, first_name="Agus")
    assert "lapor" in _menu(office, newer)
    await eventually(lambda: _menu(office, phone) == [])


async def test_a_cli_import_moves_the_menus_too(office, tmp_path: Path, monkeypatch) -> None:
    from tests.data.test_cli import sigap

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    agus = await office.employee(AGUS, first_name="Agus")
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    book = _book(office, await _download(office, fitri))
    sheet = book["Pegawai"]
    sheet.cell(_row_of(sheet, AGUS), ROLES_COLUMN).value = "atasan"
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(_bytes(book))
    env = {"DATABASE_URL": office.settings.resolved_database_url}
    code, out, err = await sigap("roster", "import", str(roster), env=env, cwd=tmp_path)
    assert code == 0, (out, err, sys.executable)
    # The bot's sender sees another process's rows within about a second.
    await eventually(lambda: "tim" in _menu(office, agus), timeout=10)


async def test_choosing_a_language_sets_the_menu_in_it(office) -> None:
    agus = await office.employee(AGUS, first_name="Agus")
    await agus.send("/bahasa")
    await agus.wait_for(1)
    await agus.press("🇬🇧 English")
    await agus.wait_for_edit()
    await eventually(lambda: "log" in _menu(office, agus))
    assert "lapor" not in _menu(office, agus)


async def test_a_language_chosen_in_a_group_moves_the_private_menu(office) -> None:
    agus = await office.employee(AGUS, first_name="Agus")
    group = office.emulator.group("Meja aduan")
    await agus.send("/bahasa", chat=group)
    await group.wait_for(1)
    await agus.press("🇬🇧 English", chat=group)
    await group.wait_for_edit()
    await eventually(lambda: "log" in _menu(office, agus))
    assert "lapor" not in _menu(office, agus)


async def test_start_sets_a_stale_menu_again(office) -> None:
    # A release that changed the command tables (or a menu call that failed) left Agus's chat
    # with an old menu; he sends /start, as people do when something looks off, and has his own.
    from telegram import BotCommand, BotCommandScopeChat

    agus = await office.employee(AGUS, first_name="Agus")
    mine = _menu(office, agus)
    await office.application.bot.set_my_commands(
        [BotCommand("lama", "perintah lama")], scope=BotCommandScopeChat(agus.chat_id)
    )
    assert _menu(office, agus) == ["lama"]
    await agus.send("/start")
    await agus.wait_for(1)  # the greeting comes first, the menu after it
    await eventually(lambda: _menu(office, agus) == mine)
    # A citizen with no menu of their own keeps the default one: nothing is sent for them.
    citizen = office.user(first_name="Warga")
    await citizen.send("/start")
    await citizen.wait_for(1)
    assert _menu(office, citizen) == []
