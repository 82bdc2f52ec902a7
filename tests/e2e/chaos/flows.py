"""The scenarios of the chaos driver, each a person (or a desk) going through one flow of
Sigap step by step with ``steps.step``: what they are told is recorded in the ``Tally``.

Every scenario carries a token of its own (letters only, so that no parser reads it as a
quantity or a duration) in what the person types, so that what it produced can be found in the
database and in the chats."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from random import Random

from emulator import EmulatedGroup, EmulatedUser
from tests.e2e.chaos.steps import Tally, button, button_starting, either, has, step

NUMBER = re.compile(r"BLW-\d{4}-\d{4}")
ADMINDUK = "Administrasi Kependudukan (KTP, KK, surat)"
PU = "Seksi Pelayanan Umum"
DOMISILI = "Surat keterangan domisili"
# Employees who log (NIP), with their direct supervisor's NIP and name as /persetujuan shows it.
STAFF = {
    "197508121999031007": ("198407222009012003", "Agus Salim Daulay"),
    "199203032019032012": ("197203181998032004", "Susanti Halim, S.E."),
    "199603052020121003": ("197802042005011006", "Rizky Pratama Pane, S.IP"),
    "199708112024211004": ("198009112006042011", "Kevin Gunawan"),
}
HANDLER = "199401202021012008"  # Dewi, complaint handler of BLW-PU (where ADMINDUK goes)
# The SKM's nine questions, one tap each (the regulation's wording for each score).
LABELS = {
    1: ["Tidak sesuai", "Tidak mudah", "Tidak cepat", "Sangat mahal", "Tidak sesuai",
        "Tidak kompeten", "Tidak sopan dan ramah", "Buruk", "Tidak ada"],
    4: ["Sangat sesuai", "Sangat mudah", "Sangat cepat", "Gratis", "Sangat sesuai",
        "Sangat kompeten", "Sangat sopan dan ramah", "Sangat baik", "Dikelola dengan baik"],
}  # fmt: skip
_SYLLABLES = [c + v for c in "bdgklmnprst" for v in "aiou"]


def token(n: int) -> str:
    """A word of letters unique to ``n`` (e.g. ``Kasilo``)."""
    word = ""
    n += len(_SYLLABLES)  # at least two syllables
    while n:
        n, rest = divmod(n, len(_SYLLABLES))
        word += _SYLLABLES[rest]
    return word.capitalize()


@dataclass
class Office:
    """The people of the run, linked once at the start."""

    employees: dict[str, EmulatedUser]  # by NIP
    desk: EmulatedGroup
    # Complaints filed and not yet worked at the desk: (citizen, number).
    tickets: list[tuple[EmulatedUser, str]] = field(default_factory=list)
    # Employees with saved entries no supervisor has decided yet.
    waiting: set[str] = field(default_factory=set)


async def worklog_guided(office: Office, nip: str, tally: Tally, tok: str) -> None:
    """/lapor step by step, with an evidence photo, then "✅ Simpan"."""
    person = office.employees[nip]
    description = f"Verifikasi berkas KTP warga {tok}"
    who = f"{nip} /lapor {tok}"
    await step(tally, person, lambda: person.send("/lapor"), has("Lapor kegiatan"), who)
    await step(tally, person, lambda: person.send(description), button("berkas"), who + " desc")
    await step(tally, person, lambda: person.press("berkas"), has("Berapa berkas"), who + " unit")
    await step(tally, person, lambda: person.send("15"), button("1j"), who + " qty")
    await step(tally, person, lambda: person.send("1,5 jam"), has("ukti"), who + " duration")
    photo = b"\xff\xd8\xff evidence " + tok.encode()
    await step(
        tally,
        person,
        lambda: person.send_photo(photo),
        either(has("Bukti diterima"), has("Bukti sekarang: 1.")),
        who + " photo",
    )
    summary = await step(
        tally,
        person,
        lambda: person.press("Selesai"),
        button("✅ Simpan", tok, "Bukti: 1"),
        who + " done",
    )
    await _save(office, nip, tally, summary.message_id, description, who)


async def worklog_quick(office: Office, nip: str, tally: Tally, tok: str) -> None:
    """One message ("Sosialisasi posyandu Kasilo 2 jam"), then "✅ Simpan"."""
    person = office.employees[nip]
    description = f"Sosialisasi posyandu {tok}"
    who = f"{nip} quick {tok}"
    summary = await step(
        tally,
        person,
        lambda: person.send(f"{description} 2 jam"),
        button("✅ Simpan", tok),
        who,
    )
    await _save(office, nip, tally, summary.message_id, description, who)


async def _save(
    office: Office, nip: str, tally: Tally, summary_id: int, description: str, who: str
) -> None:
    person = office.employees[nip]
    await step(
        tally,
        person,
        lambda: person.press("✅ Simpan", message_id=summary_id),
        has("Tersimpan"),
        who + " save",
    )
    tally.activities.append(description)
    office.waiting.add(nip)


async def complaint(office: Office, citizen: EmulatedUser, tally: Tally, tok: str) -> None:
    """/aduan with a photo, to the receipt with its tracking number."""
    who = f"citizen {citizen.id} /aduan {tok}"
    story = f"Lampu jalan di gang {tok} mati sejak Senin malam, jalan jadi gelap sekali."
    c = citizen
    await step(tally, c, lambda: c.send("/aduan"), button("Pengaduan"), who)
    await step(tally, c, lambda: c.press("Pengaduan"), button(ADMINDUK), who + " kind")
    await step(tally, c, lambda: c.press(ADMINDUK), has("kapan"), who + " category")
    await step(tally, c, lambda: c.send(story), has("okasi"), who + " story")
    await step(tally, c, lambda: c.send("Lewati"), has("sampai 5 berkas"), who + " location")
    photo = b"\xff\xd8\xff complaint " + tok.encode()
    # Its answer, or (the photo kept just before a kill, its update round again) the question
    # again, then with "Selesai" since one file is kept; the summary shows the one attachment.
    # Not the question with "Lewati" only: that is the location's answer asked again (its
    # update came round after a kill) and the photo's answer is still to come.
    received = either(has("Diterima (1/5)"), button("Selesai", "Ada foto atau dokumen pendukung"))
    await step(tally, c, lambda: c.send_photo(photo), received, who + " photo")
    await step(tally, c, lambda: c.press("Selesai"), button("Biasa"), who + " files")
    await step(tally, c, lambda: c.press("Biasa"), has("menghubungi Anda"), who + " privacy")
    summary = await step(
        tally,
        c,
        lambda: c.send("Tidak usah"),
        button("✅ Kirim aduan", tok, "Lampiran: 1"),
        who + " contact",
    )
    receipt = await step(
        tally,
        c,
        lambda: c.press("✅ Kirim aduan", message_id=summary.message_id),
        lambda m: NUMBER.search(m.text or "") is not None and "diterima" in (m.text or ""),
        who + " submit",
    )
    found = NUMBER.search(receipt.text or "")
    assert found is not None
    tally.numbers[found.group()] = tok
    tally.shown.append(found.group())
    office.tickets.append((citizen, found.group()))


async def desk_work(
    office: Office, citizen: EmulatedUser, number: str, tally: Tally, tok: str, rng: Random
) -> None:
    """The handler works a ticket in the desk group to "Selesai" with an answer relayed to the
    citizen, who confirms it or reopens it with a reason relayed back to the desk."""
    handler, desk = office.employees[HANDLER], office.desk
    who = f"desk {number}"
    shown = await step(
        tally, desk, None, button("✅ Verifikasi", f"Aduan {number}"), who + " ticket", since=0
    )
    ticket = shown.message_id

    def press(label: str) -> Callable[[], Awaitable[str]]:
        return lambda: handler.press(label, chat=desk, message_id=ticket)

    await step(tally, citizen, press("✅ Verifikasi"), has(number, "diverifikasi"), who + " verify")
    await step(tally, citizen, press("⚙️ Proses"), has(number, "diproses"), who + " process")
    question = await step(
        tally, desk, press("🏁 Selesai"), has("apa penyelesaian aduan", number), who + " done"
    )
    answer = f"Lampu di gang {tok} sudah diganti petugas."

    def asked() -> str:
        ids = [m.message_id for m in desk.arrivals if "apa penyelesaian aduan " + number in m.text]
        return f"answered question {question.message_id}; questions {ids} in the desk"

    await step(
        tally,
        citizen,
        lambda: handler.send(answer, chat=desk, reply_to=question),
        button("✅ Sudah selesai", tok),
        who + " answer",
        context=asked,
    )
    tally.relays.append(tok)
    if rng.random() < 0.5:
        await step(
            tally,
            citizen,
            lambda: citizen.press("✅ Sudah selesai"),
            has(number, "ditutup sebagai selesai"),
            who + " confirm",
        )
        return
    await step(
        tally,
        citizen,
        lambda: citizen.press("↩️ Belum selesai"),
        has("Apa yang belum selesai"),
        who + " reopen",
    )
    reason = f"Lampu gang {tok} padam lagi malam ini, tolong dicek."
    await step(tally, desk, lambda: citizen.send(reason), has(tok, "padam lagi"), who + " reason")
    tally.relays.append(tok + " reopen")


async def approve(office: Office, nip: str, tally: Tally) -> None:
    """The employee's supervisor opens /persetujuan and approves the first entry of the day."""
    supervisor_nip, name = STAFF[nip]
    boss, person = office.employees[supervisor_nip], office.employees[nip]
    who = f"{supervisor_nip} approves {nip}"
    office.waiting.discard(nip)
    listing = await step(
        tally, boss, lambda: boss.send("/persetujuan"), button_starting(f"{name} ("), who
    )
    label = next(b for b in listing.button_texts if b.startswith(f"{name} ("))
    await step(
        tally,
        boss,
        lambda: boss.press(label, message_id=listing.message_id),
        button("✅ 1"),
        who + " open",
        edited=listing.message_id,
    )
    await step(
        tally,
        person,
        lambda: boss.press("✅ 1", message_id=listing.message_id),
        has("disetujui oleh"),
        who + " decide",
    )
    tally.decisions.append(nip)


