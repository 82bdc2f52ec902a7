from datetime import date

import pytest

from domain.nip import NIP_PROBLEM_CODES, is_valid_nip, normalize_nip, validate_nip

EXAMPLE = "198609262015051001"  # the example NIP from Perka BKN-based domain notes
PPPK = "199708112024211004"  # born 1997-08-11, PPPK 2024, marker 21, male, no. 004


def test_example_nip_is_valid_and_parsed() -> None:
    check = validate_nip(EXAMPLE)
    assert check.ok
    assert check.code is None
    assert check.nip == EXAMPLE
    assert check.kind == "pns"
    assert check.birth_date == date(1986, 9, 26)
    assert check.appointment == (2015, 5)
    assert check.gender == "male"
    assert check.sequence == 1
    assert is_valid_nip(EXAMPLE)


def test_female_gender_digit() -> None:
    assert validate_nip("198609262015052001").gender == "female"


@pytest.mark.parametrize(
    "typed",
    [
        "19860926 201505 1 001",
        "  19860926 201505 1 001  ",
        "19860926.201505.1.001",
        "19860926-201505-1-001",
        "19860926–201505–1–001",  # en dash, as word processors substitute
        "19860926\u00a0201505\u00a01\u00a0001",  # no-break spaces from a pasted cell
        "'198609262015051001",  # Excel text prefix copied along
    ],
)
def test_typed_separators_are_normalised(typed: str) -> None:
    assert normalize_nip(typed) == EXAMPLE
    check = validate_nip(typed)
    assert check.ok
    assert check.nip == EXAMPLE


def test_normalise_keeps_letters_for_validation_to_reject() -> None:
    assert normalize_nip("NIP 1986 0926") == "NIP19860926"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "19860926201505100",  # 17 digits
        "1986092620150510011",  # 19 digits
        "19860926201505100A",
        "NIP198609262015051",
        "1986/09/26/201505/1/001",  # slash is not an accepted separator
        "١٩٨٦٠٩٢٦٢٠١٥٠٥١٠٠١",  # Arabic-Indic digits: str.isdigit() is True for these
        "１９８６０９２６２０１５０５１００１",  # full-width digits
        "۱۹۸۶۰۹۲۶۲۰۱۵۰۵۱۰۰۱",  # Extended Arabic-Indic (Persian) digits
    ],
)
def test_not_18_ascii_digits(text: str) -> None:
    check = validate_nip(text)
    assert check.code == "not_18_digits"
    assert not check.ok
    assert check.birth_date is None and check.gender is None


@pytest.mark.parametrize(
    ("birth", "code"),
    [
        ("20000229", None),  # 2000 is a leap year (divisible by 400)
        ("19960229", None),
        ("19970229", "bad_birth_date"),
        ("19000229", "bad_birth_date"),  # 1900 is not a leap year
        ("19861301", "bad_birth_date"),
        ("19860001", "bad_birth_date"),
        ("19860931", "bad_birth_date"),
        ("19860900", "bad_birth_date"),
        ("18990101", "bad_birth_date"),  # before any plausible serving employee
        ("00000101", "bad_birth_date"),
    ],
)
def test_birth_date(birth: str, code: str | None) -> None:
    assert validate_nip(f"{birth}2022031001").code == code


@pytest.mark.parametrize(
    "nip",
    [
        "198609262015001001",  # month 00
        "198609262015131001",  # month 13: not a month and not the PPPK marker either
        "198609261985051001",  # appointed before birth
        "198609261986091001",  # appointment month starts before the birth date
        "198609011986091001",  # TMT on the 1st, born that same day: not after birth
        "198609260000051001",  # year 0
    ],
)
def test_bad_appointment(nip: str) -> None:
    assert validate_nip(nip).code == "bad_appointment"


def test_appointment_in_month_after_birth_is_accepted() -> None:
    # Implausible (a baby), but the rule is only "after birth"; no age policy here.
    assert validate_nip("198609261986101001").ok


@pytest.mark.parametrize("digit", ["0", "3", "9"])
def test_bad_gender(digit: str) -> None:
    assert validate_nip(f"19860926201505{digit}001").code == "bad_gender"


def test_bad_sequence() -> None:
    assert validate_nip("198609262015051000").code == "bad_sequence"
    assert validate_nip("198609262015051999").ok


def test_checks_report_the_first_problem_in_order() -> None:
    # Bad birth date, bad month, bad gender and bad sequence at once.
    assert validate_nip("198613402015130000").code == "bad_birth_date"
    assert validate_nip("198609262015130000").code == "bad_appointment"
    assert validate_nip("198609262015050000").code == "bad_gender"


class TestPppk:
    def test_any_accepts_pppk_marker_instead_of_month(self) -> None:
        check = validate_nip(PPPK)
        assert check.ok
        assert check.kind == "pppk"
        assert check.birth_date == date(1997, 8, 11)
        assert check.appointment == (2024, None)
        assert check.gender == "male"
        assert check.sequence == 4

    def test_pns_kind_rejects_pppk_number(self) -> None:
        assert validate_nip(PPPK, kind="pns").code == "bad_appointment"

    def test_pppk_kind_accepts_pppk_and_rejects_pns_month(self) -> None:
        assert validate_nip(PPPK, kind="pppk").kind == "pppk"
        assert validate_nip(EXAMPLE, kind="pppk").code == "bad_appointment"

    def test_pns_kind_accepts_pns(self) -> None:
        assert validate_nip(EXAMPLE, kind="pns").kind == "pns"

    @pytest.mark.parametrize("middle", ["29", "22"])
    def test_other_batch_digits(self, middle: str) -> None:
        assert validate_nip(f"199708112024{middle}2001").ok

    @pytest.mark.parametrize("middle", ["20", "31", "99", "13"])
    def test_non_month_that_is_not_the_marker_is_rejected(self, middle: str) -> None:
        assert validate_nip(f"199708112024{middle}1004").code == "bad_appointment"

    def test_appointment_year_must_follow_birth_year(self) -> None:
        assert validate_nip("199708111997211004").code == "bad_appointment"
        assert validate_nip("199708111998211004").ok

    def test_rest_must_still_be_valid(self) -> None:
        assert validate_nip("199702302024211004").code == "bad_birth_date"
        assert validate_nip("199708112024213004").code == "bad_gender"
        assert validate_nip("199708112024211000").code == "bad_sequence"


def test_problem_codes_constant_lists_every_code() -> None:
    produced = {
        validate_nip(nip).code
        for nip in (
            "123",
            "198602302015051001",
            "198609262015131001",
            "198609262015053001",
            "198609262015051000",
        )
    }
    assert produced == set(NIP_PROBLEM_CODES)
