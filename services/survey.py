"""The SKM survey as people see it outside the chat's flow: the invitation queued when a complaint
closes (from a handler or from the scheduler's job, in the closing transaction) and the table a
unit publishes (``sigap skm report``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from domain.sheets import append_row
from domain.skm import ELEMENTS, PROFILE_CHOICES, period_bounds, round_half_up
from models.outbox import text_payload
from models.survey import SkmReport
from models.tables import Complaint
from services.buttons import survey_offer
from texts import LANGUAGES, Texts, texts
from texts.format import format_date, period


def offer_payload(language: str | None, complaint: Complaint) -> dict[str, Any]:
    """``models.survey.SurveyOffer``: the invitation in the reporter's language."""
    assert complaint.id is not None
    tr = texts(language or LANGUAGES[0])
    markup = {
        "inline_keyboard": [
            [{"text": tr.plain("survey.button_offer"), "callback_data": survey_offer(complaint.id)}]
        ]
    }
    return text_payload(tr.t("survey.offer", number=complaint.tracking_number), reply_markup=markup)


def write_report_xlsx(report: SkmReport, tr: Texts, path: Path) -> None:
    """The table a unit publishes (PermenPANRB 14/2017): element means, index, IKM, grade,
    and the respondents' profile counts. Numbers are numbers (rounded for display only where
    the regulation's table shows rounded values; the IKM is rounded once, from exact means)."""
    result, unit = report.result, report.unit
    assert result is not None
    first, last = period_bounds(report.period)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = tr.plain("skm_cli.sheet")
    append_row(sheet, [tr.plain("skm_cli.title", unit=unit.name, code=unit.code)])
    sheet["A1"].font = Font(bold=True)
    append_row(
        sheet,
        [
            tr.plain("skm_cli.period"),
            tr.plain(
                "skm_cli.period_value",
                period=period(report.period, tr.language),
                first=format_date(first, tr.language, weekday=False),
                last=format_date(last, tr.language, weekday=False),
            ),
        ],
    )
    append_row(sheet, [tr.plain("skm_cli.respondents"), result.respondents])
    append_row(sheet, [])
    append_row(
        sheet,
        [
            tr.plain("skm_cli.col_number"),
            tr.plain("skm_cli.col_element"),
            tr.plain("skm_cli.col_nrr"),
            tr.plain("skm_cli.col_weighted"),
        ],
    )
    for position, element in enumerate(ELEMENTS):
        append_row(
            sheet,
            [
                f"U{position + 1}",
                tr.plain(f"skm_element.{element}"),
                float(result.element_mean(position, "0.001")),
                float(round_half_up(result.element_means[position] / len(ELEMENTS), "0.0001")),
            ],
        )
    append_row(sheet, ["", tr.plain("skm_cli.index"), float(result.index_rounded)])
    append_row(sheet, ["", tr.plain("skm_cli.ikm"), float(result.ikm)])
    append_row(sheet, ["", tr.plain("skm_cli.grade"), result.grade])
    append_row(sheet, ["", tr.plain("skm_cli.label"), tr.plain(f"skm.grade_{result.grade}")])
    append_row(sheet, [])
    append_row(sheet, [tr.plain("skm_cli.profile_title")])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    append_row(
        sheet,
        [
            tr.plain("skm_cli.col_field"),
            tr.plain("skm_cli.col_value"),
            tr.plain("skm_cli.col_count"),
        ],
    )
    for name, choices in PROFILE_CHOICES.items():
        counts = report.profile[name]
        for choice in (*choices, None):
            label = tr.plain(f"skm_profile.{name}_{choice}" if choice else "skm_profile.not_given")
            append_row(sheet, [tr.plain(f"skm_profile.{name}"), label, counts.get(choice, 0)])
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 44
    sheet.column_dimensions["C"].width = 20
    sheet.column_dimensions["D"].width = 22
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
