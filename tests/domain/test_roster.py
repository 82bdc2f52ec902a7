import importlib.util
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest

from domain.nip import validate_nip
from domain.roster import (
    ROSTER_PROBLEM_CODES,
    RosterFileError,
    RosterProblem,
    RosterRow,
    read_roster,
    validate_roster,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAMPLE_CSV = EXAMPLES / "roster_belawan.csv"
SAMPLE_XLSX = EXAMPLES / "roster_belawan.xlsx"

HEADER = ["NIP", "Nama", "Jabatan", "Kode Unit", "Nama Unit", "NIP Atasan", "Peran"]
BOSS = "198105142003121002"
A = "198609262015051001"
B = "199001012015031002"
C = "199203032019032012"
D = "198407222009012003"
PPPK = "199708112024211004"
KELURAHAN = (
    "Belawan I",
    "Belawan II",
    "Belawan Bahari",
    "Belawan Bahagia",
    "Bagan Deli",
    "Sicanang",
)


def write_csv(
    tmp_path: Path, lines: Iterable[str], *, bom: bool = False, name: str = "r.csv"
) -> Path:
    path = tmp_path / name
    text = "\r\n".join(lines) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def roster_csv(tmp_path: Path, *rows: str, delimiter: str = ";") -> Path:
    return write_csv(tmp_path, [delimiter.join(HEADER), *rows])


def row(
    nip: str = A,
    name: str = "Budi Santoso",
    position: str = "Pelaksana",
    unit_code: str = "BLW",
    unit_name: str = "Kecamatan Medan Belawan",
    supervisor: str | None = None,
    roles: frozenset[str] = frozenset({"employee"}),
    line: int = 2,
) -> RosterRow:
    return RosterRow(line, nip, name, position, unit_code, unit_name, supervisor, roles)


def codes(problems: Iterable[RosterProblem]) -> list[tuple[int, str, dict[str, object]]]:
    return [(p.line, p.code, p.params) for p in problems]


def load_example_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_roster_xlsx", EXAMPLES / "make_roster_xlsx.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------ sample file


class TestSample:
    def test_reads_and_validates_clean(self) -> None:
        rows = read_roster(SAMPLE_CSV)
        assert len(rows) >= 25
        assert validate_roster(rows) == []
        assert [r.line for r in rows] == list(range(2, len(rows) + 2))

    def test_units_and_hierarchy(self) -> None:
        rows = read_roster(SAMPLE_CSV)
        unit_names = {r.unit_name for r in rows}
        for kelurahan in KELURAHAN:
            assert f"Kelurahan {kelurahan}" in unit_names
        roots = [r for r in rows if r.supervisor_nip is None]
        assert len(roots) == 1
        assert roots[0].position == "Camat"
        assert roots[0].roles == {"employee", "supervisor", "admin"}
        # Everyone named as a supervisor carries the supervisor role.
        supervisors = {r.supervisor_nip for r in rows} - {None}
        assert all("supervisor" in r.roles for r in rows if r.nip in supervisors)

    def test_complaint_handlers(self) -> None:
        rows = read_roster(SAMPLE_CSV)
        handlers = [r for r in rows if "complaint_handler" in r.roles]
        assert any(r.unit_code == "BLW-PU" and "supervisor" not in r.roles for r in handlers)
        kelurahan_units = {r.unit_code for r in handlers if r.unit_name.startswith("Kelurahan")}
        assert len(kelurahan_units) >= 3  # at least one per two kelurahan

    def test_nips_are_plausible(self) -> None:
        kinds = []
        for r in read_roster(SAMPLE_CSV):
            check = validate_nip(r.nip)
            assert check.birth_date is not None and check.appointment is not None
            assert 1968 <= check.birth_date.year <= 1999
            year, month = check.appointment
            adult = date(check.birth_date.year + 18, check.birth_date.month, 1)
            assert date(year, month or 12, 1) > adult, r.name
            kinds.append(check.kind)
        assert kinds.count("pppk") >= 2

    def test_xlsx_has_same_rows_as_csv(self) -> None:
        assert read_roster(SAMPLE_XLSX) == read_roster(SAMPLE_CSV)

    def test_xlsx_keeps_nip_as_text(self) -> None:
        workbook = openpyxl.load_workbook(SAMPLE_XLSX, read_only=True)
        sheet = workbook.worksheets[0]
        first = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
        workbook.close()
        assert first[0] == BOSS

    def test_generator_script(self, tmp_path: Path) -> None:
        out = tmp_path / "out.xlsx"
        load_example_script().main([str(SAMPLE_CSV), str(out)])
        assert read_roster(out) == read_roster(SAMPLE_CSV)


# ------------------------------------------------------------------------ CSV reading


class TestCsv:
    def test_bom_is_ignored(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path, [";".join(HEADER), f"{A};Budi;Staf;BLW;Kecamatan;;"], bom=True)
        [only] = read_roster(path)
        assert only.nip == A

    @pytest.mark.parametrize("delimiter", [";", ",", "\t"])
    def test_delimiters(self, tmp_path: Path, delimiter: str) -> None:
        path = roster_csv(
            tmp_path,
            delimiter.join(
                [BOSS, "Rahmad", "Camat", "BLW", "Kecamatan Medan Belawan", "", "atasan"]
            ),
            delimiter.join([A, "Budi", "Staf", "BLW", "Kecamatan Medan Belawan", BOSS, ""]),
            delimiter=delimiter,
        )
        rows = read_roster(path)
        assert [(r.nip, r.supervisor_nip) for r in rows] == [(BOSS, None), (A, BOSS)]
        assert validate_roster(rows) == []

    def test_semicolon_file_with_commas_in_names(self, tmp_path: Path) -> None:
        path = roster_csv(
            tmp_path, f"{A};Rahmad Nasution, S.STP, M.Si;Camat;BLW;Kec;;atasan, admin"
        )
        [only] = read_roster(path)
        assert only.name == "Rahmad Nasution, S.STP, M.Si"
        assert only.roles == {"employee", "supervisor", "admin"}

    def test_excel_style_quoting(self, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            [
                ",".join(HEADER),
                f'{BOSS},"Rahmad Nasution, S.STP","Camat ""Belawan""",BLW,Kec,,"atasan,admin"',
                f'{A},"Budi, S.E.","Kepala Seksi\r\nPelayanan Umum",BLW,Kecamatan,{BOSS},',
                f"{B},Ani,Staf,BLW,Kecamatan,{A},",
            ],
        )
        rows = read_roster(path)
        assert rows[0].name == "Rahmad Nasution, S.STP"
        assert rows[0].position == 'Camat "Belawan"'
        assert rows[0].roles == {"employee", "supervisor", "admin"}
        # The line break inside a cell becomes a space ...
        assert rows[1].position == "Kepala Seksi Pelayanan Umum"
        # ... and line numbers are where each record starts in the text.
        assert [r.line for r in rows] == [2, 3, 5]

    def test_blank_lines_are_skipped_but_counted(self, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            [
                ";".join(HEADER),
                "",
                f"{BOSS};Rahmad;Camat;BLW;Kec;;",
                " ; ; ",
                ";;;;;;",
                f"{A};Budi;Staf;BLW;Kec;{BOSS};",
            ],
        )
        assert [r.line for r in read_roster(path)] == [3, 6]

    def test_title_rows_above_header(self, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            [
                "DAFTAR PEGAWAI KECAMATAN MEDAN BELAWAN;;;;;;",
                "Per 1 Januari 2025;;;;;;",
                "",
                ";".join(HEADER),
                f"{A};Budi;Staf;BLW;Kec;;",
            ],
        )
        [only] = read_roster(path)
        assert only.line == 5

    def test_title_with_comma_does_not_fool_delimiter_detection(self, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            [
                "Daftar Pegawai, Kecamatan Medan Belawan",
                ";".join(HEADER),
                f"{A};Budi, S.E.;Staf;BLW;K;;",
            ],
        )
        [only] = read_roster(path)
        assert (only.line, only.name) == (3, "Budi, S.E.")

    def test_english_aliases_any_case_order_and_extra_columns(self, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            [
                " No ,  ROLES , name,Unit Code , unit_name, Supervisor NIP ,nip, Golongan",
                f"1,complaint handler,Budi,blw-k01,Kelurahan Belawan I,,{A},III/a",
            ],
        )
        [only] = read_roster(path)
        assert only == row(
            nip=A,
            name="Budi",
            position="",
            unit_code="BLW-K01",
            unit_name="Kelurahan Belawan I",
            roles=frozenset({"employee", "complaint_handler"}),
        )

    def test_indonesian_aliases(self, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            [
                "NIP Baru;Nama Pegawai;Nama Jabatan;Kode Unit Kerja;Unit Kerja;NIP Atasan Langsung",
                f"{A};Budi;Staf;BLW;Kec;-",
            ],
        )
        [only] = read_roster(path)
        assert only.supervisor_nip is None  # "-" means empty
        assert only.roles == {"employee"}  # no Peran column

    def test_nip_normalised_and_row_with_only_number_column_skipped(self, tmp_path: Path) -> None:
        dotted_boss = f"{BOSS[:8]}.{BOSS[8:14]}.{BOSS[14]}.{BOSS[15:]}"
        path = write_csv(
            tmp_path,
            [
                "No;" + ";".join(HEADER),
                f"1;19860926 201505 1 001;Budi;Staf;BLW;Kec;{dotted_boss};",
                "2;;;;;;;",
            ],
        )
        [only] = read_roster(path)
        assert (only.nip, only.supervisor_nip) == (A, BOSS)

    @pytest.mark.parametrize(
        ("cell", "expected", "unknown"),
        [
            ("", {"employee"}, ()),
            ("pegawai", {"employee"}, ()),
            ("Atasan | Admin", {"employee", "supervisor", "admin"}, ()),
            ("penangan aduan/atasan", {"employee", "complaint_handler", "supervisor"}, ()),
            ("PENANGAN_ADUAN; employee", {"employee", "complaint_handler"}, ()),
            ("complaint-handler", {"employee", "complaint_handler"}, ()),
            ("atasan, kepala, , bendahara", {"employee", "supervisor"}, ("kepala", "bendahara")),
        ],
    )
    def test_roles(
        self, tmp_path: Path, cell: str, expected: set[str], unknown: tuple[str, ...]
    ) -> None:
        path = roster_csv(tmp_path, f'{A};Budi;Staf;BLW;Kec;;"{cell}"')
        [only] = read_roster(path)
        assert only.roles == expected
        assert only.unknown_roles == unknown

    @pytest.mark.parametrize(
        "shown", ["1.98609E+17", "1,98609E+17", "198609262015051000", "1.98609262015051e17"]
    )
    def test_nip_rounded_by_excel_in_csv(self, tmp_path: Path, shown: str) -> None:
        path = roster_csv(tmp_path, f'"{shown}";Budi;Staf;BLW;Kec;"{shown}";')
        [only] = read_roster(path)
        assert only.excel_mangled == {"nip", "supervisor_nip"}
        assert codes(validate_roster([only])) == [
            (2, "nip_mangled_by_excel", {"field": "nip"}),
            (2, "nip_mangled_by_excel", {"field": "supervisor_nip"}),
        ]


# ----------------------------------------------------------------------- file errors


class TestFileErrors:
    def expect(self, path: Path, code: str, **params: object) -> None:
        with pytest.raises(RosterFileError) as caught:
            read_roster(path)
        assert caught.value.code == code
        for key, value in params.items():
            assert caught.value.params[key] == value

    @pytest.mark.parametrize("name", ["roster.xls", "roster.txt", "roster.ods", "roster"])
    def test_unsupported_format(self, tmp_path: Path, name: str) -> None:
        path = tmp_path / name
        path.write_bytes(b"x")
        self.expect(path, "unsupported_format")

    def test_missing_columns(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path, ["NIP;Nama;Jabatan", f"{A};Budi;Staf"])
        self.expect(
            path,
            "missing_columns",
            columns=["Kode Unit", "Nama Unit", "NIP Atasan"],
            fields=["unit_code", "unit_name", "supervisor_nip"],
        )

    def test_no_header_at_all(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path, [f"{A};Budi;Staf;BLW;Kec;;"])
        self.expect(
            path,
            "missing_columns",
            fields=["nip", "name", "unit_code", "unit_name", "supervisor_nip"],
        )

    def test_duplicate_columns(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path, [";".join([*HEADER, "Name"]), f"{A};Budi;Staf;BLW;Kec;;;Budi"])
        self.expect(path, "duplicate_columns", columns=["Name"])

    @pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n ; ;\r\n"])
    def test_empty_file(self, tmp_path: Path, content: bytes) -> None:
        path = tmp_path / "r.csv"
        path.write_bytes(content)
        self.expect(path, "empty")

    def test_header_only_is_empty(self, tmp_path: Path) -> None:
        self.expect(roster_csv(tmp_path, ";;;;;;"), "empty")

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "r.csv"
        path.write_bytes((";".join(HEADER) + f"\r\n{A};Müller;Staf;BLW;Kec;;\r\n").encode("cp1252"))
        self.expect(path, "not_utf8")

    def test_unbalanced_quote(self, tmp_path: Path) -> None:
        path = roster_csv(
            tmp_path,
            f"{BOSS};Rahmad;Camat;BLW;Kec;;",
            f'{A};"Budi;Staf;BLW;Kec;;',
            f"{B};Ani;Staf;BLW;Kec;;",
        )
        self.expect(path, "bad_csv", line=3)

    def test_missing_file(self, tmp_path: Path) -> None:
        self.expect(tmp_path / "nope.csv", "unreadable")
        self.expect(tmp_path / "nope.xlsx", "unreadable")

    def test_corrupt_xlsx(self, tmp_path: Path) -> None:
        path = tmp_path / "r.xlsx"
        path.write_bytes(b"PK\x03\x04 this is not really a zip")
        self.expect(path, "unreadable")

    def test_too_many_rows(self, tmp_path: Path) -> None:
        path = roster_csv(tmp_path, *(f"{A};Budi;Staf;BLW;Kec;;" for _ in range(4)))
        assert len(read_roster(path, max_rows=4)) == 4
        with pytest.raises(RosterFileError) as caught:
            read_roster(path, max_rows=3)
        assert (caught.value.code, caught.value.params) == ("too_many_rows", {"max": 3})

    def test_error_str(self) -> None:
        assert str(RosterFileError("empty")) == "empty"
        assert "columns" in str(RosterFileError("missing_columns", columns=["Nama"]))


# ----------------------------------------------------------------------- XLSX reading


def make_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, start_row: int = 1) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=start_row + offset, column=column, value=value)
    workbook.save(path)
    return path


