"""Reading and checking an office roster (CSV or XLSX) before it is imported.

The module only reads files and reports problems as codes with parameters; turning
them into sentences is the job of the per-language text catalogues, and writing to the
database is the importer's job.

File-level problems (nothing sensible can be read) raise :class:`RosterFileError`.
Row-level problems come from :func:`validate_roster`, which reports every bad row so an
operator can fix the whole file in one go.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Final, NamedTuple

import openpyxl

from domain.nip import normalize_nip, validate_nip

__all__ = [
    "FIELD_LIMITS",
    "ROLES",
    "ROSTER_FILE_ERROR_CODES",
    "ROSTER_PROBLEM_CODES",
    "RosterFileError",
    "RosterProblem",
    "RosterRow",
    "read_roster",
    "validate_roster",
]

#: Role vocabulary stored in the database.
ROLES: Final = frozenset({"employee", "supervisor", "complaint_handler", "admin"})

#: Maximum characters per field (after whitespace is collapsed); sized for the DB columns.
FIELD_LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {"name": 120, "position": 160, "unit_code": 20, "unit_name": 120}
)

#: Every RosterFileError.code, for catalogue completeness checks.
ROSTER_FILE_ERROR_CODES: Final = (
    "unsupported_format",
    "unreadable",
    "not_utf8",
    "bad_csv",
    "empty",
    "missing_columns",
    "duplicate_columns",
    "too_many_rows",
)

#: Every RosterProblem.code, for catalogue completeness checks.
ROSTER_PROBLEM_CODES: Final = (
    "invalid_nip",
    "nip_mangled_by_excel",
    "duplicate_nip",
    "missing_name",
    "missing_unit",
    "field_too_long",
    "invalid_unit_code",
    "unit_name_conflict",
    "unknown_role",
    "invalid_supervisor_nip",
    "self_supervisor",
    "unknown_supervisor",
    "supervisor_cycle",
)

DEFAULT_MAX_ROWS: Final = 5000

# A title block ("DAFTAR PEGAWAI KECAMATAN ...") above the header is common in
# Indonesian office spreadsheets, so the header is looked for in the first few rows.
_HEADER_SEARCH_ROWS: Final = 10

# Doubles hold every integer up to 2**53 exactly; above that an integer may already
# have been rounded by Excel (which keeps 15 significant digits) on the way in.
_EXACT_FLOAT_INT_LIMIT: Final = 2**53

_UNIT_CODE: Final = re.compile(r"[A-Za-z0-9_-]+")

# How Excel shows a long number once it has turned it into a float: "1.98609E+17"
# (General format, comma as decimal mark in Indonesian locale) or, with a 0-decimals
# number format, 15 significant digits padded with zeros.  A NIP cannot end in "000"
# (sequence starts at 001), so that pattern is a reliable sign of rounding.
_SCIENTIFIC: Final = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+")
_ROUNDED_18: Final = re.compile(r"[0-9]{15}000")

_ROLE_SEPARATORS: Final = re.compile(r"[,;|/]")
_ROLE_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "employee": "employee",
        "pegawai": "employee",
        "staf": "employee",
        "staff": "employee",
        "supervisor": "supervisor",
        "atasan": "supervisor",
        "complaint_handler": "complaint_handler",
        "penangan_aduan": "complaint_handler",
        "penangan_pengaduan": "complaint_handler",
        "admin": "admin",
        "administrator": "admin",
    }
)


class _Column(NamedTuple):
    field: str
    header: str  # canonical Indonesian header, as in examples/roster_belawan.csv
    aliases: tuple[str, ...]  # already in _header_key() form
    required: bool


# Jabatan and Peran are optional: a missing position is allowed and roles default to
# "employee".  NIP Atasan is required even though a cell may be blank, so a file
# without it is refused instead of silently making everyone a top-level employee.
_COLUMNS: Final = (
    _Column(
        "nip", "NIP", ("nip", "nip baru", "ni pppk", "nip/ni pppk", "nomor induk pegawai"), True
    ),
    _Column("name", "Nama", ("nama", "name", "nama pegawai", "nama lengkap", "full name"), True),
    _Column("position", "Jabatan", ("jabatan", "position", "nama jabatan", "job title"), False),
    _Column("unit_code", "Kode Unit", ("kode unit", "unit code", "kode unit kerja"), True),
    _Column(
        "unit_name", "Nama Unit", ("nama unit", "unit name", "unit kerja", "nama unit kerja"), True
    ),
    _Column(
        "supervisor_nip",
        "NIP Atasan",
        ("nip atasan", "supervisor nip", "nip atasan langsung", "supervisor"),
        True,
    ),
    _Column("roles", "Peran", ("peran", "roles", "role"), False),
)
_FIELD_BY_ALIAS: Final[Mapping[str, str]] = MappingProxyType(
    {alias: column.field for column in _COLUMNS for alias in column.aliases}
)

_REQUIRED: Final = frozenset(column.field for column in _COLUMNS if column.required)

_NO_EXISTING: Final[Mapping[str, str | None]] = MappingProxyType({})


class RosterFileError(Exception):
    """The file as a whole cannot be used; ``code`` and ``params`` feed the catalogue."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params: dict[str, object] = params

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One employee as read from the file; text is stripped and whitespace collapsed.

    ``unknown_roles`` and ``excel_mangled`` keep what the reader noticed so that
    :func:`validate_roster` can report it with the right line.  ``excel_mangled`` holds
    the field names (``"nip"``, ``"supervisor_nip"``) whose value Excel had rounded.
    """

    line: int
    nip: str
    name: str
    position: str
    unit_code: str
    unit_name: str
    supervisor_nip: str | None
    roles: frozenset[str]
    unknown_roles: tuple[str, ...] = ()
    excel_mangled: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RosterProblem:
    line: int
    nip: str
    code: str
    params: dict[str, object] = field(default_factory=dict)


class _Record(NamedTuple):
    line: int
    cells: list[str]
    # Column indexes whose value came from a number that may have lost digits.
    lossy: frozenset[int]


# --------------------------------------------------------------------------- reading


def read_roster(path: Path, *, max_rows: int = DEFAULT_MAX_ROWS) -> list[RosterRow]:
    """Read a ``.csv`` or ``.xlsx`` roster; blank rows are skipped.

    ``RosterRow.line`` is what a person sees: the spreadsheet row number, or for CSV
    the text line where the record starts (they differ only after a cell containing a
    line break).  ``max_rows`` guards the bot against huge uploads.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _parse_records(_csv_records(path), max_rows)
    if suffix in (".xlsx", ".xlsm"):
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # missing file, not a zip, damaged XML: openpyxl varies
            raise RosterFileError("unreadable") from exc
        try:
            if not workbook.worksheets:
                raise RosterFileError("empty")
            sheet = workbook.worksheets[0]
            # Some writers store a wrong <dimension>; without this rows could be cut off.
            sheet.reset_dimensions()
            return _parse_records(_xlsx_records(sheet.iter_rows(values_only=True)), max_rows)
        finally:
            workbook.close()  # read-only mode keeps the file handle open until closed
    raise RosterFileError("unsupported_format", suffix=suffix or path.name)


