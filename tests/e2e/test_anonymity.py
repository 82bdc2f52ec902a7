"""An anonymous reporter's identity reaches no staff chat, no log line and no notification
(issue 18, item 5): an anonymous complaint goes through its whole life (the ticket with a photo,
answers relayed both ways, verification, a late escalation to the unit head, the weekly digest
with the unit's complaint figures), with every logger of Sigap at DEBUG, and then every message
in every chat but the reporter's own, every log line and every queued notification is searched
for the reporter's first and last name, username and Telegram id."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models.outbox import OutboxMessage
from tests.e2e.harness import Harness
from tests.e2e.test_complaints import file_complaint, install_desk, town  # noqa: F401 (fixture)

DEWI = "199401202021012008"  # complaint handler, Seksi Pelayanan Umum (BLW-PU)
NURHAYATI = "198009112006042011"  # head of BLW-PU, also a complaint handler
CAMAT = "198105142003121002"  # Nurhayati's supervisor: gets the digest


async def _tick(office: Harness, when: datetime) -> None:
    office.clock.set(when)
    await office.scheduler.tick()
    await office.sender.run_until_idle()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_anonymous_reporter_is_never_named_to_staff(
    town: Harness,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="sigap")
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    head = await town.employee(NURHAYATI, first_name="Nur")
    camat = await town.employee(CAMAT, first_name="Camat")
    siti = town.user(first_name="Sitianonim", last_name="Rahasiawati", username="siti_rahasia")
    secrets = ("Sitianonim", "Rahasiawati", "siti_rahasia", str(siti.id))

    number = await file_complaint(siti, privacy="Anonim", photos=1)
    ticket, _photo = await desk.wait_for(2)
    await dewi.send("Mohon kirim nomor antrean Anda.", chat=desk, reply_to=ticket)
    await desk.wait_for(1)
    [answer] = await siti.wait_for(1)
    await siti.send("Nomor antrean saya 17.", reply_to=answer.raw)
    await siti.wait_for(1)
    await desk.wait_for(1)
    # Late: the desk and the unit head are told (Monday 30 Nov, due Friday 27 Nov).
    await _tick(town, datetime(2026, 11, 30, 2, tzinfo=UTC))
    await desk.wait_for(1)
    press = await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    await dewi.answer_to(press)
    await town.sender.run_until_idle()
    # The weekly digest (Monday 07:00 WIB) with the unit's complaint figures.
    await _tick(town, datetime(2026, 12, 7, 0, 30, tzinfo=UTC))
    assert any(number in m.text for m in head.messages)  # the escalation reached the head
    assert camat.messages  # and the digest its reader

    shown = [
        (view.name, message.text or "")
        for view in [*town.emulator.users(), *town.emulator.groups()]
        if view.chat_id != siti.chat_id
        for message in view.messages
    ]
    async with town.db.read() as session:
        queued = [
            str(row.payload)
            for row in (await session.execute(select(OutboxMessage))).scalars()
            if row.chat_id != siti.id
        ]
    logged = [
        logging.Formatter("%(name)s %(message)s").format(record)
        for record in caplog.records
        if not record.name.startswith("emulator")
    ]
    assert len(shown) > 10
    # Every Sigap logger writes into the capture, down to DEBUG (what it wrote, if anything, is
    # searched below; the digest's chart warnings that used to show up here now come from the
    # rendering process).
    assert logging.getLogger("sigap.outbox").isEnabledFor(logging.DEBUG)
    for secret in secrets:
        assert not [(who, text) for who, text in shown if secret in text], secret
        assert not [payload for payload in queued if secret in payload], secret
        assert not [line for line in logged if secret in line], secret
