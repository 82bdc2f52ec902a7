"""NIP (Nomor Induk Pegawai) parsing and validation.

A PNS NIP has 18 digits with no check digit (Perka BKN 22/2007 and 43/2007)::

    YYYYMMDD  YYYYMM  G  NNN
    birth     TMT     |  sequence (>= 001)
    date      CPNS    gender (1 = male, 2 = female)

A PPPK number (NI PPPK) is also 18 digits and starts with the birth date and the
appointment year, but the two digits where a PNS NIP has the appointment month hold
something else.  Two independent secondary sources (code written by Indonesian
developers, not a BKN regulation) describe them as a PPPK marker ``2`` followed by a
batch/frequency digit ``1``-``9``, e.g. ``199708112024211004`` = born 1997-08-11,
appointed 2024, marker ``21``, male, sequence 004.  Because that layout is unconfirmed
(see /work/shared/domain.md), it lives in one constant, ``PPPK_MIDDLE``, and is only
used to decide whether a number whose "month" is not a month may still be a PPPK number.

Validation returns a :class:`NipCheck` instead of raising: callers (roster import,
chat input) usually want to report the problem, not unwind the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

__all__ = [
    "NIP_PROBLEM_CODES",
    "PPPK_MIDDLE",
    "Gender",
    "NipCheck",
    "NipKind",
    "is_valid_nip",
    "normalize_nip",
    "validate_nip",
]

NipKind = Literal["pns", "pppk", "any"]
Gender = Literal["male", "female"]

#: Every ``NipCheck.code`` value, so text catalogues can be checked for completeness.
NIP_PROBLEM_CODES: Final = (
    "not_18_digits",
    "bad_birth_date",
    "bad_appointment",
    "bad_gender",
    "bad_sequence",
)

#: Digits 13-14 of a PPPK number: marker "2" then a batch digit 1-9 (unconfirmed layout).
#: No month matches it, so a number can never be both a plausible PNS and PPPK number.
PPPK_MIDDLE: Final = re.compile(r"2[1-9]")

# Only ASCII digits count: str.isdigit() would also accept Arabic-Indic or full-width
# digits, which would then break int() parsing elsewhere or be stored inconsistently.
_EIGHTEEN_ASCII_DIGITS: Final = re.compile(r"[0-9]{18}")

# What people put between the groups when they type or paste a NIP: spaces (incl. the
# no-break space spreadsheets and chat apps insert), dots, and every common dash
# (hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign).
_SEPARATORS: Final = re.compile(r"[\s.\-\u2010\u2011\u2012\u2013\u2014\u2212]+")

# Nobody alive and in service was born before this; it also keeps date() away from
# year 0, which it rejects with a different error path.
_MIN_BIRTH_YEAR: Final = 1900


@dataclass(frozen=True, slots=True)
class NipCheck:
    """Outcome of :func:`validate_nip`.

    ``nip`` is always the normalised input, so a problem report can show what was
    checked.  The parsed fields are set only when the NIP is valid (``code is None``).
    ``appointment`` is ``(year, month)`` for a PNS and ``(year, None)`` for a PPPK
    number, whose month is not encoded.
    """

    nip: str
    code: str | None = None
    kind: Literal["pns", "pppk"] | None = None
    birth_date: date | None = None
    appointment: tuple[int, int | None] | None = None
    gender: Gender | None = None
    sequence: int | None = None

    @property
    def ok(self) -> bool:
        return self.code is None


def normalize_nip(text: str) -> str:
    """Remove the separators people type (``19860926 201505 1 001``, dots, dashes).

    Only separators are removed; letters or other characters stay so that validation
    can reject them instead of silently turning garbage into a plausible number.  A
    leading apostrophe (Excel's "store as text" prefix, often copied along) is dropped.
    """
    text = text.strip()
    if text.startswith("'"):
        text = text[1:]
    return _SEPARATORS.sub("", text)


def validate_nip(text: str, kind: NipKind = "any") -> NipCheck:
    """Normalise and validate a NIP; report the first problem found.

    Checks, in order: ``not_18_digits`` (exactly 18 ASCII digits), ``bad_birth_date``
    (digits 1-8 a real date, year >= 1900), ``bad_appointment``, ``bad_gender`` (digit 15
    is 1 or 2), ``bad_sequence`` (digits 16-18 >= 001).

    ``kind`` decides how digits 13-14 are read:

    * ``"pns"``: they are the appointment month (01-12), and the first day of that
      month must be after the birth date.
    * ``"pppk"``: they must match :data:`PPPK_MIDDLE`; only the appointment year is
      known, and it must be after the birth year.
    * ``"any"`` (default, used for roster import): a valid month means PNS; otherwise
      the number is accepted as PPPK if it matches :data:`PPPK_MIDDLE` and everything
      else is valid.  So ``198609262015131001`` (month 13) is still rejected.

    Uncertainty: the PPPK layout rests on secondary sources.  If real NI PPPK numbers
    turn out to use other digits there, valid staff would be rejected with
    ``bad_appointment``; widen ``PPPK_MIDDLE`` rather than dropping the check, because
    the month check is what catches most typos in PNS numbers.

    No check against today's date is made, so the function stays pure; a birth date in
    the future is caught only if the appointment would have to precede it.
    """
    nip = normalize_nip(text)
    if not _EIGHTEEN_ASCII_DIGITS.fullmatch(nip):
        return NipCheck(nip, "not_18_digits")

    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return NipCheck(nip, "bad_birth_date")
    if birth.year < _MIN_BIRTH_YEAR:
        return NipCheck(nip, "bad_birth_date")

    year, middle = int(nip[8:12]), nip[12:14]
    is_month = 1 <= int(middle) <= 12
    found_kind: Literal["pns", "pppk"]
    month: int | None
    if kind == "pns" or (kind == "any" and is_month):
        if not is_month:
            return NipCheck(nip, "bad_appointment")
        found_kind, month = "pns", int(middle)
        # TMT CPNS is always the first of the month, hence day 1.  The year test comes
        # first so date() never sees year 0.
        after_birth = year >= birth.year and date(year, month, 1) > birth
    else:
        if not PPPK_MIDDLE.fullmatch(middle):
            return NipCheck(nip, "bad_appointment")
        found_kind, month = "pppk", None
        after_birth = year > birth.year
    if not after_birth:
        return NipCheck(nip, "bad_appointment")

    gender_digit = nip[14]
    if gender_digit not in ("1", "2"):
        return NipCheck(nip, "bad_gender")

    sequence = int(nip[15:18])
    if sequence < 1:
        return NipCheck(nip, "bad_sequence")

    return NipCheck(
        nip,
        kind=found_kind,
        birth_date=birth,
        appointment=(year, month),
        gender="male" if gender_digit == "1" else "female",
        sequence=sequence,
    )


def is_valid_nip(text: str, kind: NipKind = "any") -> bool:
    """Shortcut for places that only need a yes/no (e.g. filtering chat input)."""
    return validate_nip(text, kind).ok
