"""Synthetic rosters for the benchmarks: valid NIPs, units with a head (supervisor and complaint
handler) and employees who report to them, under one camat."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

HEADER = ["NIP", "Nama", "Jabatan", "Kode Unit", "Nama Unit", "NIP Atasan", "Peran"]
TOP_UNIT = "BN"


def nip(index: int) -> str:
    """A valid PNS NIP, different for every index below 365,000."""
    birth = date(1960, 1, 1) + timedelta(days=index % 9000)
    return f"{birth:%Y%m%d}200501{1 + index // 9000 % 2}{index // 18000 + 1:03d}"


def unit_code(unit: int) -> str:
    return f"{TOP_UNIT}-U{unit:03d}"


def rows(units: int, per_unit: int) -> list[list[str]]:
    """The camat, then per unit its head and ``per_unit`` employees (the head's reports)."""
    camat = nip(0)
    out = [[camat, "Camat Bench", "Camat", TOP_UNIT, "Kecamatan Bench", "", "atasan, admin"]]
    index = 1
    for unit in range(1, units + 1):
        code, name = unit_code(unit), f"Unit {unit:03d}"
        head = nip(index)
        index += 1
        out.append(
            [
                head,
                f"Kepala {unit:03d}",
                "Kepala Seksi",
                code,
                name,
                camat,
                "atasan, penangan aduan",
            ]
        )
        for person in range(per_unit):
            out.append(
                [
                    nip(index),
                    f"Pegawai {unit:03d}-{person:03d}",
                    "Pelaksana",
                    code,
                    name,
                    head,
                    "pegawai",
                ]
            )
            index += 1
    return out


def write(path: Path, units: int, per_unit: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows(units, per_unit))
    return path
