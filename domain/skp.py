"""Reading and checking a file of SKP targets (CSV or XLSX) before it is imported.

One row is one SKP target of one employee for one year (PermenPANRB 6/2022): an RHK
(Rencana Hasil Kerja), its indikator kinerja individu, the yearly target quantity with
its unit, and whether the RHK is Utama or Tambahan.  Columns::

    NIP;Tahun;RHK;Indikator;Target;Satuan;Jenis;Aduan

"Aduan" (optional) marks the target that complaint handling counts towards: the activities
Sigap offers a handler after work on a ticket link to it (``models.complaints.work``).

Like :mod:`domain.roster`, the module only reads and reports codes with parameters.
File-level problems raise :class:`domain.tabular.TableFileError`; row-level problems come
from :func:`validate_targets`, which reports every bad row so the whole file can be fixed
in one go.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

from domain.nip import normalize_nip, validate_nip
from domain.tabular import (
    DEFAULT_MAX_ROWS,
    NIP_HEADER_ALIASES,
    Column,
    TableLayout,
    TableRecord,
    looks_like_rounded_nip,
    read_table,
)

__all__ = [
    "FIELD_LIMITS",
    "KINDS",
    "MAX_TARGET_QUANTITY",
    "TARGET_PROBLEM_CODES",
    "Kind",
    "TargetProblem",
    "TargetRow",
    "parse_flag",
    "parse_kind",
    "parse_quantity",
    "read_targets",
    "validate_targets",
]

Kind = Literal["utama", "tambahan"]
KINDS: Final[tuple[Kind, ...]] = ("utama", "tambahan")

#: Largest accepted target; a yearly target above it is almost surely a typo
#: (a date, a NIK, or a budget in rupiah typed into the Target column).
MAX_TARGET_QUANTITY: Final = 1_000_000

#: Maximum characters per field (after whitespace is collapsed); sized for the DB columns.
FIELD_LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {"rhk": 500, "indicator": 500, "unit": 40}
)

#: Every TargetProblem.code, for catalogue completeness checks.
TARGET_PROBLEM_CODES: Final = (
    "invalid_nip",
    "nip_mangled_by_excel",
    "unknown_employee",
    "bad_year",
    "missing_rhk",
    "missing_indicator",
    "bad_quantity",
    "missing_unit",
    "bad_kind",
    "bad_complaint_flag",
    "field_too_long",
    "duplicate_target",
    "other_unit",  # a unit admin's file: an employee of another unit (models.targets)
)

# SKP is planned for the coming year late in the current one and may be corrected
# early in the next, so one year either side is accepted; anything further is a typo.
_YEAR_SLACK: Final = 1

# Lengths are capped so that a pasted run of digits cannot hit int()'s digit limit;
# anything that long is refused by the range checks anyway.
_YEAR_DIGITS: Final = re.compile(r"[0-9]{1,6}")
_PLAIN_DIGITS: Final = re.compile(r"[0-9]{1,15}")
# Indonesian writes thousands with dots ("1.500"); Excel in the Indonesian locale
# exports them that way too.  Groups must be exactly three digits, so "1.5" and "12,5"
# (decimal comma) are refused instead of being silently read as 15 or 125.
_DOTTED_THOUSANDS: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3}){1,4}")

# A quoted cell in a problem report is cut to this many characters: the report has to
# fit a chat message even when a whole paragraph landed in the Tahun column.
_QUOTE_MAX: Final = 40

_KIND_ALIASES: Final[Mapping[str, Kind]] = MappingProxyType(
    {
        "utama": "utama",
        "u": "utama",
        "main": "utama",
        "tambahan": "tambahan",
        "t": "tambahan",
        "additional": "tambahan",
    }
)

# "Aduan": ya/tidak (also y/t, yes/no, 1/0, x); an empty cell is "tidak".
_FLAG_ALIASES: Final[Mapping[str, bool]] = MappingProxyType(
    {"ya": True, "y": True, "yes": True, "1": True, "x": True, "✓": True, "v": True}
    | {"tidak": False, "t": False, "no": False, "n": False, "0": False, "-": False}
)

# Jenis and Aduan are the only optional columns: most SKP rows are Utama, and many templates have
# no such column at all.
_LAYOUT: Final = TableLayout(
    (
        Column("nip", "NIP", NIP_HEADER_ALIASES, True),
        Column("year", "Tahun", ("tahun", "year", "tahun skp", "skp year", "periode tahun"), True),
        Column(
            "rhk",
            "RHK",
            (
                "rhk",
                "rencana hasil kerja",
                "rencana hasil kerja (rhk)",
                "rhk pegawai",
                "work plan",
                "planned work result",
                "work result plan",
            ),
            True,
        ),
        Column(
            "indicator",
            "Indikator",
            (
                "indikator",
                "indikator kinerja",
                "indikator kinerja individu",
                "indikator kinerja individu (iki)",
                "iki",
                "indicator",
                "performance indicator",
                "individual performance indicator",
            ),
            True,
        ),
        Column(
            "target_quantity",
            "Target",
            (
                "target",
                "target kuantitas",
                "kuantitas",
                "target kuantitas output",
                "jumlah target",
                "target quantity",
                "quantity",
            ),
            True,
        ),
        Column(
            "unit",
            "Satuan",
            ("satuan", "satuan output", "satuan target", "unit", "output unit", "unit of measure"),
            True,
        ),
        Column(
            "kind",
            "Jenis",
            ("jenis", "jenis rhk", "jenis kinerja", "kategori", "kind", "type", "category"),
            False,
        ),
        Column(
            "complaint_work",
            "Aduan",
            (
                "aduan",
                "penanganan aduan",
                "target aduan",
                "pengaduan",
                "complaints",
                "complaint work",
                "complaint handling",
            ),
            False,
        ),
    ),
    key_field="nip",
)


@dataclass(frozen=True, slots=True)
class TargetRow:
    """One SKP target as read from the file; text is stripped and whitespace collapsed.

    A cell that could not be understood leaves a value :func:`validate_targets` always
    refuses and keeps its text for the problem report: ``year`` 0 with ``year_text``,
    ``target_quantity`` 0 with ``quantity_text``, and a non-empty ``kind_text`` (``kind``
    is then "utama").  ``excel_mangled`` holds ``"nip"`` when Excel had rounded it.
    """

    line: int
    nip: str
    year: int
    rhk: str
    indicator: str
    target_quantity: int
    unit: str
    kind: Kind
    year_text: str = ""
    quantity_text: str = ""
    kind_text: str = ""
    excel_mangled: frozenset[str] = frozenset()
    complaint_work: bool = False
    complaint_text: str = ""  # the "Aduan" cell, kept only when it could not be understood


@dataclass(frozen=True, slots=True)
class TargetProblem:
    line: int
    nip: str
    code: str
    params: dict[str, object] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def read_targets(
    path: Path, *, max_rows: int = DEFAULT_MAX_ROWS, suffix: str | None = None
) -> list[TargetRow]:
    """Read a ``.csv`` or ``.xlsx`` file of SKP targets; blank rows are skipped.

    Raises :class:`domain.tabular.TableFileError` when the file as a whole is unusable
    (unsupported type, unreadable, not UTF-8, malformed CSV, no rows, missing or
    repeated columns, more than ``max_rows`` rows).
    """
    records = read_table(path, _LAYOUT, max_rows=max_rows, suffix=suffix)
    return [_make_row(record) for record in records]


#: The columns of a targets file, in the order Sigap writes them.
TARGET_HEADERS: Final = tuple(column.header for column in _LAYOUT.columns)


def _make_row(record: TableRecord) -> TargetRow:
    year_cell = record.text("year")
    year = int(year_cell) if _YEAR_DIGITS.fullmatch(year_cell) else None
    quantity_cell = record.text("target_quantity")
    quantity = parse_quantity(quantity_cell)
    kind_cell = record.text("kind")
    kind = parse_kind(kind_cell)
    flag_cell = record.text("complaint_work")
    flag = parse_flag(flag_cell)
    mangled = "nip" in record.lossy or looks_like_rounded_nip(record.raw("nip"))
    return TargetRow(
        line=record.line,
        nip=normalize_nip(record.raw("nip")),
        year=year or 0,
        rhk=record.text("rhk"),
        indicator=record.text("indicator"),
        target_quantity=quantity or 0,
        unit=record.text("unit").lower(),
        kind=kind or "utama",
        # The cell is kept only when its value is unusable, so that the report can quote
        # what the person typed; rows read from CSV and XLSX then compare equal.
        year_text="" if year else year_cell,
        quantity_text="" if quantity else quantity_cell,
        kind_text="" if kind else kind_cell,
        excel_mangled=frozenset({"nip"}) if mangled else frozenset(),
        complaint_work=bool(flag),
        complaint_text="" if flag is not None else flag_cell,
    )


def parse_quantity(text: str) -> int | None:
    """A whole number written plainly or with Indonesian thousands dots; else None.

    ``"600"`` → 600, ``"1.500"`` → 1500; ``"12,5"``, ``"1.5"``, ``"1,000"`` → None.  The
    comma is the Indonesian decimal mark, so "1,000" is refused rather than guessed.
    """
    compact = text.strip()
    if _PLAIN_DIGITS.fullmatch(compact):
        return int(compact)
    if _DOTTED_THOUSANDS.fullmatch(compact):
        return int(compact.replace(".", ""))
    return None


def parse_kind(text: str) -> Kind | None:
    """Utama/Tambahan (also U/T, main/additional), any case; an empty cell is Utama."""
    key = " ".join(text.split()).casefold()
    if not key:
        return "utama"
    return _KIND_ALIASES.get(key)


def parse_flag(text: str) -> bool | None:
    """The "Aduan" cell: ya/tidak and their short forms, any case; empty is "tidak"."""
    key = " ".join(text.split()).casefold()
    if not key:
        return False
    return _FLAG_ALIASES.get(key)


# ------------------------------------------------------------------------ validation


def validate_targets(
    rows: Iterable[TargetRow], known_nips: Collection[str], current_year: int
) -> list[TargetProblem]:
    """Every problem of every row, sorted by line (stable within a line).

    ``known_nips`` are the normalised NIPs of employees in the database (or in the
    roster being imported).  ``current_year`` is passed in rather than read from the
    clock so results do not change at midnight on 31 December.
    """
    rows = list(rows)
    # Set-like and mapping inputs already answer `in` quickly; anything else is copied once.
    known = known_nips if isinstance(known_nips, AbstractSet | Mapping) else frozenset(known_nips)
    first_line: dict[tuple[str, int, str, str], int] = {}
    problems: list[TargetProblem] = []
    for row in rows:
        for code, params in _check_row(row, known, current_year, first_line):
            problems.append(TargetProblem(row.line, row.nip, code, params))
    problems.sort(key=lambda problem: problem.line)
    return problems


_Found = tuple[str, dict[str, object]]


def _check_row(
    row: TargetRow,
    known: Collection[str],
    current_year: int,
    first_line: dict[tuple[str, int, str, str], int],
) -> Iterator[_Found]:
    """Problems of one row as (code, params), in a fixed order; updates ``first_line``."""
    nip_ok = False
    if "nip" in row.excel_mangled:
        # The digits are not the employee's any more, so other NIP checks would mislead.
        yield "nip_mangled_by_excel", {"field": "nip"}
    elif not (check := validate_nip(row.nip)).ok:
        yield "invalid_nip", {"reason": check.code}
    elif row.nip not in known:
        yield "unknown_employee", {}
    else:
        nip_ok = True

    lowest, highest = current_year - _YEAR_SLACK, current_year + _YEAR_SLACK
    year_ok = lowest <= row.year <= highest
    if not year_ok:
        value = _quote(row.year_text) if row.year == 0 else str(row.year)
        yield "bad_year", {"value": value, "min": lowest, "max": highest}

    if not row.rhk:
        yield "missing_rhk", {}
    if not row.indicator:
        yield "missing_indicator", {}
    if not 1 <= row.target_quantity <= MAX_TARGET_QUANTITY:
        value = _quote(row.quantity_text) if row.target_quantity == 0 else str(row.target_quantity)
        yield "bad_quantity", {"value": value, "max": MAX_TARGET_QUANTITY}
    if not row.unit:
        yield "missing_unit", {}
    if row.kind_text or row.kind not in KINDS:
        yield "bad_kind", {"value": _quote(row.kind_text or str(row.kind))}
    if row.complaint_text:
        yield "bad_complaint_flag", {"value": _quote(row.complaint_text)}
    for text_field, limit in FIELD_LIMITS.items():
        if len(getattr(row, text_field)) > limit:
            yield "field_too_long", {"field": text_field, "max": limit}

    # Only rows that identify a target can duplicate one; the others are already
    # reported.  Case is ignored: "Jumlah Surat" and "jumlah surat" are the same
    # indicator to a person, and the database would otherwise keep both.
    if nip_ok and year_ok and row.rhk and row.indicator:
        key = (row.nip, row.year, row.rhk.casefold(), row.indicator.casefold())
        first = first_line.setdefault(key, row.line)
        if first != row.line:
            yield "duplicate_target", {"first_line": first}


def _quote(text: str) -> str:
    return text if len(text) <= _QUOTE_MAX else text[: _QUOTE_MAX - 1] + "…"
