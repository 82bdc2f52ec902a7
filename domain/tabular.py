"""Reading an office spreadsheet (CSV or XLSX) into records keyed by field name.

Several imports (the employee roster, SKP targets) take the same kind of file: made in
Excel by office staff, maybe with a title block above the header, Indonesian or English
column names in any order, extra columns nobody asked for, and NIPs that Excel may have
rounded.  This module deals with all of that once; each import declares its columns in a
:class:`TableLayout` and turns the :class:`TableRecord` values into its own rows.

File-level problems (nothing sensible can be read) raise :class:`TableFileError` with a
code from :data:`TABLE_FILE_ERROR_CODES`; row-level checks belong to the caller.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Final, NamedTuple

from domain.nip import normalize_nip

__all__ = [
    "DEFAULT_MAX_ROWS",
    "NIP_HEADER_ALIASES",
    "TABLE_FILE_ERROR_CODES",
    "Column",
    "TableFileError",
    "TableLayout",
    "TableRecord",
    "header_key",
    "looks_like_rounded_nip",
    "read_table",
    "sniff_table_format",
]

#: Every TableFileError.code, for catalogue completeness checks.
TABLE_FILE_ERROR_CODES: Final = (
    "unsupported_format",
    "unreadable",
    "not_utf8",
    "bad_csv",
    "empty",
    "missing_columns",
    "duplicate_columns",
    "too_many_rows",
    "not_a_table",
    "too_big",
    "wrong_sheet",
    "merged_header",
)

# A file larger than this is refused before anything is read into the database; a city such
# as Kota Medan has about 20,000 ASN, so the roster of a whole city fits.
DEFAULT_MAX_ROWS: Final = 100_000

#: Names of a NIP column seen in BKN/SIASN exports and office templates (header_key form).
NIP_HEADER_ALIASES: Final = ("nip", "nip baru", "ni pppk", "nip/ni pppk", "nomor induk pegawai")

# A title block ("DAFTAR PEGAWAI KECAMATAN ...") above the header is common in
# Indonesian office spreadsheets, so the header is looked for in the first few rows.
_HEADER_SEARCH_ROWS: Final = 10

# Doubles hold every integer up to 2**53 exactly; above that an integer may already
# have been rounded by Excel (which keeps 15 significant digits) on the way in.
_EXACT_FLOAT_INT_LIMIT: Final = 2**53

# How Excel shows a long number once it has turned it into a float: "1.98609E+17"
# (General format, comma as decimal mark in Indonesian locale) or, with a 0-decimals
# number format, 15 significant digits padded with zeros.  A NIP cannot end in "000"
# (sequence starts at 001), so that pattern is a reliable sign of rounding.
_SCIENTIFIC: Final = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+")
_ROUNDED_18: Final = re.compile(r"[0-9]{15}000")

_XLSX_SUFFIXES: Final = (".xlsx", ".xlsm")

# A file sent in the chat is judged by its bytes, never its name. An XLSX is a zip; what it
# unpacks to is bounded so that a small "zip bomb" cannot fill the memory.
MAX_UNPACKED_BYTES: Final = 200 * 1024 * 1024


class TableFileError(Exception):
    """The file as a whole cannot be used; ``code`` and ``params`` feed the catalogue."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params: dict[str, object] = params

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


@dataclass(frozen=True, slots=True)
class Column:
    """One column an import understands.

    ``header`` is the canonical (Indonesian) column name, shown when the column is
    missing because that is exactly what the user has to add.  ``aliases`` are matched
    after :func:`header_key`, so case, underscores and spacing do not matter.
    """

    field: str
    header: str
    aliases: tuple[str, ...]
    required: bool


class TableLayout:
    """The columns of one kind of file.

    A row counts as the header when it names ``key_field`` plus at least one other
    required column: enough to tell a header from a title line such as "Daftar NIP".
    """

    __slots__ = ("_by_alias", "columns", "key_field")

    def __init__(self, columns: Iterable[Column], key_field: str) -> None:
        self.columns = tuple(columns)
        self.key_field = key_field
        by_alias: dict[str, str] = {}
        for column in self.columns:
            for alias in (column.header, *column.aliases):
                key = header_key(alias)
                # One header naming two fields would make the mapping depend on order.
                if by_alias.setdefault(key, column.field) != column.field:
                    raise ValueError(f"header alias {alias!r} names two fields")
        if key_field not in {c.field for c in self.columns if c.required}:
            raise ValueError(f"key field {key_field!r} must be a required column")
        self._by_alias: Mapping[str, str] = MappingProxyType(by_alias)

    def __repr__(self) -> str:
        return f"TableLayout({[c.field for c in self.columns]!r}, key_field={self.key_field!r})"

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(column.field for column in self.columns)

    @property
    def required(self) -> frozenset[str]:
        return frozenset(column.field for column in self.columns if column.required)

    def field_for(self, header: str) -> str | None:
        """The field a header cell names, or None for a column the import ignores."""
        return self._by_alias.get(header_key(header))