async def survey(citizen: EmulatedUser, tally: Tally, tok: str, rng: Random) -> None:
    """/survei: unit, service, nine taps, a comment, four respondent questions, thanks."""
    c, who = citizen, f"citizen {citizen.id} /survei {tok}"
    await step(tally, c, lambda: c.send("/survei"), button(PU), who)
    labels = [LABELS[rng.choice((1, 4))][i] for i in range(9)]
    await step(tally, c, lambda: c.press(PU), button(DOMISILI), who + " unit")
    await step(tally, c, lambda: c.press(DOMISILI), button(labels[0], "1/9"), who + " service")
    for i in range(8):
        expect = button(labels[i + 1], f"{i + 2}/9")
        await step(tally, c, partial(c.press, labels[i]), expect, f"{who} q{i + 1}")
    await step(tally, c, lambda: c.press(labels[8]), has("komentar"), who + " q9")
    await step(tally, c, lambda: c.send(f"Loket {tok} cepat"), has("Usia"), who + " comment")
    # Each answer waits for the next question by its number too: a question asked again after
    # a kill (its update came round) also shows "Lewati", and pressing that one is stale.
    for tap, then, number in (
        ("25–34 tahun", "Perempuan", "2/4"),
        ("Perempuan", "Lewati", "3/4"),
        ("Lewati", "Wirausaha", "4/4"),
    ):
        await step(tally, c, partial(c.press, tap), button(then, number), f"{who} {tap}")
    await step(
        tally, c, lambda: c.press("Wirausaha"), has("Terima kasih", "tanpa identitas"), who + " end"
    )
    tally.surveys += 1
