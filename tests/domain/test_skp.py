import importlib.util
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest

from domain.roster import RosterFileError, read_roster
from domain.skp import (
    TARGET_PROBLEM_CODES,
    TargetProblem,
    TargetRow,
    parse_kind,
    parse_quantity,
    read_targets,
    validate_targets,
)
from domain.tabular import Column, TableFileError, TableLayout

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAMPLE_CSV = EXAMPLES / "skp_targets_belawan.csv"
SAMPLE_XLSX = EXAMPLES / "skp_targets_belawan.xlsx"
ROSTER_CSV = EXAMPLES / "roster_belawan.csv"

HEADER = ["NIP", "Tahun", "RHK", "Indikator", "Target", "Satuan", "Jenis"]
YEAR = 2026
AGUS = "197508121999031007"
A = "198609262015051001"
B = "199001012015031002"
PPPK = "199708112024211004"
KNOWN = frozenset({AGUS, A, B, PPPK})
RHK = "Terlaksananya pelayanan administrasi kependudukan di kelurahan"
IKI = "Jumlah berkas KTP/KK yang diverifikasi"


def write_csv(tmp_path: Path, lines: Iterable[str], *, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def rows_a() -> str:
    return f"{A};2026;{RHK};{IKI};600;berkas;Utama"


def targets_csv(tmp_path: Path, *rows: str) -> Path:
    return write_csv(tmp_path, [";".join(HEADER), *rows])


def make_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in rows:
        sheet.append(list(values))
    workbook.save(path)
    return path


def target(
    nip: str = A,
    year: int = YEAR,
    rhk: str = RHK,
    indicator: str = IKI,
    quantity: int = 600,
    unit: str = "berkas",
    line: int = 2,
    **extra: Any,
) -> TargetRow:
    return TargetRow(line, nip, year, rhk, indicator, quantity, unit, "utama", **extra)


def codes(problems: Iterable[TargetProblem]) -> list[tuple[int, str, dict[str, object]]]:
    return [(p.line, p.code, p.params) for p in problems]


def load_example_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_skp_xlsx", EXAMPLES / "make_skp_xlsx.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------ sample file


class TestSample:
    def test_reads_and_validates_clean_against_the_roster(self) -> None:
        roster_nips = {r.nip for r in read_roster(ROSTER_CSV)}
        rows = read_targets(SAMPLE_CSV)
        assert validate_targets(rows, roster_nips, current_year=YEAR) == []
        assert [r.line for r in rows] == list(range(2, len(rows) + 2))
        assert {r.year for r in rows} == {YEAR}

    def test_shape(self) -> None:
        rows = read_targets(SAMPLE_CSV)
        per_person = Counter(r.nip for r in rows)
        assert 9 <= len(per_person) <= 12
        assert all(2 <= count <= 4 for count in per_person.values())
        assert per_person[AGUS] >= 2
        kinds = Counter(r.kind for r in rows)
        assert kinds["utama"] > 3 * kinds["tambahan"] > 0
        # The familiar examples from kelurahan work are there with realistic targets.
        assert any(r.indicator == IKI and r.target_quantity == 600 for r in rows)
        assert any(r.unit == "orang dilayani" and r.target_quantity == 1500 for r in rows)

    def test_header_is_indonesian(self) -> None:
        first = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()[0]
        assert first == ";".join([*HEADER, "Aduan"])

    def test_complaint_targets_marked_in_sample(self) -> None:
        marked = [r for r in read_targets(SAMPLE_CSV) if r.complaint_work]
        assert {r.indicator for r in marked} == {"Jumlah pengaduan yang ditindaklanjuti"}
        assert len(marked) == 2

    def test_thousands_dots_in_sample(self) -> None:
        assert ";1.500;" in SAMPLE_CSV.read_text(encoding="utf-8")
        assert 1500 in {r.target_quantity for r in read_targets(SAMPLE_CSV)}

    def test_xlsx_has_same_rows_as_csv(self) -> None:
        assert read_targets(SAMPLE_XLSX) == read_targets(SAMPLE_CSV)

    def test_xlsx_keeps_nip_as_text_and_numbers_as_numbers(self) -> None:
        workbook = openpyxl.load_workbook(SAMPLE_XLSX, read_only=True)
        sheet = workbook.worksheets[0]
        first = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
        workbook.close()
        assert first[:2] == (AGUS, YEAR)
        assert isinstance(first[4], int)

    def test_generator_script(self, tmp_path: Path) -> None:
        out = tmp_path / "out.xlsx"
        load_example_script().main([str(SAMPLE_CSV), str(out)])
        assert read_targets(out) == read_targets(SAMPLE_CSV)


# ----------------------------------------------------------------------------- reading


class TestReading:
    def test_row_is_normalised(self, tmp_path: Path) -> None:
        path = targets_csv(
            tmp_path,
            # A line break inside a quoted cell (Alt+Enter in Excel) becomes a space.
            f'19860926 201505 1 001; 2026 ;  {RHK}  ;"Jumlah berkas\r\nKTP/KK";1.000; Berkas ;'
            "TAMBAHAN",
            f"{B};2026;{RHK};{IKI};5;Orang  Dilayani;",
        )
        assert read_targets(path) == [
            TargetRow(2, A, 2026, RHK, "Jumlah berkas KTP/KK", 1000, "berkas", "tambahan"),
            TargetRow(4, B, 2026, RHK, IKI, 5, "orang dilayani", "utama"),
        ]

    def test_english_aliases_any_case_order_extra_columns_no_kind(self, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            [
                "No,UNIT,Quantity,indicator,Work Plan,year,nip,Remarks",
                f"1,Laporan,12,Jumlah laporan,Tersusunnya laporan kegiatan bulanan,2026,{A},-",
            ],
        )
        [only] = read_targets(path)
        assert (only.nip, only.year, only.target_quantity, only.unit, only.kind) == (
            A,
            2026,
            12,
            "laporan",
            "utama",
        )

    @pytest.mark.parametrize(
        "header",
        [
            "NIP;Tahun SKP;Rencana Hasil Kerja;Indikator Kinerja Individu;Target Kuantitas;"
            "Satuan Output;Jenis RHK",
            "nip_baru;TAHUN;rhk;IKI;kuantitas;satuan;kategori",
            "nip;year;planned work result;performance indicator;target quantity;output unit;kind",
        ],
    )
    def test_header_aliases(self, tmp_path: Path, header: str) -> None:
        path = write_csv(tmp_path, [header, f"{A};2026;{RHK};{IKI};600;berkas;U"])
        [only] = read_targets(path)
        assert (only.rhk, only.indicator, only.target_quantity) == (RHK, IKI, 600)

    def test_title_rows_and_blank_rows(self, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            [
                "TARGET SKP TAHUN 2026, KECAMATAN MEDAN BELAWAN;;;;;;",
                "",
                ";".join(HEADER),
                f"{A};2026;{RHK};{IKI};600;berkas;Utama",
                ";;;;;;",
                f"{B};2026;{RHK};{IKI};500;berkas;",
            ],
        )
        assert [(r.line, r.nip) for r in read_targets(path)] == [(4, A), (6, B)]

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("600", 600),
            ("1.000", 1000),
            ("1.500", 1500),
            ("12.500", 12500),
            ("1.000.000", 1_000_000),
            (" 1.000 ", 1000),
            ("0", 0),
            ("12,5", None),
            ("1,000", None),
            ("1.5", None),
            ("1.0000", None),
            ("1.000,00", None),
            ("1.000.", None),
            (".500", None),
            ("-5", None),
            ("600 berkas", None),
            ("", None),
            ("٦٠٠", None),  # Arabic-Indic digits: not what the database would store
            ("9" * 5000, None),  # beyond int()'s digit limit: refused, not a crash
            ("1" + ".000" * 5, None),
        ],
    )
    def test_parse_quantity(self, text: str, expected: int | None) -> None:
        assert parse_quantity(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Utama", "utama"),
            ("TAMBAHAN", "tambahan"),
            ("u", "utama"),
            ("T", "tambahan"),
            ("Main", "utama"),
            ("additional", "tambahan"),
            ("", "utama"),
            ("  ", "utama"),
            ("wajib", None),
            ("utama/tambahan", None),
        ],
    )
    def test_parse_kind(self, text: str, expected: str | None) -> None:
        assert parse_kind(text) == expected

    def test_unusable_cells_are_kept_for_the_report(self, tmp_path: Path) -> None:
        path = targets_csv(tmp_path, f"{A};dua ribu;{RHK};{IKI};12,5;berkas;wajib")
        [only] = read_targets(path)
        assert (only.year, only.year_text) == (0, "dua ribu")
        assert (only.target_quantity, only.quantity_text) == (0, "12,5")
        assert (only.kind, only.kind_text) == ("utama", "wajib")