@dataclass(frozen=True, slots=True)
class TableRecord:
    """One non-blank data row.

    ``line`` is what a person sees: the spreadsheet row number, or for CSV the text
    line where the record starts (they differ only after a cell containing a line
    break).  ``values`` holds the raw cell text of every layout field ("" when the
    column is absent or the row is short).  ``lossy`` names the fields whose cell was
    a number that may have lost digits in Excel.
    """

    line: int
    values: Mapping[str, str]
    lossy: frozenset[str] = frozenset()

    def raw(self, field_name: str) -> str:
        return self.values.get(field_name, "")

    def text(self, field_name: str) -> str:
        """The cell with whitespace collapsed: line breaks, tabs, no-break spaces."""
        return " ".join(self.raw(field_name).split())


class _Cells(NamedTuple):
    line: int
    cells: list[str]
    # Column indexes whose value came from a number that may have lost digits.
    lossy: frozenset[int]


# --------------------------------------------------------------------------- reading


def read_table(
    path: Path,
    layout: TableLayout,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    suffix: str | None = None,
) -> list[TableRecord]:
    """Read a ``.csv`` or ``.xlsx`` file; blank rows are skipped.

    Rows whose layout columns are all empty count as blank, so a template with a
    pre-numbered "No." column does not produce phantom rows.  ``max_rows`` guards the
    bot against huge uploads.  ``suffix`` overrides the file name's (a file sent in the
    chat is typed by :func:`sniff_table_format`).  In a workbook the first sheet with the
    header is read, so an instructions sheet moved to the front does no harm.
    """
    suffix = (suffix or path.suffix).lower()
    if suffix == ".csv":
        return _parse(_csv_cells(path), layout, max_rows)
    if suffix in _XLSX_SUFFIXES:
        return _read_workbook(path, layout, max_rows)
    raise TableFileError("unsupported_format", suffix=suffix or path.name)


def _read_workbook(path: Path, layout: TableLayout, max_rows: int) -> list[TableRecord]:
    import openpyxl  # on first use: heavy, and most roster files are CSV

    try:
        # data_only: a formula is never evaluated here; its value is the one Excel saved.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # missing file, not a zip, damaged XML: openpyxl varies
        raise TableFileError("unreadable") from exc
    try:
        if not workbook.worksheets:
            raise TableFileError("empty")
        first_error: TableFileError | None = None
        for sheet in workbook.worksheets:
            # Some writers store a wrong <dimension>; without this rows could be cut off.
            sheet.reset_dimensions()
            try:
                return _parse(_xlsx_cells(sheet.iter_rows(values_only=True)), layout, max_rows)
            except TableFileError as exc:
                if exc.code not in ("missing_columns", "empty"):
                    raise
                first_error = first_error or exc
        names = list(workbook.sheetnames)
    finally:
        workbook.close()  # read-only mode keeps the file handle open until closed
    assert first_error is not None
    raise _header_problem(path, names, first_error)


