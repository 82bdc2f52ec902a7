"""The SKM survey end to end: /survei with buttons, resuming after a restart, once per service
and quarter, the invitation after a complaint closes, /ikm with its chart, the published XLSX,
English, and bad input.

/ikm figures by hand (unit BLW-PU; see tests/domain/test_skm.py for the arithmetic):

    2026Q4  4 respondents, element sums 14 14 11 16 13 14 15 13 11
            → NRR 3.50 3.50 2.75 4.00 3.25 3.50 3.75 3.25 2.75 → IKM 3025/36 = 84.03, B
    2026Q3  2 × all 4 → 100.00, A
    2026Q2  nobody
    2026Q1  all 4, all 3, all 3 → 250/3 = 83.33, B
    2025Q4  1 × all 1 → 25.00, D
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlmodel import col

from models import survey
from models.outbox import OutboxMessage
from models.survey import SurveyReceipt, SurveyResponse
from models.tables import Complaint, Conversation, Unit
from models.types import stored_id
from tests.data.test_cli import sigap
from tests.e2e.harness import Harness, eventually, restart
from tests.e2e.test_complaints import (
    file_complaint,
    town,  # noqa: F401 (fixture)
)

NURHAYATI = "198009112006042011"  # head of Seksi Pelayanan Umum (BLW-PU)
KEVIN = "199708112024211004"  # employee in BLW-PU, no supervisor role
FITRIANI = "198407222009012003"  # supervisor and admin in BLW-SEK
SYAHRUL = "197605012002121003"  # lurah of Belawan I (BLW-K01)
PU = "Seksi Pelayanan Umum"
DOMISILI = "Surat keterangan domisili"
SKTM = "Surat keterangan tidak mampu (SKTM)"

# One tap per question: the regulation's wording for each score.
LABELS = {
    1: ["Tidak sesuai", "Tidak mudah", "Tidak cepat", "Sangat mahal", "Tidak sesuai",
        "Tidak kompeten", "Tidak sopan dan ramah", "Buruk", "Tidak ada"],
    2: ["Kurang sesuai", "Kurang mudah", "Kurang cepat", "Cukup mahal", "Kurang sesuai",
        "Kurang kompeten", "Kurang sopan dan ramah", "Cukup", "Ada tetapi tidak berfungsi"],
    3: ["Sesuai", "Mudah", "Cepat", "Murah", "Sesuai", "Kompeten", "Sopan dan ramah", "Baik",
        "Berfungsi kurang maksimal"],
    4: ["Sangat sesuai", "Sangat mudah", "Sangat cepat", "Gratis", "Sangat sesuai",
        "Sangat kompeten", "Sangat sopan dan ramah", "Sangat baik", "Dikelola dengan baik"],
}  # fmt: skip
ANSWERS = [4, 3, 3, 2, 4, 4, 3, 3, 1]


@pytest.fixture
async def services(office: Harness) -> Harness:
    await survey.seed_default_services(office.db)
    return office


async def _unit_id(office: Harness, code: str) -> int:
    async with office.db.read() as session:
        return stored_id(
            (await session.execute(select(col(Unit.id)).where(col(Unit.code) == code))).scalar_one()
        )


async def _responses(office: Harness) -> list[SurveyResponse]:
    async with office.db.read() as session:
        return list((await session.execute(select(SurveyResponse))).scalars())


async def _choose(person, unit: str = PU, service: str = DOMISILI) -> None:
    await person.send("/survei")
    [ask] = await person.wait_for(1)
    assert "anonim" in ask.text and unit in ask.button_texts, ask
    await person.press(unit)
    [ask] = await person.wait_for(1)
    assert service in ask.button_texts, ask
    await person.press(service)


async def _answer(person, answers: list[int], start: int = 0) -> None:
    for position in range(start, start + len(answers)):
        [question] = await person.wait_for(1)
        assert f"{position + 1}/9" in question.text, question.text
        assert question.button_texts == [LABELS[s][position] for s in (1, 2, 3, 4)]
        await person.press(LABELS[answers[position - start]][position])


async def test_citizen_answers_with_buttons_and_stays_anonymous(services: Harness) -> None:
    warga = services.user(first_name="Rina")
    await _choose(warga)
    [first] = await warga.wait_for(1)
    assert first.text.startswith("1/9 · Persyaratan")
    assert "kesesuaian persyaratan pelayanan dengan jenis pelayanannya" in first.text
    await warga.press("Sangat sesuai")
    await _answer(warga, ANSWERS[1:], start=1)
    [comment] = await warga.wait_for(1)
    assert "komentar" in comment.text
    await warga.send("Loket <b>cepat</b> & ramah")
    [age] = await warga.wait_for(1)
    assert "1/4" in age.text and "Usia" in age.text
    await warga.press("25–34 tahun")
    await warga.wait_for(1)
    await warga.press("Perempuan")
    await warga.wait_for(1)
    await warga.press("Lewati")  # education
    await warga.wait_for(1)
    await warga.press("Wirausaha")
    [thanks] = await warga.wait_for(1)
    assert "Terima kasih" in thanks.text and DOMISILI in thanks.text

    [row] = await _responses(services)
    assert row.answers == tuple(ANSWERS)
    assert row.unit_id == await _unit_id(services, "BLW-PU")
    assert (row.period, row.submitted_on) == ("2026Q4", date(2026, 11, 24))
    assert row.service_name == DOMISILI and row.service_id is not None
    assert row.comment == "Loket <b>cepat</b> & ramah"
    assert (row.age, row.sex, row.education, row.occupation) == ("25_34", "p", None, "wirausaha")
    # Nothing in the answer row says who answered; the receipt is a keyed hash only.
    values = [str(v) for v in row.model_dump().values()]
    assert not any(str(warga.id) in v for v in values)
    async with services.db.read() as session:
        [receipt] = (await session.execute(select(SurveyReceipt))).scalars()
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0
    assert str(warga.id) not in receipt.digest and len(receipt.digest) == 64


async def test_abandoned_survey_resumes_after_a_restart(services: Harness) -> None:
    warga = services.user(first_name="Budi")
    await _choose(warga)
    await _answer(warga, ANSWERS[:3])
    [fourth] = await warga.wait_for(1)
    assert "4/9" in fourth.text
    await restart(services)
    # The buttons of the question asked before the restart still work.
    await warga.press(LABELS[ANSWERS[3]][3])
    [fifth] = await warga.wait_for(1)
    assert "5/9" in fifth.text
    # They wander off, and come back with /survei: it continues where they were.
    await warga.send("/status")
    await warga.wait_for(1)
    await warga.send("/survei")
    resumed, again = await warga.wait_for(2)
    assert "lanjutkan" in resumed.text and "5/9" in again.text
    await warga.press(LABELS[ANSWERS[4]][4])
    # The buttons of the question before the answer are stale now: refused, nothing recorded.
    stale = await warga.press(LABELS[1][4], message_id=fifth.message_id, forge=True)
    assert "tidak berlaku" in (await warga.answer_to(stale))["text"]
    await _answer(warga, ANSWERS[5:], start=5)
    await warga.wait_for(1)  # comment
    await warga.press("Lewati")
    await warga.wait_for(1)
    await warga.press("Lewati semua & kirim")
    [thanks] = await warga.wait_for(1)
    assert "Terima kasih" in thanks.text
    [row] = await _responses(services)
    assert row.answers == tuple(ANSWERS) and row.comment is None and row.age is None


async def _complete(person, unit: str = PU, service: str = DOMISILI) -> None:
    await _choose(person, unit, service)
    await _answer(person, [3] * 9)
    await person.wait_for(1)
    await person.press("Lewati")
    await person.wait_for(1)
    await person.press("Lewati semua & kirim")
    [thanks] = await person.wait_for(1)
    assert "Terima kasih" in thanks.text


async def test_one_answer_per_service_and_quarter(services: Harness) -> None:
    # An employee uses the citizen survey too.
    kevin = await services.employee(KEVIN)
    await _complete(kevin)
    await _choose(kevin)
    [refused] = await kevin.wait_for(1)
    assert "sudah mengisi survei" in refused.text and "Triwulan IV 2026" in refused.text
    assert refused.button_texts == []
    # Another service of the same unit is a different survey.
    await _choose(kevin, service=SKTM)
    [question] = await kevin.wait_for(1)
    assert "1/9" in question.text
    await kevin.send("/batal")
    await kevin.wait_for(1)
    # A typed service counts once too, whatever its spelling.
    await kevin.send("/survei")
    await kevin.wait_for(1)
    await kevin.press(PU)
    await kevin.wait_for(1)
    await kevin.send("ab")
    [short] = await kevin.wait_for(1)
    assert "3–80 karakter" in short.text
    await kevin.send("Rekomendasi  izin keramaian")
    await _answer(kevin, [4] * 9)
    await kevin.wait_for(1)
    await kevin.press("Lewati")
    await kevin.wait_for(1)
    await kevin.press("Lewati semua & kirim")
    await kevin.wait_for(1)
    await kevin.send("/survei")
    await kevin.wait_for(1)
    await kevin.press(PU)
    await kevin.wait_for(1)
    await kevin.send("rekomendasi izin KERAMAIAN")
    [refused] = await kevin.wait_for(1)
    assert "sudah mengisi survei" in refused.text
    assert len(await _responses(services)) == 2
    # Next quarter the same service can be rated again.
    services.clock.set(datetime(2027, 1, 5, 2, tzinfo=UTC))
    await _complete(kevin)
    periods = sorted(r.period for r in await _responses(services))
    assert periods == ["2026Q4", "2026Q4", "2027Q1"]
    async with services.db.read() as session:
        receipts = (await session.execute(select(col(SurveyReceipt.period)))).scalars().all()
    assert receipts == ["2027Q1"]  # last quarter's receipts are no longer needed


async def test_survey_is_offered_when_a_complaint_closes(town: Harness) -> None:  # noqa: F811
    await survey.seed_default_services(town.db)
    siti = town.user(first_name="Siti")
    number = await file_complaint(siti)
    async with town.db.write() as session:
        await session.execute(
            update(Complaint).values(status="selesai", reopen_until=date(2026, 12, 8))
        )
        unit_id = (await session.execute(select(col(Complaint.unit_id)))).scalar_one()
    await siti.send(f"/status {number}")
    await siti.wait_for(1)
    await siti.press("✅ Sudah selesai")
    await siti.wait_for(1)
    async with town.db.read() as session:
        [offer] = (
            await session.execute(select(OutboxMessage).where(col(OutboxMessage.kind) == "survey"))
        ).scalars()
    assert offer.chat_id == siti.id and number in offer.payload["text"]
    await town.sender.run_until_idle()
    # The commit woke the sender: the invitation may have arrived already, beside the thanks.
    await eventually(lambda: any("📝 Isi survei" in m.button_texts for m in siti.messages))
    [message] = [m for m in siti.messages if "📝 Isi survei" in m.button_texts]
    assert "sudah ditutup" in message.text
    # Someone else pressing it (a forged press) gets "not found" and no survey.
    other = town.user(first_name="Other")
    await other.send("/start")
    await other.wait_for(1)
    await other.press(callback_data=message.buttons[0][0][1], forge=True)
    await eventually(lambda: len(other.callback_answers) == 1)
    assert "tidak ditemukan" in other.callback_answers[0]["text"]
    await siti.press("📝 Isi survei")
    [first] = await siti.wait_for(1)
    assert "1/9" in first.text
    await siti.press("Sangat sesuai")
    await _answer(siti, [4] * 7 + [3], start=1)
    await siti.wait_for(1)
    await siti.send("Terima kasih sudah ditindaklanjuti")
    await siti.wait_for(1)
    await siti.press("Lewati semua & kirim")
    [thanks] = await siti.wait_for(1)
    assert "Penanganan pengaduan" in thanks.text
    [row] = await _responses(town)
    assert row.unit_id == unit_id and row.service_name == "Penanganan pengaduan"
    assert row.answers == (4, 4, 4, 4, 4, 4, 4, 4, 3)
    assert not any("/9" in m.text for m in other.messages)
    # The used invitation shows the choice and has no button left; pressed again from an old
    # client, it is queued once per complaint and leads to "already" now.
    assert message.button_texts == [] and message.text.endswith("✔️ 📝 Isi survei")
    await siti.press("📝 Isi survei", message_id=message.message_id, forge=True)
    [again] = await siti.wait_for(1)
    assert "sudah mengisi survei" in again.text


async def test_survey_is_offered_when_the_scheduler_closes_a_complaint(town: Harness) -> None:  # noqa: F811
    """No answer within the reopen window: the deadlines job closes it, with the invitation."""
    siti = town.user(first_name="Siti")
    number = await file_complaint(siti)
    async with town.db.write() as session:
        await session.execute(
            update(Complaint).values(status="selesai", reopen_until=date(2026, 12, 8))
        )
    for day in (9, 10):  # the second run must not invite again
        town.clock.set(datetime(2026, 12, day, 3, tzinfo=UTC))
        await town.scheduler.tick()
        await town.sender.run_until_idle()
    await eventually(lambda: any("📝 Isi survei" in m.button_texts for m in siti.messages))
    offers = [m for m in siti.messages if "📝 Isi survei" in m.button_texts]
    assert len(offers) == 1 and number in offers[0].text
    async with town.db.read() as session:
        [complaint] = (await session.execute(select(Complaint))).scalars()
        kinds = (await session.execute(select(col(OutboxMessage.kind)))).scalars().all()
    assert complaint.status == "ditutup" and kinds.count("survey") == 1


async def _seed(office: Harness, code: str, period: str, day: date, *answers: list[int]) -> None:
    unit_id = await _unit_id(office, code)
    async with office.db.write() as session:
        for position, scores in enumerate(answers):
            session.add(
                SurveyResponse(
                    unit_id=unit_id,
                    period=period,
                    submitted_on=day,
                    service_name=DOMISILI,
                    comment="Antrian <lama> & panas" if position == 0 else None,
                    age="25_34" if position < 2 else None,
                    sex="l" if position == 0 else "p",
                    **dict(zip(survey.ELEMENTS, scores, strict=True)),  # type: ignore[arg-type]
                )
            )


async def _seed_pu(office: Harness) -> None:
    await _seed(
        office,
        "BLW-PU",
        "2026Q4",
        date(2026, 11, 20),
        [4, 4, 3, 4, 3, 4, 4, 3, 3],
        [3, 3, 3, 4, 3, 3, 4, 3, 2],
        [4, 3, 2, 4, 3, 4, 3, 3, 3],
        [3, 4, 3, 4, 4, 3, 4, 4, 3],
    )
    await _seed(office, "BLW-PU", "2026Q3", date(2026, 8, 1), [4] * 9, [4] * 9)
    await _seed(office, "BLW-PU", "2026Q1", date(2026, 2, 1), [4] * 9, [3] * 9, [3] * 9)
    await _seed(office, "BLW-PU", "2025Q4", date(2025, 12, 1), [1] * 9)
    await _seed(office, "BLW-K01", "2026Q4", date(2026, 11, 2), [1] * 9)  # another unit


async def test_ikm_for_the_unit_head_with_a_chart(office: Harness) -> None:
    await _seed_pu(office)
    head = await office.employee(NURHAYATI)
    await head.send("/ikm")
    text, chart = await head.wait_for(2)
    assert "Seksi Pelayanan Umum" in text.text
    assert "Triwulan IV 2026 (berjalan): 84,03 · mutu B (Baik) dari 4 responden" in text.text
    for line in (
        "Persyaratan: 3,50",
        "Waktu Penyelesaian: 2,75",
        "Biaya/Tarif: 4,00",
        "Penanganan Pengaduan, Saran dan Masukan: 2,75",
        "Triwulan III 2026: 100,00 · A (Sangat Baik) · 2 responden",
        "Triwulan II 2026: belum ada responden",
        "Triwulan I 2026: 83,33 · B (Baik) · 3 responden",
        "Triwulan IV 2025: 25,00 · D (Tidak Baik) · 1 responden",
    ):
        assert line in text.text, line
    assert "Antrian <lama> & panas" in text.text  # escaped by the bot, shown as typed
    assert "Antrian &lt;lama&gt;" in (text.source_text or "")
    assert chart.photo and "Triwulan IV 2025 – Triwulan IV 2026" in chart.text
    # English on request.
    await head.send("/bahasa")
    await head.wait_for(1)
    await head.press("🇬🇧 English")
    await head.wait_for_edit()
    await head.send("/ikm")
    text, chart = await head.wait_for(2)
    assert "Quarter IV 2026 (running): 84.03 · grade B (Good) from 4 respondents" in text.text
    assert "Requirements: 3.50" in text.text and chart.photo


async def test_ikm_is_refused_to_employees_citizens_and_other_units(office: Harness) -> None:
    await _seed_pu(office)
    kevin = await office.employee(KEVIN)
    citizen = office.user(first_name="Warga")
    for person in (kevin, citizen):
        await person.send("/ikm")
        [refused] = await person.wait_for(1)
        assert "tidak memiliki akses" in refused.text
        assert not any(m.photo for m in person.messages)
    lurah = await office.employee(SYAHRUL)
    await lurah.send("/ikm BLW-PU")
    [refused] = await lurah.wait_for(1)
    assert "tidak memiliki akses" in refused.text
    await lurah.send("/ikm")
    text, _ = await lurah.wait_for(2)
    assert "Kelurahan Belawan I" in text.text and "25,00 · mutu D" in text.text
    admin = await office.employee(FITRIANI)
    await admin.send("/ikm BLW-PU")
    text, chart = await admin.wait_for(2)
    assert "84,03" in text.text and chart.photo
    await admin.send("/ikm NOPE")
    [unknown] = await admin.wait_for(1)
    assert "tidak ditemukan" in unknown.text and "BLW-PU" in unknown.text
    # The admin's own unit has no answers: no empty chart, and a hint how to choose another.
    await admin.send("/ikm")
    [own] = await admin.wait_for(1)
    assert "Belum ada jawaban survei untuk unit ini" in own.text
    assert "/ikm KODE" in own.text and "BLW-PU" in own.text
    await admin.send("/bantuan")  # answered after /ikm: nothing else came from /ikm
    await admin.wait_for(1)
    assert not any(m.photo for m in admin.messages[-3:])


async def test_bad_input_during_the_survey(services: Harness) -> None:
    warga = services.user(first_name="Joko", language_code="en")
    await _choose(warga)
    [first] = await warga.wait_for(1)
    await warga.send_sticker()
    hint, again = await warga.wait_for(2)
    assert "pilih salah satu tombol" in hint.text and "1/9" in again.text
    await warga.send("4")
    hint, again = await warga.wait_for(2)
    assert "1/9" in again.text
    # A forged answer value changes nothing.
    version = first.buttons[0][0][1].split(":")[1]  # type: ignore[union-attr]
    await warga.press(callback_data=f"f:{version}:a:9", forge=True)
    await warga.press(LABELS[2][0])
    await _answer(warga, [2] * 8, start=1)
    await warga.wait_for(1)
    await warga.send("x" * 1001)
    [long] = await warga.wait_for(1)
    assert "maksimal 1000 karakter" in long.text
    await warga.press("Lewati")
    await warga.wait_for(1)
    await warga.press("Lewati semua & kirim")
    await warga.wait_for(1)
    [row] = await _responses(services)
    assert row.answers == (2,) * 9


async def test_survey_in_english(services: Harness) -> None:
    john = services.user(first_name="John")
    await john.send("/language")
    await john.wait_for(1)
    await john.press("🇬🇧 English")
    await john.wait_for_edit()
    await john.send("/survey")
    [ask] = await john.wait_for(1)
    assert "anonymous" in ask.text
    await john.press(PU)
    [ask] = await john.wait_for(1)
    assert "Certificate of domicile" in ask.button_texts
    await john.press("Certificate of domicile")
    [first] = await john.wait_for(1)
    assert first.text.startswith("1/9 · Requirements")
    assert first.button_texts == ["Not matching", "Barely matching", "Matching", "Fully matching"]


async def test_week_figures_for_the_digest(office: Harness) -> None:
    await _seed_pu(office)
    unit_id = await _unit_id(office, "BLW-PU")
    await _seed(office, "BLW-PU", "2026Q4", date(2026, 11, 24), [4] * 9)
    week = await survey.survey_week_figures(
        office.db, unit_id, date(2026, 11, 23), date(2026, 11, 29)
    )
    # The week has the one answer of the 24th; the quarter so far has five:
    # sums 14+4 … → total 121 + 36 = 157 over 5 × 9 → 157 × 25 / 45 = 87.22, B
    assert week.responses == 1 and week.period == "2026Q4"
    assert week.quarter is not None and week.quarter.respondents == 5
    assert str(week.quarter.ikm) == "87.22" and week.quarter.grade == "B"
    early = await survey.survey_week_figures(
        office.db, unit_id, date(2026, 11, 16), date(2026, 11, 22)
    )
    assert early.responses == 4 and early.quarter is not None and early.quarter.respondents == 4


async def test_cli_report_writes_the_published_table(
    office: Harness, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed_pu(office)
    out = tmp_path / "skm.xlsx"
    env = {"DATABASE_URL": db_url, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    code, stdout, err = await sigap(
        "skm", "report", "--unit", "BLW-PU", "--period", "2026Q4", "--out", str(out), env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "4 responden" in stdout and "84.03" in stdout
    sheet = load_workbook(out).active
    assert sheet is not None
    assert "Seksi Pelayanan Umum (BLW-PU)" in sheet["A1"].value
    assert sheet["B2"].value.startswith("Triwulan IV 2026 (1 Oktober 2026 – 31 Desember 2026")
    assert (sheet["A3"].value, sheet["B3"].value) == ("Jumlah responden", 4)
    assert [sheet.cell(6 + i, 2).value for i in range(9)][:2] == [
        "Persyaratan",
        "Sistem, Mekanisme, dan Prosedur",
    ]
    means = [sheet.cell(6 + i, 3).value for i in range(9)]
    assert means == [3.5, 3.5, 2.75, 4.0, 3.25, 3.5, 3.75, 3.25, 2.75]
    assert sheet["D6"].value == 0.3889  # 3.5 / 9
    assert (sheet["B15"].value, sheet["C15"].value) == ("Nilai indeks (1–4)", 3.3611)
    assert (sheet["B16"].value, sheet["C16"].value) == ("IKM (× 25)", 84.03)
    assert (sheet["C17"].value, sheet["C18"].value) == ("B", "Baik")
    profile = {
        (sheet.cell(r, 1).value, sheet.cell(r, 2).value): sheet.cell(r, 3).value
        for r in range(22, sheet.max_row + 1)
    }
    assert profile[("Usia", "25–34 tahun")] == 2
    assert profile[("Usia", "Tidak diisi")] == 2
    assert profile[("Jenis kelamin", "Laki-laki")] == 1
    assert profile[("Jenis kelamin", "Perempuan")] == 3
    assert profile[("Pekerjaan utama", "Tidak diisi")] == 4
    # A period without answers, a bad period, an unknown unit: one line each.
    code, _, err = await sigap(
        "skm", "report", "--unit", "BLW-PU", "--period", "2026Q2", "--out", str(out), env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 1 and "Belum ada jawaban" in err and err.count("\n") == 1
    code, _, err = await sigap(
        "skm", "report", "--unit", "BLW-PU", "--period", "2026Q7", "--out", str(out), env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 1 and "2026Q7" in err
    code, _, err = await sigap(
        "skm", "report", "--unit", "NOPE", "--period", "2026Q4", "--out", str(out), env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 1 and "NOPE" in err
    code, stdout, _ = await sigap("skm", "services", "seed", env=env, cwd=tmp_path)
    assert code == 0 and "7 layanan" in stdout
    code, stdout, _ = await sigap(
        "skm", "services", "add", "izin_keramaian", "Rekomendasi izin keramaian", "--unit",
        "BLW-TRANTIB", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert code == 0 and "disimpan" in stdout
    code, stdout, _ = await sigap("skm", "services", "list", env=env, cwd=tmp_path)
    assert "izin_keramaian" in stdout and "BLW-TRANTIB" in stdout and "(semua)" in stdout
    code, stdout, _ = await sigap("skm", "services", "remove", "sktm", env=env, cwd=tmp_path)
    assert code == 0 and "tidak ditawarkan lagi" in stdout
    trantib = await survey.services_for(office.db, await _unit_id(office, "BLW-TRANTIB"))
    assert [s.code for s in trantib][:1] == ["izin_keramaian"]
    assert "sktm" not in [s.code for s in trantib]
    code, _, err = await sigap("skm", "services", "remove", "nope", env=env, cwd=tmp_path)
    assert code == 1 and "nope" in err


async def test_help_names_the_survey_and_the_index(office: Harness) -> None:
    citizen = office.user(first_name="Warga")
    await citizen.send("/bantuan")
    [shown] = await citizen.wait_for(1)
    assert "/survei" in shown.text and "/ikm" not in shown.text
    head = await office.employee(NURHAYATI)
    await head.send("/bantuan")
    [shown] = await head.wait_for(1)
    assert "/survei" in shown.text and "/ikm" in shown.text