def _csv_records(path: Path) -> Iterator[_Record]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterFileError("unreadable") from exc
    try:
        # utf-8-sig drops the BOM Excel writes for "CSV UTF-8" and accepts files without.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Plain "CSV" from Excel is in the Windows code page; guessing it could garble
        # names, so ask for "CSV UTF-8" instead.
        raise RosterFileError("not_utf8") from exc
    # strict: an unbalanced quote would otherwise swallow the rest of the file silently.
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    end_of_previous = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RosterFileError("bad_csv", line=end_of_previous + 1) from exc
        yield _Record(end_of_previous + 1, cells, frozenset())
        end_of_previous = reader.line_num


def _sniff_delimiter(text: str) -> str:
    """Pick ``;``, ``,`` or tab: the one that occurs most often, outside quotes, on one line.

    csv.Sniffer guesses wrong on short files and on commas inside names.  Taking the
    best single line among the first few means the header (one delimiter per column)
    wins over a title line such as "Daftar Pegawai, Kecamatan Medan Belawan".
    """
    best, best_count = ",", 0
    counts = dict.fromkeys(";,\t", 0)
    lines_seen = 0
    in_quotes = False
    for char in text[:65536]:
        if char == '"':
            in_quotes = not in_quotes
        elif in_quotes:
            continue
        elif char in counts:
            counts[char] += 1
        elif char == "\n":
            for delimiter, count in counts.items():
                if count > best_count:
                    best, best_count = delimiter, count
            counts = dict.fromkeys(counts, 0)
            lines_seen += 1
            if lines_seen >= _HEADER_SEARCH_ROWS:
                break
    for delimiter, count in counts.items():  # last line without a trailing newline
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _xlsx_records(rows: Iterator[tuple[object, ...]]) -> Iterator[_Record]:
    line = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged sheet only shows up while it is being read
            raise RosterFileError("unreadable") from exc
        line += 1  # read-only sheets yield empty tuples for absent rows, so this is the row number
        cells: list[str] = []
        lossy: set[int] = set()
        for index, value in enumerate(values):
            text, is_lossy = _cell_text(value)
            cells.append(text)
            if is_lossy:
                lossy.add(index)
        yield _Record(line, cells, frozenset(lossy))


