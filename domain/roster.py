"""Reading and checking an office roster (CSV or XLSX) before it is imported.

The module only reads files and reports problems as codes with parameters; turning
them into sentences is the job of the per-language text catalogues, and writing to the
database is the importer's job.

Opening the file, finding the header and the file-level problems are shared with other
imports in :mod:`domain.tabular`; file-level problems (nothing sensible can be read)
raise :class:`RosterFileError`, which is :class:`domain.tabular.TableFileError`.
Row-level problems come from :func:`validate_roster`, which reports every bad row so an
operator can fix the whole file in one go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

from domain.nip import normalize_nip, validate_nip
from domain.tabular import (
    DEFAULT_MAX_ROWS,
    NIP_HEADER_ALIASES,
    TABLE_FILE_ERROR_CODES,
    Column,
    TableFileError,
    TableLayout,
    TableRecord,
    looks_like_rounded_nip,
    read_table,
)

__all__ = [
    "DEFAULT_MAX_ROWS",
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
ROLES: Final = frozenset({"employee", "supervisor", "complaint_handler", "admin", "unit_admin"})

#: Maximum characters per field (after whitespace is collapsed); sized for the DB columns.
FIELD_LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {"name": 120, "position": 160, "unit_code": 20, "unit_name": 120}
)

#: Every RosterFileError.code, for catalogue completeness checks.
ROSTER_FILE_ERROR_CODES: Final = TABLE_FILE_ERROR_CODES

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
    "other_unit",
    "role_not_allowed",
)

#: How each role is written in a roster file Sigap hands out (the importer reads these back).
ROLE_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "employee": "pegawai",
        "supervisor": "atasan",
        "complaint_handler": "penangan aduan",
        "admin": "admin",
        "unit_admin": "admin unit",
    }
)

_UNIT_CODE: Final = re.compile(r"[A-Za-z0-9_-]+")

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
        "unit_admin": "unit_admin",
        "admin_unit": "unit_admin",
        "admin_unit_kerja": "unit_admin",
    }
)


# Jabatan and Peran are optional: a missing position is allowed and roles default to
# "employee".  NIP Atasan is required even though a cell may be blank, so a file
# without it is refused instead of silently making everyone a top-level employee.
_LAYOUT: Final = TableLayout(
    (
        Column("nip", "NIP", NIP_HEADER_ALIASES, True),
        Column("name", "Nama", ("nama", "name", "nama pegawai", "nama lengkap", "full name"), True),
        Column("position", "Jabatan", ("jabatan", "position", "nama jabatan", "job title"), False),
        Column("unit_code", "Kode Unit", ("kode unit", "unit code", "kode unit kerja"), True),
        Column(
            "unit_name",
            "Nama Unit",
            ("nama unit", "unit name", "unit kerja", "nama unit kerja"),
            True,
        ),
        Column(
            "supervisor_nip",
            "NIP Atasan",
            ("nip atasan", "supervisor nip", "nip atasan langsung", "supervisor"),
            True,
        ),
        Column("roles", "Peran", ("peran", "roles", "role"), False),
    ),
    key_field="nip",
)

_NO_EXISTING: Final[Mapping[str, str | None]] = MappingProxyType({})

#: Kept under its historical name; the same class serves every tabular import, so a
#: caller may catch either name.
RosterFileError = TableFileError


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


# --------------------------------------------------------------------------- reading


def read_roster(
    path: Path, *, max_rows: int = DEFAULT_MAX_ROWS, suffix: str | None = None
) -> list[RosterRow]:
    """Read a ``.csv`` or ``.xlsx`` roster; blank rows are skipped.

    ``RosterRow.line`` is what a person sees: the spreadsheet row number, or for CSV
    the text line where the record starts (they differ only after a cell containing a
    line break).  ``max_rows`` guards the bot against huge uploads.
    """
    records = read_table(path, _LAYOUT, max_rows=max_rows, suffix=suffix)
    return [_make_row(record) for record in records]


#: The columns of a roster file, in the order Sigap writes them.
ROSTER_HEADERS: Final = tuple(column.header for column in _LAYOUT.columns)


def roles_cell(roles: Iterable[str]) -> str:
    """``atasan, admin``: the roles as a roster file writes them ("pegawai" only when it is
    the only one, since every employee has it)."""
    words = [ROLE_WORDS[r] for r in ROLE_WORDS if r in set(roles) and r != "employee"]
    return ", ".join(words) or ROLE_WORDS["employee"]


def scope_problems(
    rows: Iterable[RosterRow], unit_code: str, elsewhere: Mapping[str, str]
) -> list[RosterProblem]:
    """What a unit admin's file may not do: rows of another unit, people the roster puts in
    another unit (``elsewhere``: NIP → unit code), and the office-wide admin role."""
    problems: list[RosterProblem] = []
    for row in rows:
        if row.unit_code and row.unit_code != unit_code:
            problems.append(RosterProblem(row.line, row.nip, "other_unit", {"unit": unit_code}))
        elif row.nip in elsewhere and elsewhere[row.nip] != unit_code:
            problems.append(
                RosterProblem(row.line, row.nip, "other_unit", {"unit": elsewhere[row.nip]})
            )
        if "admin" in row.roles:
            problems.append(RosterProblem(row.line, row.nip, "role_not_allowed", {"role": "admin"}))
    return problems


def _make_row(record: TableRecord) -> RosterRow:
    mangled = frozenset(
        name
        for name in ("nip", "supervisor_nip")
        if name in record.lossy or looks_like_rounded_nip(record.raw(name))
    )
    supervisor = normalize_nip(record.raw("supervisor_nip"))
    roles, unknown = _parse_roles(record.raw("roles"))
    return RosterRow(
        line=record.line,
        nip=normalize_nip(record.raw("nip")),
        name=record.text("name"),
        position=record.text("position"),
        unit_code=record.text("unit_code").upper(),  # codes compare case-insensitively
        unit_name=record.text("unit_name"),
        # "-" is how many people mark an empty cell; normalisation turns it into "".
        supervisor_nip=supervisor or None,
        roles=roles,
        unknown_roles=unknown,
        excel_mangled=mangled,
    )


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