class TestXlsx:
    def test_numbers_and_row_numbers(self, tmp_path: Path) -> None:
        path = make_xlsx(
            tmp_path / "t.xlsx",
            [
                ["Target SKP 2026"],
                HEADER,
                [A, 2026.0, RHK, IKI, 1500.0, "Orang Dilayani", "Utama"],
                [],
                [B, 2026, RHK, IKI, "1.200", "berkas", None],
                [AGUS, 2026, RHK, IKI, 12.5, "berkas", "T"],
            ],
        )
        rows = read_targets(path)
        assert [(r.line, r.nip, r.target_quantity, r.unit, r.kind) for r in rows] == [
            (3, A, 1500, "orang dilayani", "utama"),
            (5, B, 1200, "berkas", "utama"),
            (6, AGUS, 0, "berkas", "tambahan"),
        ]
        assert codes(validate_targets(rows, KNOWN, YEAR)) == [
            (6, "bad_quantity", {"value": "12.5", "max": 1_000_000}),
        ]

    def test_nip_stored_as_number_is_mangled(self, tmp_path: Path) -> None:
        path = make_xlsx(
            tmp_path / "t.xlsx", [HEADER, [float(A), 2026, RHK, IKI, 600, "berkas", None]]
        )
        [only] = read_targets(path)
        assert only.excel_mangled == {"nip"}
        assert codes(validate_targets([only], KNOWN, YEAR)) == [
            (2, "nip_mangled_by_excel", {"field": "nip"})
        ]

    def test_missing_columns(self, tmp_path: Path) -> None:
        path = make_xlsx(tmp_path / "t.xlsx", [["NIP", "Tahun", "RHK"], [A, 2026, RHK]])
        with pytest.raises(TableFileError) as caught:
            read_targets(path)
        assert caught.value.code == "missing_columns"
        assert caught.value.params["columns"] == ["Indikator", "Target", "Satuan"]