def _cell_text(value: object) -> tuple[str, bool]:
    """Spreadsheet value as text, and whether it is a number that may have lost digits."""
    if value is None:
        return "", False
    if isinstance(value, bool):  # before int: bool is an int subclass
        return str(value).upper(), False
    if isinstance(value, int):
        # An int arrives only if the file literally stores all digits, which Excel
        # never does (it keeps numbers as doubles).  If the value is one a double can
        # hold, it may be the leftover of such rounding, so it cannot be trusted.
        return str(value), abs(value) > _EXACT_FLOAT_INT_LIMIT and float(value) == value
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return repr(value), False
        if abs(value) <= _EXACT_FLOAT_INT_LIMIT:
            return str(int(value)), False
        # Shortest round-trip digits, i.e. what Excel displays ("...051000"), not the
        # binary value's noise ("...051008").
        return format(Decimal(repr(value)), "f"), True
    if isinstance(value, datetime | date | time):
        return value.isoformat(), False
    return str(value), False


def _header_key(text: str) -> str:
    key = " ".join(text.replace("\ufeff", "").replace("_", " ").casefold().split())
    return re.sub(r"\s*/\s*", "/", key)


def _map_header(cells: list[str]) -> tuple[dict[str, int], list[str]]:
    """Column index per field, and the header texts that name an already-mapped field."""
    mapping: dict[str, int] = {}
    duplicates: list[str] = []
    for index, cell in enumerate(cells):
        field_name = _FIELD_BY_ALIAS.get(_header_key(cell))
        if field_name is None:
            continue  # extra columns (No., Golongan, ...) are allowed and ignored
        if field_name in mapping:
            duplicates.append(cell.strip())
        else:
            mapping[field_name] = index
    return mapping, duplicates