def replace_in_sheet(path: Path, old: str, new: str) -> None:
    """Rewrite the sheet XML, to store what openpyxl itself would never write."""
    with zipfile.ZipFile(path) as source:
        entries = {info.filename: source.read(info) for info in source.infolist()}
    name = "xl/worksheets/sheet1.xml"
    assert old.encode() in entries[name]
    entries[name] = entries[name].replace(old.encode(), new.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for filename, data in entries.items():
            target.writestr(filename, data)


class TestXlsx:
    def test_text_cells_and_row_numbers(self, tmp_path: Path) -> None:
        path = make_xlsx(
            tmp_path / "r.xlsx",
            [
                ["Daftar Pegawai"],
                [],
                HEADER,
                [BOSS, "Rahmad", "Camat", "BLW", "Kecamatan", None, "atasan, admin"],
                [],
                [A, " Budi \n Santoso ", None, "blw", "Kecamatan", BOSS, None],
            ],
            start_row=2,
        )
        rows = read_roster(path)
        assert [(r.line, r.nip, r.name) for r in rows] == [
            (5, BOSS, "Rahmad"),
            (7, A, "Budi Santoso"),
        ]
        assert rows[1].unit_code == "BLW"
        assert validate_roster(rows) == []

    def test_only_first_sheet_is_read(self, tmp_path: Path) -> None:
        path = make_xlsx(
            tmp_path / "r.xlsx", [HEADER, [A, "Budi", "Staf", "BLW", "Kec", None, None]]
        )
        workbook = openpyxl.load_workbook(path)
        workbook.create_sheet("Lain").append(["nothing", "here"])
        workbook.save(path)
        assert [r.nip for r in read_roster(path)] == [A]

    def test_nip_stored_as_float_is_mangled(self, tmp_path: Path) -> None:
        # What Excel does to a NIP typed into a General/Number cell: 15 significant digits.
        path = make_xlsx(
            tmp_path / "r.xlsx",
            [HEADER, [1.98609262015051e17, "Budi", "Staf", "BLW", "Kec", float(BOSS), None]],
        )
        [only] = read_roster(path)
        assert only.nip == "198609262015051000"  # as Excel would display it, not binary noise
        assert only.excel_mangled == {"nip", "supervisor_nip"}
        assert [p.code for p in validate_roster([only])] == ["nip_mangled_by_excel"] * 2

    def test_int_written_by_openpyxl_is_mangled_too(self, tmp_path: Path) -> None:
        # openpyxl writes numbers with 16 significant digits, so the int is already gone.
        path = make_xlsx(
            tmp_path / "r.xlsx", [HEADER, [int(A), "Budi", "Staf", "BLW", "Kec", None, None]]
        )
        [only] = read_roster(path)
        assert only.excel_mangled == {"nip"}

    def test_exact_int_that_no_double_can_hold_is_accepted(self, tmp_path: Path) -> None:
        # A tool that writes all 18 digits (not Excel) gives an int; since A is not a
        # value any double can represent, it cannot be the remains of rounding.
        assert float(int(A)) != int(A)
        path = make_xlsx(
            tmp_path / "r.xlsx", [HEADER, [1.5, "Budi", "Staf", "BLW", "Kec", None, None]]
        )
        replace_in_sheet(path, "<v>1.5</v>", f"<v>{A}</v>")
        [only] = read_roster(path)
        assert (only.nip, only.excel_mangled) == (A, frozenset())
        assert validate_roster([only]) == []

    def test_exact_int_that_a_double_can_hold_is_not_trusted(self, tmp_path: Path) -> None:
        representable = "198609262015051008"  # a valid NIP and a multiple of 32
        assert float(int(representable)) == int(representable)
        path = make_xlsx(
            tmp_path / "r.xlsx", [HEADER, [1.5, "Budi", "Staf", "BLW", "Kec", None, None]]
        )
        replace_in_sheet(path, "<v>1.5</v>", f"<v>{representable}</v>")
        [only] = read_roster(path)
        assert only.nip == representable
        assert only.excel_mangled == {"nip"}

    def test_small_numbers_are_plain_text(self, tmp_path: Path) -> None:
        path = make_xlsx(
            tmp_path / "r.xlsx", [HEADER, [12345.0, "Budi", 3, 101, "Kec", None, None]]
        )
        [only] = read_roster(path)
        assert (only.nip, only.position, only.unit_code) == ("12345", "3", "101")
        assert codes(validate_roster([only])) == [(2, "invalid_nip", {"reason": "not_18_digits"})]

    def test_empty_workbook(self, tmp_path: Path) -> None:
        path = make_xlsx(tmp_path / "r.xlsx", [])
        with pytest.raises(RosterFileError) as caught:
            read_roster(path)
        assert caught.value.code == "empty"


# ------------------------------------------------------------------------- validation


class TestValidation:
    def test_every_problem_code_with_its_line(self, tmp_path: Path) -> None:
        long_name = "N" * 121
        path = roster_csv(
            tmp_path,
            f"{BOSS};Rahmad;Camat;BLW;Kecamatan Medan Belawan;;atasan",  # 2 ok
            f"19860926201505100;Budi;Staf;BLW;Kecamatan Medan Belawan;{BOSS};",  # 3
            f"19860926201513 1001;Budi;Staf;BLW;Kecamatan Medan Belawan;{BOSS};",  # 4
            f"{A};Ani;Staf;BLW;Kecamatan Medan Belawan;{BOSS};",  # 5 ok
            f"{A};Ani Lagi;Staf;BLW;Kecamatan Medan Belawan;{BOSS};",  # 6
            f"{B};;Staf;BLW;Kecamatan Medan Belawan;{BOSS};",  # 7
            f"{C};Citra;Staf;;;{BOSS};",  # 8
            f"{D};{long_name};{'J' * 161};{'X' * 21};{'U' * 121};{BOSS};",  # 9
            f"198001012005011001;Dedi;Staf;BLW K01;Kelurahan;{BOSS};",  # 10
            f"198001012005011002;Eko;Staf;BLW;Kantor Camat;{BOSS};",  # 11
            f"198001012005011003;Fajar;Staf;BLW;Kecamatan Medan Belawan;{BOSS};kepala,atasan,raja",
            "198001012005011004;Gita;Staf;BLW;Kecamatan Medan Belawan;12345;",  # 13
            "198001012005011005;Hadi;Staf;BLW;Kecamatan Medan Belawan;198001012005011005;",  # 14
            "198001012005011006;Indah;Staf;BLW;Kecamatan Medan Belawan;199912312020121001;",  # 15
            '198001012005011007;Joko;Staf;BLW;Kecamatan Medan Belawan;"1.98001E+17";',  # 16
            '"1,98001E+17";Kiki;Staf;BLW;Kecamatan Medan Belawan;;',  # 17
            "198001012005011008;Lina;Staf;BLW;Kecamatan Medan Belawan;198001012005011009;",  # 18
            "198001012005011009;Mira;Staf;BLW;Kecamatan Medan Belawan;198001012005011008;",  # 19
        )
        problems = validate_roster(read_roster(path))
        assert codes(problems) == [
            (3, "invalid_nip", {"reason": "not_18_digits"}),
            (4, "invalid_nip", {"reason": "bad_appointment"}),
            (6, "duplicate_nip", {"first_line": 5}),
            (7, "missing_name", {}),
            (8, "missing_unit", {"field": "unit_code"}),
            (8, "missing_unit", {"field": "unit_name"}),
            (9, "field_too_long", {"field": "name", "max": 120}),
            (9, "field_too_long", {"field": "position", "max": 160}),
            (9, "field_too_long", {"field": "unit_code", "max": 20}),
            (9, "field_too_long", {"field": "unit_name", "max": 120}),
            (10, "invalid_unit_code", {"value": "BLW K01"}),
            (
                11,
                "unit_name_conflict",
                {
                    "unit_code": "BLW",
                    "names": ["Kecamatan Medan Belawan", "Kantor Camat"],
                    "first_line": 2,
                },
            ),
            (12, "unknown_role", {"role": "kepala"}),
            (12, "unknown_role", {"role": "raja"}),
            (13, "invalid_supervisor_nip", {"reason": "not_18_digits"}),
            (14, "self_supervisor", {}),
            (15, "unknown_supervisor", {"supervisor_nip": "199912312020121001"}),
            (16, "nip_mangled_by_excel", {"field": "supervisor_nip"}),
            (17, "nip_mangled_by_excel", {"field": "nip"}),
            (18, "supervisor_cycle", {"cycle": ["198001012005011008", "198001012005011009"]}),
            (19, "supervisor_cycle", {"cycle": ["198001012005011009", "198001012005011008"]}),
        ]
        # The rest come from scope_problems (a unit admin's file), tested below.
        scoped = {"other_unit", "role_not_allowed"}
        assert {p.code for p in problems} == set(ROSTER_PROBLEM_CODES) - scoped
        assert all(p.nip for p in problems if p.line != 17)
        assert problems[0].nip == "19860926201505100"

    def test_length_limits_are_inclusive(self) -> None:
        ok = row(name="N" * 120, position="J" * 160, unit_code="X" * 20, unit_name="U" * 120)
        assert validate_roster([ok]) == []

    def test_unit_code_characters(self) -> None:
        assert validate_roster([row(unit_code="BLW_K-01")]) == []
        assert [p.code for p in validate_roster([row(unit_code="BLW.K01")])] == [
            "invalid_unit_code"
        ]
        assert [p.code for p in validate_roster([row(unit_code="BLWÉ")])] == ["invalid_unit_code"]

    def test_pppk_nip_accepted(self) -> None:
        assert validate_roster([row(nip=PPPK)]) == []

    def test_supervisor_in_existing_is_known(self) -> None:
        rows = [row(nip=A, supervisor=BOSS)]
        assert [p.code for p in validate_roster(rows)] == ["unknown_supervisor"]
        assert validate_roster(rows, existing={BOSS: None}) == []

    def test_cycle_through_existing(self) -> None:
        # A (file) -> B (database) -> C (database) -> A
        rows = [row(nip=A, supervisor=B)]
        problems = validate_roster(rows, existing={B: C, C: A})
        assert codes(problems) == [(2, "supervisor_cycle", {"cycle": [A, B, C]})]

    def test_cycle_reported_once_per_file_row_in_it(self) -> None:
        # A (file) -> B (file) -> C (database) -> A
        rows = [row(nip=A, supervisor=B, line=2), row(nip=B, supervisor=C, line=3)]
        problems = validate_roster(rows, existing={C: A})
        assert codes(problems) == [
            (2, "supervisor_cycle", {"cycle": [A, B, C]}),
            (3, "supervisor_cycle", {"cycle": [B, C, A]}),
        ]

    def test_file_replaces_database_supervisor(self) -> None:
        # The database says B reports to A, but the file moves B under the boss.
        rows = [row(nip=A, supervisor=B, line=2), row(nip=B, supervisor=BOSS, line=3)]
        assert validate_roster(rows, existing={B: A, BOSS: None}) == []

    def test_rows_leading_into_a_cycle_and_database_only_cycles(self) -> None:
        # D points into the database cycle B <-> C but is not part of it; the cycle has
        # no file row to carry the report, so nothing is reported for this file.
        rows = [row(nip=D, supervisor=B)]
        assert validate_roster(rows, existing={B: C, C: B}) == []

    def test_database_self_link_is_not_a_cycle(self) -> None:
        assert validate_roster([row(nip=A, supervisor=B)], existing={B: B}) == []

    def test_duplicate_rows_use_first_occurrence_for_hierarchy(self) -> None:
        rows = [
            row(nip=BOSS, line=2),
            row(nip=A, supervisor=BOSS, line=3),
            row(nip=A, supervisor=A, line=4),
        ]
        assert codes(validate_roster(rows)) == [
            (4, "duplicate_nip", {"first_line": 3}),
            (4, "self_supervisor", {}),
        ]

    def test_problems_sorted_by_line_even_for_unsorted_rows(self) -> None:
        rows = [row(nip="x", line=9), row(nip=A, name="", line=3)]
        assert [p.line for p in validate_roster(rows)] == [3, 9]

    def test_many_bad_rows_all_reported(self, tmp_path: Path) -> None:
        bad = [f"1986092620150510{i:02d};;Staf;BLW;Kec;;" for i in range(40)]
        problems = validate_roster(read_roster(roster_csv(tmp_path, *bad)))
        missing_name_lines = [p.line for p in problems if p.code == "missing_name"]
        assert missing_name_lines == list(range(2, 42))
        # ...051000 looks like Excel rounding; that too is reported alongside the rest.
        assert codes(p for p in problems if p.code != "missing_name") == [
            (2, "nip_mangled_by_excel", {"field": "nip"})
        ]

    def test_existing_mapping_is_not_modified(self) -> None:
        existing: Mapping[str, str | None] = {B: C, C: A}
        snapshot = dict(existing)
        validate_roster([row(nip=A, supervisor=B)], existing=existing)
        assert existing == snapshot
