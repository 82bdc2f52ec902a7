"""The demo people of the sandbox: linked employees from the sample Belawan roster, two
citizens, and the complaint desk group of Seksi Pelayanan Umum (the unit that handles
administrasi kependudukan complaints in the default categories)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DESK_UNIT", "PERSONAS", "Persona", "persona"]

DESK_UNIT = "BLW-PU"


@dataclass(frozen=True)
class Persona:
    key: str
    name: str  # as the chat list shows it
    role: str  # one line under the name
    kind: str  # "user" or "group"
    user_id: int = 0  # Telegram user id (users): fixed, so links survive a restart
    first_name: str = ""
    last_name: str | None = None
    nip: str | None = None  # linked employee
    members: tuple[str, ...] = ()  # groups: persona keys who can write there (first: default)

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "pegawai",
        "Kevin Gunawan",
        "Pegawai · Seksi Pelayanan Umum",
        "user",
        user_id=710_000_001,
        first_name="Kevin",
        last_name="Gunawan",
        nip="199708112024211004",
    ),
    Persona(
        "atasan",
        "Nurhayati Harahap",
        "Atasan · Kepala Seksi Pelayanan Umum",
        "user",
        user_id=710_000_002,
        first_name="Nurhayati",
        last_name="Harahap",
        nip="198009112006042011",
    ),
    Persona(
        "penangan",
        "Dewi Kartika Sari",
        "Penangan aduan · Seksi Pelayanan Umum",
        "user",
        user_id=710_000_003,
        first_name="Dewi",
        last_name="Kartika Sari",
        nip="199401202021012008",
    ),
    Persona(
        "admin",
        "Fitriani Lubis",
        "Admin · Kasubbag Umum dan Kepegawaian",
        "user",
        user_id=710_000_004,
        first_name="Fitriani",
        last_name="Lubis",
        nip="198407222009012003",
    ),
    Persona(
        "warga",
        "Siti Rahmawati",
        "Warga · Belawan I",
        "user",
        user_id=710_000_005,
        first_name="Siti",
        last_name="Rahmawati",
    ),
    Persona(
        "warga2",
        "Budi Santoso",
        "Warga · Bagan Deli",
        "user",
        user_id=710_000_006,
        first_name="Budi",
        last_name="Santoso",
    ),
    Persona(
        "meja",
        "Meja Aduan Pelayanan Umum",
        "Grup · meja aduan BLW-PU",
        "group",
        members=("penangan", "atasan", "admin"),
    ),
)


def persona(key: str) -> Persona | None:
    return next((p for p in PERSONAS if p.key == key), None)
