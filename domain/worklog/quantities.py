"""Counts of work done ("15 berkas") and their units."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from domain.worklog.problems import ParseProblem
from domain.worklog.text import DASH_CLASS, NOT_WORD, START, squash

MAX_QUANTITY: Final = 10_000
#: A unit is a word or two ("berkas", "orang dilayani"); longer text after a number is more
#: likely a sentence typed in the wrong place.
UNIT_MAX_LENGTH: Final = 40

#: Output units offered as buttons (regional e-kinerja apps use the first three).
COMMON_UNITS: Final = ("dokumen", "laporan", "kegiatan", "surat", "berkas", "orang dilayani")

#: Nouns after which a number in a quick log is read as a quantity ("15 berkas", "12 warga"):
#: the outputs and the people served that kelurahan and kecamatan offices count.
COUNT_NOUNS: Final = (
    *COMMON_UNITS,
    "warga",
    "orang",
    "penduduk",
    "jiwa",
    "keluarga",
    "pemohon",
    "peserta",
    "balita",
    "anak",
    "lansia",
    "KPM",  # keluarga penerima manfaat (bansos)
    "permohonan",
    "undangan",
    "usulan",
    "proposal",
    "notulen",
    "data",
    "lembar",
    "halaman",
    "eksemplar",
    "formulir",
    "set",
    "paket",
    "buah",
    "unit",
    "titik",
    "lokasi",
    "rumah",
    "kali",
    "foto",
    "akta",
    "sertifikat",
    "KK",
    "KTP",
    "KIA",
    "NIK",
    "SKTM",
    "SKU",
    "SPPT",
)

# Other spellings -> canonical unit.  Indonesian nouns have no plural form, so only
# abbreviations and English words need mapping; acronyms keep their capitals.  Short forms
# that are also common words ("hal" is "a matter", "kl" is "kurang lebih") are left out.
_UNIT_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "org": "orang",
        "orng": "orang",
        "person": "orang",
        "persons": "orang",
        "people": "orang",
        "people served": "orang dilayani",
        "wrg": "warga",
        "resident": "warga",
        "residents": "warga",
        "citizen": "warga",
        "citizens": "warga",
        "pddk": "penduduk",
        "pdd": "penduduk",
        "family": "keluarga",
        "families": "keluarga",
        "household": "keluarga",
        "households": "keluarga",
        "applicant": "pemohon",
        "applicants": "pemohon",
        "participant": "peserta",
        "participants": "peserta",
        "invitation": "undangan",
        "invitations": "undangan",
        "proposals": "proposal",
        "notula": "notulen",
        "dok": "dokumen",
        "dokumen2": "dokumen",
        "doc": "dokumen",
        "docs": "dokumen",
        "document": "dokumen",
        "documents": "dokumen",
        "lap": "laporan",
        "report": "laporan",
        "reports": "laporan",
        "srt": "surat",
        "letter": "surat",
        "letters": "surat",
        "bks": "berkas",
        "brks": "berkas",
        "file": "berkas",
        "files": "berkas",
        "keg": "kegiatan",
        "kgt": "kegiatan",
        "activity": "kegiatan",
        "activities": "kegiatan",
        "lbr": "lembar",
        "lmbr": "lembar",
        "sheet": "lembar",
        "sheets": "lembar",
        "page": "halaman",
        "pages": "halaman",
        "eks": "eksemplar",
        "copy": "eksemplar",
        "copies": "eksemplar",
        "form": "formulir",
        "forms": "formulir",
        "sets": "set",
        "pkt": "paket",
        "package": "paket",
        "packages": "paket",
        "bh": "buah",
        "pcs": "buah",
        "units": "unit",
        "ttk": "titik",
        "location": "lokasi",
        "locations": "lokasi",
        "rmh": "rumah",
        "house": "rumah",
        "houses": "rumah",
        "times": "kali",
        "photo": "foto",
        "photos": "foto",
        "akte": "akta",
        "certificate": "sertifikat",
        "certificates": "sertifikat",
        "kk": "KK",
        "ktp": "KTP",
        # The electronic identity card is the only KTP issued today: one unit, so reports add up.
        "ktp-el": "KTP",
        "ktp el": "KTP",
        "e-ktp": "KTP",
        "ektp": "KTP",
    }
)


# Whole numbers, optionally grouped in thousands ("1.000", "1,000"): a quantity is never a
# fraction, so the grouping mark cannot be mistaken for a decimal mark.
_INTEGER: Final = r"[0-9]{1,3}(?:\.[0-9]{3}){1,4}|[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15}"
_QUANTITY_RE: Final = re.compile(
    rf"(?P<sign>{DASH_CLASS})?\s*(?P<number>{_INTEGER})(?:\s*(?P<unit>[^\W\d_].*))?"
)
# "berkas-berkas" and "berkas2" are plurals of "berkas".
_REDUPLICATED: Final = re.compile(r"(\w+?)(?:-\1|2)", re.IGNORECASE)

_CANONICAL_UNITS: Final[Mapping[str, str]] = MappingProxyType(
    {**{unit.lower(): unit for unit in COUNT_NOUNS}, **_UNIT_ALIASES}
)


def _count_noun_alternatives() -> str:
    names = sorted(_CANONICAL_UNITS, key=len, reverse=True)  # "orang dilayani" before "orang"
    return "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in names)


COUNT_RE: Final = re.compile(
    rf"{START}(?P<number>{_INTEGER})\s*(?P<unit>{_count_noun_alternatives()})"
    rf"(?:-(?P=unit)|2)?{NOT_WORD}",
    re.IGNORECASE,
)


def normalize_unit(text: str) -> str:
    """``" Berkas "`` → ``berkas``, ``"org"`` → ``orang``, ``"ktp"`` → ``KTP``.

    Lowercase and whitespace-collapsed; reduplicated plurals ("berkas-berkas") and English or
    abbreviated forms of known units map to the Indonesian unit, so reports add up.
    """
    unit = squash(text).lower()
    reduplicated = _REDUPLICATED.fullmatch(unit)
    if reduplicated and (
        reduplicated[0].endswith("-" + reduplicated[1]) or reduplicated[1] in _CANONICAL_UNITS
    ):
        unit = reduplicated[1]
    return _CANONICAL_UNITS.get(unit, unit)


def int_from_grouped(number: str) -> int:
    return int(number.replace(".", "").replace(",", ""))


def check_quantity(quantity: int, max_quantity: int) -> int | ParseProblem:
    if quantity <= 0:
        return ParseProblem("quantity_zero", {"quantity": quantity})
    if quantity > max_quantity:
        return ParseProblem(
            "quantity_too_large", {"quantity": quantity, "max_quantity": max_quantity}
        )
    return quantity


def parse_quantity(
    text: str, *, max_quantity: int = MAX_QUANTITY
) -> tuple[int, str | None] | ParseProblem:
    """``"15"`` → ``(15, None)``; ``"15 berkas"`` → ``(15, "berkas")``."""
    squashed = squash(text)
    match = _QUANTITY_RE.fullmatch(squashed)
    if match is None or (match["unit"] and len(match["unit"]) > UNIT_MAX_LENGTH):
        return ParseProblem("quantity_unreadable", {"text": squashed})
    number = int_from_grouped(match["number"])
    checked = check_quantity(-number if match["sign"] else number, max_quantity)
    if isinstance(checked, ParseProblem):
        return checked
    return checked, normalize_unit(match["unit"]) if match["unit"] else None


def find_quantity(
    description: str, *, max_quantity: int = MAX_QUANTITY
) -> tuple[int, str] | ParseProblem | None:
    """The one counted thing in a description ("Verifikasi 15 berkas KTP" → 15 berkas).

    None when nothing is counted, or when two things are ("15 berkas dan 3 surat"): which one
    the work is measured by is the person's choice, not ours.
    """
    counted = list(COUNT_RE.finditer(description))
    if len(counted) != 1:
        return None
    value = check_quantity(int_from_grouped(counted[0]["number"]), max_quantity)
    if isinstance(value, ParseProblem):
        return value
    return value, normalize_unit(counted[0]["unit"])
