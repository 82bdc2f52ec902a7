"""The one formatting module (``texts.format``) and what every catalogue message looks like once
its placeholders are filled: no double period after a name with a degree, no space before a
period, no placeholder left unfilled."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from texts import LANGUAGES, Html, catalogue, escape, fill, texts
from texts.format import (
    date_range,
    duration,
    duration_of_hours,
    fixed,
    format_date,
    format_datetime,
    listing,
    number,
    period,
    person_name,
    quarter,
    short_day,
    signed,
    signed_duration,
)

NAME = "Nurhayati Harahap, S.E."


def test_numbers_take_the_languages_decimal_sign() -> None:
    assert number(2.5, "id") == "2,5" and number(2.5, "en") == "2.5"
    assert number(1234, "id") == "1.234" and number(3.0, "id") == "3"
    assert fixed(Decimal("88.3"), "id") == "88,30" and fixed(Decimal("88.3"), "en") == "88.30"
    assert signed(3, "id", 0) == "+3" and signed(-1.5, "id") == "−1,5" and signed(0, "id") == "±0"


def test_durations_read_the_same_everywhere() -> None:
    assert duration(150, "id") == "2 jam 30 menit" and duration(150, "en") == "2 h 30 min"
    assert duration(45, "id") == "45 menit" and duration(180, "id") == "3 jam"
    assert duration(2250, "id") == "37 jam 30 menit"
    assert duration_of_hours(2.5, "id") == "2 jam 30 menit"
    assert duration_of_hours(0.004, "id") == "kurang dari 1 menit"
    assert duration_of_hours(24, "id") == "24 jam"
    assert signed_duration(90, "id") == "+1 jam 30 menit" and signed_duration(0, "id") == "±0"


def test_periods_and_dates_read_as_people_say_them() -> None:
    assert quarter(2026, 4, "id") == "Triwulan IV 2026"
    assert quarter(2026, 1, "en") == "Quarter I 2026"
    assert period("2026Q4", "id") == "Triwulan IV 2026" and period("2026", "id") == "2026"
    assert format_date(date(2026, 11, 24), "id") == "Selasa, 24 November 2026"
    assert format_date(date(2026, 11, 24), "en", weekday=False) == "24 November 2026"
    assert short_day(date(2026, 11, 24), "id") == "Sel 24/11"
    moment = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert format_datetime(moment, ZoneInfo("Asia/Jakarta"), "id") == (
        "Selasa, 24 November 2026 09.00 WIB"
    )
    assert date_range(date(2026, 12, 14), date(2026, 12, 20), "id") == "14 – 20 Desember 2026"
    assert date_range(date(2026, 11, 30), date(2026, 12, 6), "id") == (
        "30 November – 6 Desember 2026"
    )


def test_names_and_lists() -> None:
    assert person_name("  Nurhayati   Harahap, S.E. ") == NAME
    assert listing(["atasan", "penangan aduan"], "id") == "atasan dan penangan aduan"
    assert listing(["a", "b", "c"], "id") == "a, b, dan c" and listing([], "id") == ""


def test_a_sentence_ending_in_a_name_with_a_degree_has_one_period() -> None:
    assert fill("Halo {name}.", {"name": NAME}) == f"Halo {NAME}"
    assert fill("Halo <b>{name}</b>.\nLagi.", {"name": NAME}) == f"Halo <b>{NAME}</b>\nLagi."
    assert fill("Halo {name}.", {"name": "Agus"}) == "Halo Agus."
    assert fill("{name}... ya", {"name": "Agus"}) == "Agus... ya"


def test_a_missing_value_raises_instead_of_showing_a_placeholder() -> None:
    with pytest.raises(KeyError):
        texts("id").t("start.employee")


def _sample(field: str) -> object:
    """A value like the ones people and the roster supply; names end in a degree's period."""
    if field in {"count", "minimum", "length", "limit", "max", "days", "number", "hours"}:
        return 3
    return NAME


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalogue_message_reads_badly_once_filled(language: str) -> None:
    tr = texts(language)
    problems = []
    for key, template in catalogue(language).items():
        shown = tr.t(key, **{field: _sample(field) for field in _fields(template)})
        text = re.sub(r"<[^>]+>", "", shown)
        if re.search(r"(?<!\.)\.\.(?!\.)", text):
            problems.append(f"{key}: double period: {text!r}")
        if re.search(r" \.(\s|$)", text):
            problems.append(f"{key}: space before a period: {text!r}")
        if re.search(r"\{\w*\}", text):
            problems.append(f"{key}: unfilled placeholder: {text!r}")
    assert problems == []


def _formatter_fill(template: str, values: dict[str, object]) -> str:
    """``texts.fill`` as it was through ``string.Formatter`` on every call: the parsed and
    cached templates must say exactly what it said."""
    formatter, parts = string.Formatter(), list[str]()
    for literal, field, spec, conversion in formatter.parse(template):
        if any(parts) and next(p for p in reversed(parts) if p).endswith("."):
            literal = re.sub(r"^((?:</[a-z]+>)*)\.(?!\.)", r"\1", literal, count=1)
        parts.append(literal)
        if field is not None:
            value = formatter.convert_field(formatter.get_field(field, (), values)[0], conversion)
            parts.append(formatter.format_field(value, spec or ""))
    return "".join(parts)


# Values as handlers give them: a name with its degree, typed text with HTML's characters, an
# HTML fragment ending in a period, nothing, a number, and a value that is only a period.
_VALUES: list[object] = [NAME, "a < b & c", Html("<b>Agus, S.H.</b>."), "", 3, ".", "Agus"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_message_is_filled_as_string_formatter_filled_it(language: str) -> None:
    tr = texts(language)
    for key, template in catalogue(language).items():
        fields = sorted(_fields(template))
        # Each value in every place, then the values rotated through the places.
        choices = [dict.fromkeys(fields, value) for value in _VALUES]
        choices += [
            {field: _VALUES[(i + shift) % len(_VALUES)] for i, field in enumerate(fields)}
            for shift in range(len(_VALUES))
        ]
        for params in choices:
            escaped: dict[str, object] = {k: escape(v) for k, v in params.items()}
            assert tr.t(key, **params) == _formatter_fill(template, escaped), (key, params)
            plain: dict[str, object] = {k: str(v) for k, v in params.items()}
            assert tr.plain(key, **params) == _formatter_fill(template, plain), (key, params)


def test_templates_beyond_the_catalogue_are_filled_as_string_formatter_filled_them() -> None:
    cases: list[tuple[str, dict[str, object]]] = [
        ("{a:<6}|{b!r}.{c}", {"a": "x.", "b": "y", "c": "z"}),
        ("{a.real} {b}", {"a": 2, "b": "."}),  # not a plain name: string.Formatter's way
        ("<i>{a}</i></b>.. {{literal}}.", {"a": "S.E."}),
        ("{a}{b}. x", {"a": "A.", "b": ""}),
    ]
    for template, values in cases:
        assert fill(template, values) == _formatter_fill(template, values)
