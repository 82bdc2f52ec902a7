"""People at the admin's desk: Fitriani (admin) finds Agus, makes and revokes his invite,
unlinks his lost phone (the old account is told), and bans the reporter of a complaint by its
tracking number without seeing who it is."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import col

from models.tables import (
    AuditEntry,
    Complaint,
    ComplaintBan,
    ComplaintCategory,
    Employee,
    Invite,
    TelegramLink,
    Unit,
)
from models.types import stored_id
from tests.e2e.saved_edit import wait_for_saved

FITRIANI = "198407222009012003"
AGUS = "197508121999031007"
BENNY = "197802042005011006"


async def _count(office, model, *where) -> int:
    async with office.db.read() as session:
        stmt = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(stmt)).scalar_one())


async def _open_agus(fitri):
    await fitri.send("/admin")
    await fitri.wait_for(1)
    await fitri.press("👤 Cari pegawai")
    [ask] = await fitri.wait_for(1)
    assert "nama atau NIP" in ask.text
    await fitri.send("agus")
    [found] = await fitri.wait_for(1)
    assert found.button_texts == ["Agus Salim Daulay · BLW-SEK"]
    await fitri.press("Agus Salim Daulay · BLW-SEK")
    [card] = await fitri.wait_for(1)
    return card


async def test_find_invite_revoke_unlink(office) -> None:
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    card = await _open_agus(fitri)
    assert "NIP 197508121999031007" in card.text and "Atasan: Fitriani Lubis, S.Sos" in card.text
    assert "Telegram: belum tertaut" in card.text and "Kegiatan terakhir: belum ada" in card.text
    await fitri.press("🔗 Buat tautan undangan")
    [made] = await fitri.wait_for(1)
    link = next(w for w in made.text.split() if w.startswith("https://t.me/sigap_test_bot?start="))
    token = link.rsplit("=", 1)[1]
    # A search by part of the NIP finds him too; his card shows the pending invite.
    await fitri.send("/admin")
    await fitri.wait_for(1)
    await fitri.press("👤 Cari pegawai")
    await fitri.wait_for(1)
    await fitri.send("1999031")
    await fitri.wait_for(1)
    await fitri.press("Agus Salim Daulay · BLW-SEK")
    [card] = await fitri.wait_for(1)
    assert "undangan berlaku sampai" in card.text
    await fitri.press("🚫 Cabut undangan")
    [revoked] = await fitri.wait_for(1)
    assert "dicabut" in revoked.text
    stranger = office.user(first_name="Orang")
    await stranger.send(f"/start {token}")
    [refused] = await stranger.wait_for(1)
    assert "kedaluwarsa" in refused.text
    assert await _count(office, AuditEntry, col(AuditEntry.action) == "invite.revoke") == 1

    # Agus links his phone, logs an entry, then loses the phone.
    agus = await office.employee(AGUS, first_name="Agus")
    await agus.send("Verifikasi 15 berkas KTP 1,5 jam")
    await agus.wait_for(1)
    await agus.press("✅ Simpan")
    await wait_for_saved(agus)
    card = await _open_agus(fitri)
    assert "Telegram: tertaut" in card.text
    assert "Kegiatan terakhir: Selasa, 24 November 2026" in card.text
    await fitri.press("📵 Lepas akun Telegram")
    [confirm] = await fitri.wait_for(1)
    await fitri.press("📵 Ya, lepas akunnya")
    [unlinked] = await fitri.wait_for(1)
    assert "dilepas" in unlinked.text
    assert await _count(office, TelegramLink) == 1  # Fitriani's own
    await office.scheduler.sender.run_until_idle()
    [told] = await agus.wait_for(1)
    assert "tidak lagi tertaut" in told.text and "Agus Salim Daulay" in told.text
    # The old account is a citizen now: no employee services.
    await agus.send("/hariini")
    [now] = await agus.wait_for(1)
    assert "Kegiatan hari ini" not in now.text
    # Pressing confirm again (an old button) unlinks nothing more.
    await fitri.press(callback_data=confirm.buttons[0][0][1], forge=True)
    [again] = await fitri.wait_for(1)
    assert "sudah tidak tertaut" in again.text
    assert await _count(office, AuditEntry, col(AuditEntry.action) == "account.unlink") == 1


async def test_forged_people_presses_outside_reach(office) -> None:
    async with office.db.write() as session:
        benny = (
            await session.execute(select(Employee).where(col(Employee.nip) == BENNY))
        ).scalar_one()
        benny.roles = "employee,supervisor,unit_admin"
        agus_id = (
            await session.execute(select(col(Employee.id)).where(col(Employee.nip) == AGUS))
        ).scalar_one()
    user = await office.employee(BENNY, first_name="Benny")
    await user.send("/admin")
    [menu] = await user.wait_for(1)
    # Agus is in the Sekretariat: a unit admin of Pemerintahan finds and reaches nobody there.
    await user.press("👤 Cari pegawai")
    await user.wait_for(1)
    await user.send("agus")
    [none] = await user.wait_for(1)
    assert "Tidak ada pegawai" in none.text
    for verb in ("person", "invite", "revoke", "unlink", "unlinkok"):
        query = await user.press(
            callback_data=f"adm:{verb}:{agus_id}", forge=True, message_id=menu.message_id
        )
        answer = await user.answer_to(query)
        assert answer.get("show_alert"), verb
    query = await user.press(callback_data="adm:bans", forge=True, message_id=menu.message_id)
    assert (await user.answer_to(query)).get("show_alert")
    assert await _count(office, Invite, col(Invite.employee_id) == agus_id) == 0
    assert (
        await _count(
            office, AuditEntry, col(AuditEntry.action).in_(["invite.revoke", "account.unlink"])
        )
        == 0
    )


async def test_ban_and_unban_by_tracking_number(office) -> None:
    async with office.db.write() as session:
        unit = (await session.execute(select(Unit).where(col(Unit.code) == "BLW-PU"))).scalar_one()
        category = ComplaintCategory(code="lain", name="Lainnya", unit_id=unit.id)
        session.add(category)
        await session.flush()
        session.add(
            Complaint(
                tracking_number="BLW-2611-0042",
                period="2611",
                sequence=42,
                kind="pengaduan",
                category_id=stored_id(category.id),
                unit_id=unit.id,
                story="spam",
                privacy="anonim",
                reporter_alias=1,
                reporter_telegram_id=555_000_111,
                verification_due=date(2026, 11, 27),
            )
        )
    fitri = await office.employee(FITRIANI, first_name="Fitri")
    await fitri.send("/admin")
    await fitri.wait_for(1)
    await fitri.press("🚫 Blokir pelapor")
    await fitri.wait_for(1)
    await fitri.send("blw 2611 42")
    [decide] = await fitri.wait_for(1)
    assert "BLW-2611-0042" in decide.text and "555000111" not in decide.text
    await fitri.press("🚫 Blokir")
    await fitri.wait_for(1)
    await fitri.send("Mengirim iklan berulang kali")
    [banned] = await fitri.wait_for(1)
    assert "diblokir" in banned.text
    assert (
        await _count(office, ComplaintBan, col(ComplaintBan.telegram_user_id) == 555_000_111) == 1
    )
    await fitri.send("/admin")
    await fitri.wait_for(1)
    await fitri.press("🚫 Blokir pelapor")
    await fitri.wait_for(1)
    await fitri.send("BLW-2611-0042")
    await fitri.wait_for(1)
    await fitri.press("✅ Buka blokir")
    [lifted] = await fitri.wait_for(1)
    assert "dibuka" in lifted.text
    assert await _count(office, ComplaintBan) == 0