# ------------------------------------------------------------------------- file errors


class TestFileErrors:
    def expect(self, path: Path, code: str, **params: object) -> None:
        with pytest.raises(TableFileError) as caught:
            read_targets(path)
        assert caught.value.code == code
        for key, value in params.items():
            assert caught.value.params[key] == value

    def test_missing_columns_named_in_indonesian(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path, ["NIP;RHK;Target;Jenis", f"{A};{RHK};600;Utama"])
        self.expect(
            path,
            "missing_columns",
            columns=["Tahun", "Indikator", "Satuan"],
            fields=["year", "indicator", "unit"],
        )

    def test_roster_file_is_not_a_target_file(self) -> None:
        self.expect(ROSTER_CSV, "missing_columns")

    def test_unsupported_format(self, tmp_path: Path) -> None:
        path = tmp_path / "t.xls"
        path.write_bytes(b"x")
        self.expect(path, "unsupported_format", suffix=".xls")

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "t.csv"
        path.write_bytes(
            (";".join(HEADER) + f"\r\n{A};2026;Pelayanan ‘prima’;{IKI};1;berkas;\r\n").encode(
                "cp1252"
            )
        )
        self.expect(path, "not_utf8")

    def test_bad_csv_with_line(self, tmp_path: Path) -> None:
        path = targets_csv(
            tmp_path,
            f"{A};2026;{RHK};{IKI};600;berkas;",
            f'{B};2026;"{RHK};{IKI};600;berkas;',
        )
        self.expect(path, "bad_csv", line=3)

    def test_duplicate_columns(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path, [";".join([*HEADER, "Indicator"]), f"{A};2026;r;i;1;x;;i"])
        self.expect(path, "duplicate_columns", columns=["Indicator"])

    def test_header_only_is_empty(self, tmp_path: Path) -> None:
        self.expect(targets_csv(tmp_path), "empty")

    def test_too_many_rows(self, tmp_path: Path) -> None:
        path = targets_csv(tmp_path, *(f"{A};2026;{RHK};{IKI} {i};1;x;" for i in range(3)))
        assert len(read_targets(path, max_rows=3)) == 3
        with pytest.raises(TableFileError) as caught:
            read_targets(path, max_rows=2)
        assert (caught.value.code, caught.value.params) == ("too_many_rows", {"max": 2})

    def test_roster_callers_catch_it_too(self, tmp_path: Path) -> None:
        # The CLI catches RosterFileError; it is the same class, so nothing slips through.
        with pytest.raises(RosterFileError):
            read_targets(tmp_path / "missing.csv")


