"""The weekly digest as a supervisor receives it: the message (split under 4096 characters), a
chart (PNG) and a spreadsheet (XLSX). Rendered for the weekly job (``scheduler.digest``) and for
``/digest`` (``handlers.digest``) alike; both call ``render`` in a worker thread, since drawing
and writing the files is CPU work the event loop must not wait for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from statistics import median

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook

from domain.digest import Change, compliance_per_day, iso_week, split_message
from domain.sheets import append_row
from models.digest import Digest
from models.survey import SurveyWeek
from services.charts import CHART_LOCK
from texts import Texts
from texts.format import (
    duration,
    duration_of_hours,
    fixed,
    format_date,
    period,
    signed,
    signed_duration,
)


def render_text(tr: Texts, digest: Digest, supervisor_name: str) -> list[str]:
    """The digest as one or more messages, each under Telegram's limit."""
    lang = tr.language
    blocks = [
        tr.t(
            "digest.title",
            start=format_date(digest.start, lang, weekday=False),
            end=format_date(digest.end, lang, weekday=False),
            name=supervisor_name,
        )
    ]
    for p in digest.people:
        lines = [
            tr.t(
                "digest.person",
                name=p.name,
                expected=p.expected_days,
                logged=p.days_with_entries,
                entries=p.entries,
                hours=duration(p.minutes, lang),
                approved=p.approved,
                waiting=p.waiting,
                revision=p.revision,
                late=p.late,
                leave=p.leave_days,
            )
        ]
        if p.silent:
            lines.append(tr.t("digest.silent", days=p.silent_days))
        if p.unreachable:
            lines.append(tr.t("digest.unreachable"))
        blocks.append("\n".join(lines))
    now, before = digest.totals, digest.previous
    blocks.append(
        tr.t(
            "digest.totals",
            people=now.people,
            logged=now.days_with_entries,
            expected=now.expected_days,
            compliance=now.compliance,
            entries=now.entries,
            hours=duration(now.minutes, lang),
            approved=now.approved,
            waiting=now.waiting,
            revision=now.revision,
            late=now.late,
            leave=now.leave_days,
            silent=now.silent,
        )
        + "\n"
        + tr.t(
            "digest.change",
            entries=signed(Change(now.entries, before.entries).delta, lang, 0),
            hours=signed_duration(now.minutes - before.minutes, lang),
            compliance=signed(Change(now.compliance, before.compliance).delta, lang, 0),
        )
    )
    if digest.complaints is not None:
        week = digest.complaints
        median_hours = median(week.hours_to_verification) if week.hours_to_verification else None
        blocks.append(
            tr.t(
                "digest.complaints",
                unit=digest.unit_name,
                received=week.received,
                resolved=week.resolved,
                overdue=week.overdue,
                median=tr.plain("digest.median_none")
                if median_hours is None
                else duration_of_hours(median_hours, lang),
            )
        )
    if digest.survey is not None:
        blocks.append(_survey_block(tr, digest.unit_name, digest.survey))
    return split_message(blocks)


def _survey_block(tr: Texts, unit: str, week: SurveyWeek) -> str:
    result = week.quarter
    if result is None:  # responses this quarter, but none up to the digest's last day
        shown = period(week.period, tr.language)
        return tr.t("digest.survey_none", unit=unit, responses=week.responses, period=shown)
    return tr.t(
        "digest.survey",
        unit=unit,
        responses=week.responses,
        period=period(week.period, tr.language),
        ikm=fixed(result.ikm, tr.language),
        grade=result.grade,
        label=tr.plain(f"skm.grade_{result.grade}"),
        respondents=result.respondents,
    )


def write_chart(tr: Texts, digest: Digest, path: Path) -> None:
    """Hours per person (bars) and logging compliance per working day."""
    days = sorted({d for p in digest.people for d in p.expected_on})
    compliance = compliance_per_day(digest.people, days)
    names = [p.name if len(p.name) <= 28 else p.name[:27] + "…" for p in digest.people]
    height = max(4.0, 0.35 * len(names) + 2)
    # The object API with the Agg canvas: no pyplot global state, safe beside the bot's loop.
    figure = Figure(figsize=(12, height))
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    left.barh(names, [p.hours for p in digest.people], color="#2b6cb0")
    left.invert_yaxis()
    left.set_title(tr.plain("digest.chart_hours"))
    labels = [format_date(d, tr.language, weekday=False) for d in days]
    right.bar(labels, compliance, color="#38a169")
    right.set_ylim(0, 100)
    right.set_title(tr.plain("digest.chart_compliance"))
    right.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=80)


def write_xlsx(tr: Texts, digest: Digest, path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = tr.plain("digest.sheet")
    columns = (
        "name", "expected", "logged", "entries", "hours", "approved", "waiting", "revision",
        "late", "leave", "silent", "unreachable",
    )  # fmt: skip
    append_row(sheet, [tr.plain(f"digest.col_{c}") for c in columns])
    yes = tr.plain("digest.yes")
    for p in digest.people:
        append_row(sheet,
            [
                p.name, p.expected_days, p.days_with_entries, p.entries, p.hours, p.approved,
                p.waiting, p.revision, p.late, p.leave_days, p.silent_days,
                yes if p.unreachable else "",
            ]
        )  # fmt: skip
    t = digest.totals
    append_row(sheet,
        [
            tr.plain("digest.total_row"), t.expected_days, t.days_with_entries, t.entries,
            t.hours, t.approved, t.waiting, t.revision, t.late, t.leave_days, "", "",
        ]
    )  # fmt: skip
    sheet.column_dimensions["A"].width = 40
    if digest.complaints is not None:
        week = digest.complaints
        extra = workbook.create_sheet(tr.plain("digest.complaints_sheet"))
        append_row(
            extra,
            [tr.plain(f"digest.col_{c}") for c in ("received", "resolved", "overdue", "median")],
        )
        append_row(extra, [week.received, week.resolved, week.overdue, week.median_hours])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


@dataclass(frozen=True)
class Rendered:
    texts: list[str]
    chart: str  # relative to the data folder
    xlsx: str
    chart_caption: str
    xlsx_caption: str
    xlsx_name: str


def render(tr: Texts, digest: Digest, supervisor_name: str, data_dir: Path) -> Rendered:
    week = iso_week(digest.start)
    folder = f"digests/{week}"
    chart = f"{folder}/{digest.supervisor_id}-{tr.language}.png"
    xlsx = f"{folder}/{digest.supervisor_id}-{tr.language}.xlsx"
    with CHART_LOCK:
        write_chart(tr, digest, data_dir / chart)
    write_xlsx(tr, digest, data_dir / xlsx)
    lang = tr.language
    dates = {
        "start": format_date(digest.start, lang, weekday=False),
        "end": format_date(digest.end, lang, weekday=False),
    }
    return Rendered(
        render_text(tr, digest, supervisor_name),
        chart,
        xlsx,
        tr.t("digest.chart_caption", **dates),
        tr.t("digest.xlsx_caption", **dates),
        f"digest-{week}.xlsx",
    )