def _header_problem(path: Path, names: list[str], error: TableFileError) -> TableFileError:
    """Why no sheet had the header, as precisely as the file lets us say: merged header cells
    (read-only mode cannot see merges, so the workbook is opened again, on this error path
    only), a workbook whose sheets are all something else, or the columns missing."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception:
        return error
    try:
        for sheet in workbook.worksheets:
            for merged in sheet.merged_cells.ranges:
                if merged.min_row <= _HEADER_SEARCH_ROWS and merged.min_col != merged.max_col:
                    return TableFileError("merged_header", sheet=sheet.title, cells=merged.coord)
    finally:
        workbook.close()
    if error.code == "missing_columns" and len(names) > 1:
        return TableFileError("wrong_sheet", sheets=names, columns=error.params["columns"])
    return error


def sniff_table_format(path: Path, max_bytes: int, max_unpacked: int = MAX_UNPACKED_BYTES) -> str:
    """``.xlsx`` or ``.csv`` for what the bytes of ``path`` are, whatever it is called;
    raises :class:`TableFileError` (``too_big``, ``not_a_table``) for anything else: a
    renamed photo, a PDF, an old ``.xls``, an archive that unpacks to too much."""
    size = path.stat().st_size
    if size > max_bytes:
        raise TableFileError("too_big", max_mb=max_bytes // (1024 * 1024))
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise TableFileError("empty")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise TableFileError("unreadable") from exc
        if "xl/workbook.xml" not in names:
            raise TableFileError("not_a_table")
        if unpacked > max_unpacked:
            raise TableFileError("too_big", max_mb=max_bytes // (1024 * 1024))
        return ".xlsx"
    import filetype  # at the first file checked, not in every process that imports this module

    if b"\x00" in head or filetype.guess(head) is not None:
        raise TableFileError("not_a_table")  # binary: an image, an old .xls, a PDF ...
    return ".csv"


def _csv_cells(path: Path) -> Iterator[_Cells]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableFileError("unreadable") from exc
    try:
        # utf-8-sig drops the BOM Excel writes for "CSV UTF-8" and accepts files without.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Plain "CSV" from Excel is in the Windows code page; guessing it could garble
        # names, so ask for "CSV UTF-8" instead.
        raise TableFileError("not_utf8") from exc
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
            raise TableFileError("bad_csv", line=end_of_previous + 1) from exc
        yield _Cells(end_of_previous + 1, cells, frozenset())
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


def _xlsx_cells(rows: Iterator[tuple[object, ...]]) -> Iterator[_Cells]:
    line = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged sheet only shows up while it is being read
            raise TableFileError("unreadable") from exc
        line += 1  # read-only sheets yield empty tuples for absent rows, so this is the row number
        cells: list[str] = []
        lossy: set[int] = set()
        for index, value in enumerate(values):
            text, is_lossy = _cell_text(value)
            cells.append(text)
            if is_lossy:
                lossy.add(index)
        yield _Cells(line, cells, frozenset(lossy))


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


def header_key(text: str) -> str:
    """A header cell in comparable form: no BOM, casefolded, ``_`` as space, spaces collapsed."""
    key = " ".join(text.replace("\ufeff", "").replace("_", " ").casefold().split())
    return re.sub(r"\s*/\s*", "/", key)


def _map_header(cells: list[str], layout: TableLayout) -> tuple[dict[str, int], list[str]]:
    """Column index per field, and the header texts that name an already-mapped field."""
    mapping: dict[str, int] = {}
    duplicates: list[str] = []
    for index, cell in enumerate(cells):
        field_name = layout.field_for(cell)
        if field_name is None:
            continue  # extra columns (No., Golongan, ...) are allowed and ignored
        if field_name in mapping:
            duplicates.append(cell.strip())
        else:
            mapping[field_name] = index
    return mapping, duplicates


def _is_blank(cells: Iterable[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _parse(records: Iterator[_Cells], layout: TableLayout, max_rows: int) -> list[TableRecord]:
    required = layout.required
    first: dict[str, int] | None = None
    header: tuple[dict[str, int], list[str]] | None = None
    seen = 0
    for record in records:
        if _is_blank(record.cells):
            continue
        mapping, duplicates = _map_header(record.cells, layout)
        if first is None:
            first = mapping
        if layout.key_field in mapping and len(mapping.keys() & required) >= 2:
            header = (mapping, duplicates)
            break
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise TableFileError("empty")
    if header is None:
        # No row had the key plus another required column, so something is always missing.
        raise _missing_columns(first, layout) or TableFileError("empty")
    mapping, duplicates = header
    if duplicates:
        raise TableFileError("duplicate_columns", columns=duplicates)
    if error := _missing_columns(mapping, layout):
        raise error

    rows: list[TableRecord] = []
    for record in records:
        row = _make_record(record, mapping, layout)
        if row is None:
            continue
        if len(rows) >= max_rows:
            raise TableFileError("too_many_rows", max=max_rows)
        rows.append(row)
    if not rows:
        raise TableFileError("empty")
    return rows


def _missing_columns(mapping: Mapping[str, int], layout: TableLayout) -> TableFileError | None:
    missing = [c for c in layout.columns if c.required and c.field not in mapping]
    if not missing:
        return None
    # Canonical headers for the message (the user has to add exactly those), field
    # names for code.
    return TableFileError(
        "missing_columns",
        columns=[c.header for c in missing],
        fields=[c.field for c in missing],
    )


def _make_record(
    record: _Cells, mapping: Mapping[str, int], layout: TableLayout
) -> TableRecord | None:
    cells = record.cells
    values = {name: "" for name in layout.fields}
    for name, index in mapping.items():
        if index < len(cells):  # rows may be shorter than the header
            values[name] = cells[index]
    if _is_blank(values.values()):
        return None
    lossy = frozenset(name for name, index in mapping.items() if index in record.lossy)
    return TableRecord(record.line, MappingProxyType(values), lossy)


def looks_like_rounded_nip(value: str) -> bool:
    """Whether a NIP cell shows the marks of Excel rounding (see ``_SCIENTIFIC``)."""
    compact = "".join(value.split())
    return bool(_SCIENTIFIC.fullmatch(compact) or _ROUNDED_18.fullmatch(normalize_nip(compact)))
