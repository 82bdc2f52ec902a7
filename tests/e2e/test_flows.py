"""Multi-step flows kept in the database: /undang (admin invites), /batal, bad answers, errors."""

from __future__ import annotations

from sqlalchemy import select, text

from models.tables import Conversation, Invite
from tests.e2e.harness import eventually

CAMAT = "198105142003121002"
STAFF = "197508121999031007"


async def test_admin_creates_an_invite_by_chat_and_it_works(office) -> None:
    camat = await office.employee(CAMAT)
    await camat.send("/undang")
    [ask] = await camat.wait_for(1)
    assert "Ketik NIP pegawai" in ask.text
    await camat.send("12345")
    [reply] = await camat.wait_for(1)
    assert "NIP tidak valid" in reply.text and "18 angka" in reply.text
    await camat.send("19750812 199903 1 007")
    [confirm] = await camat.wait_for(1)
    assert "Agus Salim Daulay" in confirm.text
    await camat.press("Buat undangan")
    [created] = await camat.wait_for(1)
    link = created.text.split("https://t.me/sigap_test_bot?start=")[1].split()[0]
    # The link works for the employee.
    agus = office.user()
    await agus.send(f"/start {link}")
    [linked] = await agus.wait_for(1)
    assert "tertaut" in linked.text
    # The flow is over: its buttons were taken away with the answer, and a forged press of
    # one is answered as stale.
    shown = next(m for m in camat.messages if m.message_id == confirm.message_id)
    assert shown.button_texts == []
    answers = len(camat.callback_answers)
    await camat.press(
        callback_data=confirm.buttons[0][0][1], message_id=confirm.message_id, forge=True
    )
    await eventually(lambda: len(camat.callback_answers) > answers)
    assert "tidak berlaku" in camat.callback_answers[-1]["text"]
    async with office.db.read() as session:
        assert (await session.execute(select(Conversation))).first() is None
        invites = (await session.execute(select(Invite))).scalars().all()
    assert sum(1 for i in invites if i.used_at is not None) == 2  # camat's and agus's


async def test_invite_flow_refuses_non_admins(office) -> None:
    staff = await office.employee(STAFF)
    await staff.send("/undang")
    [reply] = await staff.wait_for(1)
    assert "tidak memiliki akses" in reply.text
    warga = office.user()
    await warga.send("/undang")
    [reply] = await warga.wait_for(1)
    assert "tidak memiliki akses" in reply.text


async def test_unknown_nip_and_sticker_and_overlong_text_in_a_flow(office) -> None:
    camat = await office.employee(CAMAT)
    await camat.send("/undang")
    await camat.wait_for(1)
    await camat.send("199001012015011001")
    [reply] = await camat.wait_for(1)
    assert "tidak ada di daftar pegawai" in reply.text
    await camat.send_sticker()
    [reply] = await camat.wait_for(1)
    assert "menunggu jawaban berupa teks" in reply.text
    await camat.send("9" * 4500)
    [reply] = await camat.wait_for(1)
    assert "terlalu panjang (4500 karakter)" in reply.text


async def test_cancel_ends_the_flow(office) -> None:
    camat = await office.employee(CAMAT)
    await camat.send("/undang")
    await camat.wait_for(1)
    await camat.send("/batal")
    [reply] = await camat.wait_for(1)
    assert "dibatalkan" in reply.text
    await camat.send(STAFF)  # no invite flow now: an employee's text is offered as an activity
    [reply] = await camat.wait_for(1)
    assert "Buat tautan undangan" not in reply.text and "Periksa dulu" in reply.text
    await camat.press("✖️ Bukan kegiatan")
    await camat.wait_for(1)
    await camat.send("/batal")
    [reply] = await camat.wait_for(1)
    assert "Tidak ada proses" in reply.text


async def test_double_tap_creates_one_invite(office) -> None:
    camat = await office.employee(CAMAT)
    await camat.send("/undang")
    await camat.wait_for(1)
    await camat.send(STAFF)
    await camat.wait_for(1)
    await camat.press("Buat undangan")
    await camat.press("Buat undangan")
    await camat.wait_for(1)
    async with office.db.read() as session:
        invites = (await session.execute(select(Invite))).scalars().all()
    assert len(invites) == 2  # the camat's own and exactly one new one


async def test_a_database_failure_gets_a_polite_answer(office) -> None:
    warga = office.user()
    async with office.db.write() as session:
        await session.execute(text("DROP TABLE conversation"))
    try:
        await warga.send("halo")
        [reply] = await warga.wait_for(1)
        assert "terjadi kesalahan di pihak kami" in reply.text
    finally:
        async with office.db.engine.begin() as connection:
            await connection.run_sync(Conversation.__table__.create)  # type: ignore[attr-defined]
