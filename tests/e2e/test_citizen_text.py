"""A citizen who starts with free text, not a command: their words are kept and offered as the
start of a complaint, a survey, or a status check; citizens have a reply keyboard of their own
and /survei in their menu."""

from __future__ import annotations

from sqlalchemy import select

from models.tables import Complaint
from tests.e2e.harness import Harness, eventually
from tests.e2e.test_complaints import ADMINDUK, file_complaint, town  # noqa: F401

HELLO = "halo pak, saya mau tanya cara buat KTP"
MORE = "untuk anak saya yang bulan lalu berumur 17 tahun, syaratnya apa saja?"
KINDS = [
    "📣 Sampaikan sebagai pengaduan",
    "💡 Sampaikan sebagai aspirasi",
    "❓ Sampaikan sebagai permintaan informasi",
]


async def test_free_text_becomes_an_information_request(town: Harness) -> None:  # noqa: F811
    ani = town.user(first_name="Ani")
    await ani.send("/start")
    [welcome] = await ani.wait_for(1)
    assert "/survei" in welcome.text
    # Replies are sent as HTML, as the Application's Defaults say (handlers.common.reply).
    assert "Sigap" in welcome.entity_texts("bold"), welcome.html
    # Telegram's command menu for citizens (the default list) has /survei too.
    menu = [c["command"] for c in town.emulator.commands()]
    assert "survei" in menu and "aduan" in menu and "status" in menu
    assert welcome.reply_keyboard == [
        ["📣 Sampaikan aduan", "🔎 Status aduan"],
        ["⭐ Isi survei", "❓ Bantuan"],
    ]

    await ani.send(HELLO)
    [first] = await ani.wait_for(1)
    assert "belum mengerti" not in first.text
    assert first.button_texts == [*KINDS, "⭐ Isi survei kepuasan layanan"]
    # A second message before choosing joins the first and gets an offer of its own; the
    # first offer keeps its buttons, which now act on the joined words as the second's do.
    await ani.send(MORE)
    [offer] = await ani.wait_for(1)
    assert offer.button_texts == [*KINDS, "⭐ Isi survei kepuasan layanan"]
    assert [m.message_id for m in ani.messages if m.button_texts] == [
        first.message_id,
        offer.message_id,
    ]

    # The earlier offer pressed: both messages go on, and no offer keeps its buttons.
    await ani.press("❓ Sampaikan sebagai permintaan informasi", message_id=first.message_id)
    [category] = await ani.wait_for(1)
    assert "Tentang apa?" in category.text
    await eventually(
        lambda: [m.message_id for m in ani.messages if m.button_texts] == [category.message_id]
    )
    chosen = next(m for m in ani.messages if m.message_id == first.message_id)
    assert chosen.text.endswith("✔️ ❓ Sampaikan sebagai permintaan informasi"), chosen.text
    await ani.press(ADMINDUK)
    # The story is what she wrote: the next question is the location.
    [ask_location] = await ani.wait_for(1)
    assert "lokasi" in ask_location.text.lower(), ask_location.text
    await ani.send("Lewati")
    await ani.wait_for(2)
    # A photo answers the attachments question: its "Lewati" goes, only "Selesai" applies.
    await ani.send_photo(b"\xff\xd8\xff akta kelahiran")
    [noted] = await ani.wait_for(1)
    await eventually(lambda: [m.button_texts for m in ani.messages if m.button_texts] == [
        noted.button_texts
    ])  # fmt: skip
    await ani.press("Selesai")
    await ani.wait_for(1)
    chosen = next(m for m in ani.messages if m.message_id == noted.message_id)
    assert chosen.button_texts == [] and chosen.text.endswith("✔️ Selesai")
    await ani.press("Biasa")
    await ani.wait_for(1)
    await ani.send("Tidak usah")
    await ani.wait_for(2)
    await ani.press("✅ Kirim aduan")
    await ani.wait_for(1)
    async with town.db.read() as session:
        [complaint] = (await session.execute(select(Complaint))).scalars().all()
    assert complaint.kind == "informasi"
    assert complaint.story == f"{HELLO}\n{MORE}"


async def test_text_with_a_tracking_number_offers_its_status(town: Harness) -> None:  # noqa: F811
    budi = town.user(first_name="Budi")
    number = await file_complaint(budi)
    await budi.send(f"pak, aduan saya {number} bagaimana kelanjutannya?")
    [offer] = await budi.wait_for(1)
    assert offer.button_texts[0] == f"🔎 Cek status {number}"
    await budi.press(f"🔎 Cek status {number}")
    [detail] = await budi.wait_for(1)
    settled = next(m for m in budi.messages if m.message_id == offer.message_id)
    assert settled.button_texts == [] and settled.text.endswith(f"✔️ 🔎 Cek status {number}")
    assert f"Aduan {number}" in detail.text and "Diajukan" in detail.text

    # The keyboard's keys answer like the commands; the survey offer starts the survey.
    await budi.send("🔎 Status aduan")
    [listing] = await budi.wait_for(1)
    assert number in listing.text
    await budi.send("Terima kasih, pelayanannya cepat sekali di kantor camat")
    await budi.wait_for(1)
    await budi.press("⭐ Isi survei kepuasan layanan")
    [survey] = await budi.wait_for(1)
    assert survey.button_texts, survey.text


async def test_employees_free_text_is_still_an_activity(town: Harness) -> None:  # noqa: F811
    putri = await town.employee("199512042020122005")
    await putri.send("Rapat koordinasi 2 jam")
    [summary] = await putri.wait_for(1)
    assert "✅ Simpan" in summary.button_texts


async def test_words_too_long_to_join_retire_the_earlier_offer(town: Harness) -> None:  # noqa: F811
    """Past one message's length only the newest words are kept: the offer shown for the
    earlier ones would act on other words, so it loses its buttons."""
    citra = town.user(first_name="Citra")
    await citra.send("saya mau melapor. " * 150)
    [first] = await citra.wait_for(1)
    assert first.button_texts
    await citra.send("jalan di depan rumah saya rusak. " * 40)
    [offer] = await citra.wait_for(1)
    assert offer.button_texts == [*KINDS, "⭐ Isi survei kepuasan layanan"]
    await eventually(
        lambda: [m.message_id for m in citra.messages if m.button_texts] == [offer.message_id]
    )
