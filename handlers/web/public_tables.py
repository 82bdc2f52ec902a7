"""The public page's tables, once: the page (``public_page``) and the CSV downloads read the
same rows, so a figure cannot differ between the two, and neither can what is withheld.

A cell is text as published: counts go through ``domain.public_stats.shown_count`` ("< 5"),
an IKM and its element means appear only from ``MIN_SHOWN`` respondents, a share or a median
only when it rests on that many complaints ("–" otherwise). ``numbers`` chooses how decimals
are written: the language's own on the page ("84,03"), a plain dot in the CSV files, which
programs read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.public_stats import KINDS, MIN_SHOWN, MonthFigures, shown_count
from domain.skm import ELEMENTS, SkmResult
from models.public_stats import UnitSurvey
from texts import Texts
from texts.format import fixed
from texts.format import month as month_name
from texts.format import period as period_name

Numbers = Callable[[Decimal, int], str]


@dataclass(frozen=True)
class PublicData:
    organization: str
    period: str  # the quarter asked for
    current: str  # the running quarter
    periods: list[str]  # the quarters shown, oldest first, ending with ``period``
    units: list[UnitSurvey]
    months: list[MonthFigures]  # newest first
    categories: dict[int, tuple[str, str]]  # id → (Indonesian, English)
    verify_days: int
    answer_days: int
    generated: datetime
    zone: ZoneInfo


def page_numbers(tr: Texts) -> Numbers:
    return lambda value, places: fixed(value, tr.language, places)


def csv_numbers(value: Decimal, places: int) -> str:
    return f"{value:.{places}f}"


def published(result: SkmResult | None) -> SkmResult | None:
    """The result when it may be published (enough respondents), else None."""
    return result if result is not None and result.respondents >= MIN_SHOWN else None


def quarter_label(data: PublicData, period: str, tr: Texts) -> str:
    name = period_name(period, tr.language)
    return tr.plain("public.running", period=name) if period == data.current else name


def month_label(key: str, tr: Texts) -> str:
    return month_name(date(int(key[:4]), int(key[5:]), 1), tr.language)


def _category(data: PublicData, category_id: int, tr: Texts) -> str:
    names = data.categories.get(category_id)
    if names is None:
        return str(category_id)
    return names[1] if tr.language == "en" else names[0]


# --- rows ----------------------------------------------------------------------------------


def ikm_header(tr: Texts) -> list[str]:
    return [
        tr.plain("public.unit_code"),
        tr.plain("public.unit"),
        tr.plain("public.quarter"),
        tr.plain("public.respondents"),
        tr.plain("public.ikm"),
        tr.plain("public.grade"),
        *(tr.plain(f"skm_element.{element}") for element in ELEMENTS),
        tr.plain("public.follow_up"),
    ]


def ikm_rows(data: PublicData, tr: Texts, numbers: Numbers) -> list[list[str]]:
    dash = tr.plain("public.not_published")
    rows = []
    for unit in data.units:
        for period in data.periods:
            result = unit.results[period]
            shown = published(result)
            row = [
                unit.code,
                unit.name,
                period_name(period, tr.language),
                shown_count(result.respondents if result else 0),
            ]
            if shown is None:
                row += [dash, dash, *(dash for _ in ELEMENTS)]
            else:
                row += [
                    numbers(shown.ikm, 2),
                    tr.plain(
                        "public.grade_value",
                        grade=shown.grade,
                        label=tr.plain(f"skm.grade_{shown.grade}"),
                    ),
                    *(numbers(shown.element_mean(i), 2) for i in range(len(ELEMENTS))),
                ]
            row.append(unit.follow_ups.get(period, ""))
            rows.append(row)
    return rows


def complaint_header(tr: Texts) -> list[str]:
    return [
        tr.plain("public.month"),
        tr.plain("public.received"),
        *(tr.plain(f"complaint_kind.{kind}") for kind in KINDS),
        tr.plain("public.verified_on_time") + " (%)",
        tr.plain("public.answered_on_time") + " (%)",
        tr.plain("public.median_days"),
        tr.plain("public.reopened"),
    ]


def complaint_rows(data: PublicData, tr: Texts, numbers: Numbers) -> list[list[str]]:
    dash = tr.plain("public.not_published")

    def maybe(value: Decimal | None, places: int) -> str:
        return dash if value is None else numbers(value, places)

    return [
        [
            month_label(month.month, tr),
            shown_count(month.received),
            *(shown_count(month.by_kind[kind]) for kind in KINDS),
            maybe(month.verified.percent, 0),
            maybe(month.answered.percent, 0),
            maybe(month.median_days, 1),
            shown_count(month.reopened),
        ]
        for month in data.months
    ]


def category_header(tr: Texts) -> list[str]:
    return [tr.plain("public.month"), tr.plain("public.category"), tr.plain("public.received")]


def category_rows(data: PublicData, tr: Texts) -> list[list[str]]:
    """Months with the categories they received, newest first (categories with none left
    out: twelve months of every category would bury the few that matter)."""
    order = list(data.categories)
    rows = []
    for month in data.months:
        present = sorted(
            month.by_category, key=lambda c: order.index(c) if c in order else len(order)
        )
        for category_id in present:
            rows.append(
                [
                    month_label(month.month, tr),
                    _category(data, category_id, tr),
                    shown_count(month.by_category[category_id]),
                ]
            )
    return rows


# --- CSV -----------------------------------------------------------------------------------


def _cell(value: str) -> str:
    # A follow-up typed as "=HYPERLINK(...)" must stay text in a spreadsheet (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def as_csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


CSV_TABLES: dict[str, Callable[[PublicData, Texts], str]] = {
    "ikm": lambda data, tr: as_csv(ikm_header(tr), ikm_rows(data, tr, csv_numbers)),
    "aduan": lambda data, tr: as_csv(complaint_header(tr), complaint_rows(data, tr, csv_numbers)),
    "aduan-kategori": lambda data, tr: as_csv(category_header(tr), category_rows(data, tr)),
}