def _is_blank(cells: Iterable[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _parse_records(records: Iterator[_Record], max_rows: int) -> list[RosterRow]:
    first: tuple[_Record, dict[str, int]] | None = None
    header: tuple[_Record, dict[str, int], list[str]] | None = None
    seen = 0
    for record in records:
        if _is_blank(record.cells):
            continue
        mapping, duplicates = _map_header(record.cells)
        if first is None:
            first = (record, mapping)
        # NIP plus one other required column: enough to tell a header from a title.
        if "nip" in mapping and len(mapping.keys() & _REQUIRED) >= 2:
            header = (record, mapping, duplicates)
            break
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise RosterFileError("empty")
    if header is None:
        # No row had NIP plus another required column, so something is always missing.
        raise _missing_columns(first[1]) or RosterFileError("empty")
    _, mapping, duplicates = header
    if duplicates:
        raise RosterFileError("duplicate_columns", columns=duplicates)
    if error := _missing_columns(mapping):
        raise error

    rows: list[RosterRow] = []
    for record in records:
        row = _make_row(record, mapping)
        if row is None:
            continue
        if len(rows) >= max_rows:
            raise RosterFileError("too_many_rows", max=max_rows)
        rows.append(row)
    if not rows:
        raise RosterFileError("empty")
    return rows


def _missing_columns(mapping: Mapping[str, int]) -> RosterFileError | None:
    missing = [c for c in _COLUMNS if c.required and c.field not in mapping]
    if not missing:
        return None
    # Canonical Indonesian headers for the message (the user has to add exactly those),
    # field names for code.
    return RosterFileError(
        "missing_columns",
        columns=[c.header for c in missing],
        fields=[c.field for c in missing],
    )


def _make_row(record: _Record, mapping: Mapping[str, int]) -> RosterRow | None:
    def raw(field_name: str) -> str:
        index = mapping.get(field_name)
        if index is None or index >= len(record.cells):
            return ""
        return record.cells[index]

    def text(field_name: str) -> str:
        # Collapses line breaks and no-break spaces from multi-line or pasted cells.
        return " ".join(raw(field_name).split())

    # Rows with only an unmapped column filled (a pre-numbered "No." column in a
    # template) carry no employee data and are treated like blank rows.
    if _is_blank(raw(c.field) for c in _COLUMNS):
        return None

    mangled = frozenset(
        name
        for name in ("nip", "supervisor_nip")
        if mapping.get(name) in record.lossy or _looks_rounded(raw(name))
    )
    supervisor = normalize_nip(raw("supervisor_nip"))
    roles, unknown = _parse_roles(raw("roles"))
    return RosterRow(
        line=record.line,
        nip=normalize_nip(raw("nip")),
        name=text("name"),
        position=text("position"),
        unit_code=text("unit_code").upper(),  # codes compare case-insensitively
        unit_name=text("unit_name"),
        # "-" is how many people mark an empty cell; normalisation turns it into "".
        supervisor_nip=supervisor or None,
        roles=roles,
        unknown_roles=unknown,
        excel_mangled=mangled,
    )


def _looks_rounded(value: str) -> bool:
    compact = "".join(value.split())
    return bool(_SCIENTIFIC.fullmatch(compact) or _ROUNDED_18.fullmatch(normalize_nip(compact)))


def _parse_roles(value: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Known roles (always including ``employee``) and the tokens that matched nothing."""
    roles = {"employee"}
    unknown: list[str] = []
    for token in _ROLE_SEPARATORS.split(value):
        cleaned = " ".join(token.split())
        if not cleaned:
            continue
        key = re.sub(r"[\s-]+", "_", cleaned.casefold())
        role = _ROLE_ALIASES.get(key)
        if role is None:
            unknown.append(cleaned)
        else:
            roles.add(role)
    return frozenset(roles), tuple(unknown)


# ------------------------------------------------------------------------ validation


def validate_roster(
    rows: Iterable[RosterRow],
    existing: Mapping[str, str | None] = _NO_EXISTING,
) -> list[RosterProblem]:
    """Every problem of every row, sorted by line (stable within a line).

    ``existing`` maps NIPs already in the database to their supervisor's NIP.  A
    supervisor may be such an existing employee.  For NIPs present in the file, the
    file's supervisor replaces the database one (that is what the import will do), and
    cycles are searched in that combined hierarchy; a cycle is reported on each file
    row that is part of it, with ``cycle`` starting at that row's NIP.
    """
    rows = list(rows)
    # First occurrence wins for the hierarchy; later ones are reported as duplicates.
    first_line: dict[str, int] = {}
    file_supervisor: dict[str, str | None] = {}
    for row in rows:
        if row.nip and row.nip not in first_line:
            first_line[row.nip] = row.line
            file_supervisor[row.nip] = row.supervisor_nip
    cycles = _find_cycles(file_supervisor, existing)

    problems: list[RosterProblem] = []
    first_unit: dict[str, tuple[str, int]] = {}
    for row in rows:
        checks = _check_row(row, first_line, first_unit, file_supervisor, existing, cycles)
        problems.extend(RosterProblem(row.line, row.nip, code, params) for code, params in checks)
    problems.sort(key=lambda problem: problem.line)
    return problems


_Found = tuple[str, dict[str, object]]


def _check_row(
    row: RosterRow,
    first_line: Mapping[str, int],
    first_unit: dict[str, tuple[str, int]],
    file_supervisor: Mapping[str, str | None],
    existing: Mapping[str, str | None],
    cycles: Mapping[str, list[str]],
) -> Iterator[_Found]:
    """Problems of one row as (code, params), in a fixed order; updates ``first_unit``."""
    if "nip" in row.excel_mangled:
        # The digits are not the employee's any more, so other NIP checks would mislead.
        yield "nip_mangled_by_excel", {"field": "nip"}
    else:
        check = validate_nip(row.nip)
        if not check.ok:
            yield "invalid_nip", {"reason": check.code}
        if row.nip and first_line[row.nip] != row.line:
            yield "duplicate_nip", {"first_line": first_line[row.nip]}

    if not row.name:
        yield "missing_name", {}
    for unit_field in ("unit_code", "unit_name"):
        if not getattr(row, unit_field):
            yield "missing_unit", {"field": unit_field}
    for text_field, limit in FIELD_LIMITS.items():
        if len(getattr(row, text_field)) > limit:
            yield "field_too_long", {"field": text_field, "max": limit}
    if row.unit_code and not _UNIT_CODE.fullmatch(row.unit_code):
        yield "invalid_unit_code", {"value": row.unit_code}
    if row.unit_code and row.unit_name:
        known_name, known_line = first_unit.setdefault(row.unit_code, (row.unit_name, row.line))
        if known_name != row.unit_name:
            yield (
                "unit_name_conflict",
                {
                    "unit_code": row.unit_code,
                    "names": [known_name, row.unit_name],
                    "first_line": known_line,
                },
            )
    for role in row.unknown_roles:
        yield "unknown_role", {"role": role}

    supervisor = row.supervisor_nip
    if supervisor is not None:
        if "supervisor_nip" in row.excel_mangled:
            yield "nip_mangled_by_excel", {"field": "supervisor_nip"}
        elif supervisor == row.nip:
            yield "self_supervisor", {}
        elif not (check := validate_nip(supervisor)).ok:
            yield "invalid_supervisor_nip", {"reason": check.code}
        elif supervisor not in file_supervisor and supervisor not in existing:
            yield "unknown_supervisor", {"supervisor_nip": supervisor}
    # Duplicates share the NIP; the cycle is reported on the row that defines the link.
    if row.nip in cycles and first_line[row.nip] == row.line:
        yield "supervisor_cycle", {"cycle": cycles[row.nip]}


def _find_cycles(
    file_supervisor: Mapping[str, str | None],
    existing: Mapping[str, str | None],
) -> dict[str, list[str]]:
    """For each file NIP on a supervisor cycle: the cycle, starting at that NIP.

    Each employee has at most one supervisor, so following the links from any NIP
    either ends or runs into exactly one cycle; every node is walked once overall.
    Self-supervision is left to the ``self_supervisor`` check.
    """

    def supervisor_of(nip: str) -> str | None:
        sup = file_supervisor[nip] if nip in file_supervisor else existing.get(nip)
        return None if sup == nip else sup

    cycles: dict[str, list[str]] = {}
    done: set[str] = set()
    for start in file_supervisor:
        path: list[str] = []
        position: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in position:
            position[node] = len(path)
            path.append(node)
            node = supervisor_of(node)
        if node is not None and node in position:
            cycle = path[position[node] :]
            for index, member in enumerate(cycle):
                if member in file_supervisor:
                    cycles[member] = cycle[index:] + cycle[:index]
        done.update(path)
    return cycles