# -------------------------------------------------------------------------- validation


class TestValidation:
    def test_every_problem_code_with_its_line(self, tmp_path: Path) -> None:
        path = targets_csv(
            tmp_path,
            f"{A};2026;{RHK};{IKI};600;berkas;Utama",  # 2 ok
            f"19860926201505100;2026;{RHK};{IKI};600;berkas;",  # 3
            f"199912312020121001;2026;{RHK};{IKI};600;berkas;",  # 4
            f"{A};2024;{RHK};{IKI};600;berkas;",  # 5
            f"{A};20266;{RHK};{IKI};600;berkas;",  # 6
            f"{A};;{RHK};{IKI};600;berkas;",  # 7
            f"{A};2026;;{IKI};600;berkas;",  # 8
            f"{A};2026;{RHK};;600;berkas;",  # 9
            f"{A};2026;{RHK};Jumlah surat;12,5;surat;",  # 10
            f"{A};2026;{RHK};Jumlah warga;1.000.001;orang;",  # 11
            f"{A};2026;{RHK};Jumlah rapat;0;kegiatan;",  # 12
            f"{A};2026;{RHK};Jumlah laporan;12;;",  # 13
            f"{A};2026;{RHK};Jumlah data;12;data;wajib",  # 14
            f"{A};2026;{'R' * 501};{'I' * 501};1;{'s' * 41};T",  # 15
            f"{A};2026;{RHK.upper()};{IKI};700;berkas;",  # 16
            f'"1,98609E+17";2026;{RHK};{IKI};600;berkas;',  # 17
            f"{A};2026;{RHK};Jumlah pengaduan;;pengaduan;",  # 18
        )
        problems = validate_targets(read_targets(path), KNOWN, current_year=YEAR)
        year_range = {"min": 2025, "max": 2027}
        too_big = {"max": 1_000_000}
        assert codes(problems) == [
            (3, "invalid_nip", {"reason": "not_18_digits"}),
            (4, "unknown_employee", {}),
            (5, "bad_year", {"value": "2024", **year_range}),
            (6, "bad_year", {"value": "20266", **year_range}),
            (7, "bad_year", {"value": "", **year_range}),
            (8, "missing_rhk", {}),
            (9, "missing_indicator", {}),
            (10, "bad_quantity", {"value": "12,5", **too_big}),
            (11, "bad_quantity", {"value": "1000001", **too_big}),
            (12, "bad_quantity", {"value": "0", **too_big}),
            (13, "missing_unit", {}),
            (14, "bad_kind", {"value": "wajib"}),
            (15, "field_too_long", {"field": "rhk", "max": 500}),
            (15, "field_too_long", {"field": "indicator", "max": 500}),
            (15, "field_too_long", {"field": "unit", "max": 40}),
            (16, "duplicate_target", {"first_line": 2}),
            (17, "nip_mangled_by_excel", {"field": "nip"}),
            (18, "bad_quantity", {"value": "", **too_big}),
        ]
        # other_unit comes from the importer, for a unit admin's file (tests/e2e); the Aduan
        # column's own problem is in test_the_complaint_work_column.
        assert {p.code for p in problems} == set(TARGET_PROBLEM_CODES) - {
            "other_unit",
            "bad_complaint_flag",
        }
        assert problems[0].nip == "19860926201505100"

    def test_the_complaint_work_column(self, tmp_path: Path) -> None:
        """Column "Aduan" marks the target complaint work counts towards (ya/tidak)."""
        path = write_csv(
            tmp_path,
            [
                ";".join([*HEADER, "Aduan"]),
                f"{A};2026;{RHK};{IKI};600;berkas;Utama;ya",
                f"{A};2026;{RHK};Jumlah surat;12;surat;;Tidak",
                f"{A};2026;{RHK};Jumlah aduan;120;aduan;;Y",
                f"{A};2026;{RHK};Jumlah rapat;12;kegiatan;;",
                f"{A};2026;{RHK};Jumlah data;12;data;;mungkin",
            ],
        )
        rows = read_targets(path)
        assert [row.complaint_work for row in rows] == [True, False, True, False, False]
        problems = validate_targets(rows, KNOWN, current_year=YEAR)
        assert codes(problems) == [(6, "bad_complaint_flag", {"value": "mungkin"})]
        # Without the column (older files) no target is marked.
        assert not any(r.complaint_work for r in read_targets(targets_csv(tmp_path, rows_a())))

    def test_several_problems_on_one_row_in_fixed_order(self) -> None:
        row = target(nip="123", year=1999, rhk="", indicator="", quantity=-1, unit="")
        assert [p.code for p in validate_targets([row], KNOWN, YEAR)] == [
            "invalid_nip",
            "bad_year",
            "missing_rhk",
            "missing_indicator",
            "bad_quantity",
            "missing_unit",
        ]

    @pytest.mark.parametrize(
        ("year", "ok"), [(2024, False), (2025, True), (2027, True), (2028, False)]
    )
    def test_year_window(self, year: int, ok: bool) -> None:
        problems = validate_targets([target(year=year)], KNOWN, YEAR)
        assert (problems == []) is ok

    @pytest.mark.parametrize(("quantity", "ok"), [(1, True), (1_000_000, True), (1_000_001, False)])
    def test_quantity_limits(self, quantity: int, ok: bool) -> None:
        assert (validate_targets([target(quantity=quantity)], KNOWN, YEAR) == []) is ok

    def test_length_limits_are_inclusive(self) -> None:
        row = target(rhk="R" * 500, indicator="I" * 500, unit="s" * 40)
        assert validate_targets([row], KNOWN, YEAR) == []

    def test_pppk_number_accepted(self) -> None:
        assert validate_targets([target(nip=PPPK)], KNOWN, YEAR) == []

    def test_known_nips_may_be_any_collection(self) -> None:
        row = target(nip=B)
        assert validate_targets([row], [A, B], YEAR) == []
        assert validate_targets([row], {B: "Budi"}.keys(), YEAR) == []
        assert [p.code for p in validate_targets([row], (A,), YEAR)] == ["unknown_employee"]

    def test_same_indicator_other_year_or_person_is_not_a_duplicate(self) -> None:
        rows = [
            target(line=2),
            target(line=3, year=YEAR + 1),
            target(line=4, nip=B),
            target(line=5, indicator="Jumlah berkas KK yang diverifikasi"),
            target(line=6, indicator=IKI.lower()),
            target(line=7, indicator=IKI.lower()),
        ]
        assert codes(validate_targets(rows, KNOWN, YEAR)) == [
            (6, "duplicate_target", {"first_line": 2}),
            (7, "duplicate_target", {"first_line": 2}),
        ]

    def test_rows_that_are_already_wrong_do_not_count_as_duplicates(self) -> None:
        rows = [target(line=2, nip="x"), target(line=3, nip="x"), target(line=4, year=1990)]
        rows.append(target(line=5, year=1990))
        assert "duplicate_target" not in {p.code for p in validate_targets(rows, KNOWN, YEAR)}

    def test_problems_sorted_by_line_even_for_unsorted_rows(self) -> None:
        rows = [target(line=9, unit=""), target(line=3, rhk="")]
        assert [p.line for p in validate_targets(rows, KNOWN, YEAR)] == [3, 9]

    def test_long_cells_are_quoted_short(self, tmp_path: Path) -> None:
        path = targets_csv(tmp_path, f"{A};{'2' * 5000};{RHK};{IKI};{'x' * 60};berkas;{'y' * 60}")
        problems = validate_targets(read_targets(path), KNOWN, YEAR)
        assert [p.code for p in problems] == ["bad_year", "bad_quantity", "bad_kind"]
        assert all(len(str(p.params["value"])) == 40 for p in problems)
        assert problems[1].params["value"] == "x" * 39 + "…"

    def test_many_bad_rows_all_reported(self, tmp_path: Path) -> None:
        bad = [f"{A};2026;{RHK};Indikator {i};banyak;berkas;" for i in range(40)]
        problems = validate_targets(read_targets(targets_csv(tmp_path, *bad)), KNOWN, YEAR)
        assert [(p.line, p.code) for p in problems] == [(n, "bad_quantity") for n in range(2, 42)]


# ------------------------------------------------------------------ shared table reader


class TestLayout:
    def test_alias_naming_two_fields_is_refused(self) -> None:
        with pytest.raises(ValueError, match="two fields"):
            TableLayout(
                (Column("a", "A", ("same",), True), Column("b", "B", ("Same",), True)),
                key_field="a",
            )

    def test_key_field_must_be_required(self) -> None:
        with pytest.raises(ValueError, match="key field"):
            TableLayout((Column("a", "A", (), False),), key_field="a")
