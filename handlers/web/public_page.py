"""The public page as HTML: one self-contained document (inline CSS and SVG, no script, no
outside requests), readable on a 360 px phone, Indonesian or English.

Every value that comes from the database or a catalogue goes through ``e`` (HTML escape, quotes
too); the markup around it is fixed. The figures are those of ``public_tables``, the same the
CSV files hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from domain.public_stats import MIN_SHOWN, SMALL, shown_count
from domain.skm import ELEMENTS, GRADES, previous_periods
from handlers.web.public_svg import Bar, bar_chart
from handlers.web.public_tables import (
    PublicData,
    category_header,
    category_rows,
    complaint_header,
    complaint_rows,
    page_numbers,
    published,
    quarter_label,
)
from models.public_stats import UnitSurvey
from texts import Texts
from texts.format import fixed, format_datetime
from texts.format import period as period_name

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a202c;
background:#f7fafc}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem}
h1{font-size:1.4rem;margin:.5rem 0}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:0 0 .25rem}h4{font-size:1rem;margin:.75rem 0 .25rem}
nav a,.quarters a{display:inline-block;margin:.15rem .4rem .15rem 0;padding:.2rem .5rem;
border:1px solid #cbd5e0;border-radius:.3rem;color:#2b6cb0;text-decoration:none;background:#fff}
.quarters a[aria-current]{background:#2b6cb0;color:#fff;border-color:#2b6cb0}
.unit{background:#fff;border:1px solid #e2e8f0;border-radius:.5rem;padding:.75rem;margin:.75rem 0}
.big{font-size:1.1rem;font-weight:600}
.note{color:#4a5568;font-size:.9rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem;background:#fff}
th,td{border:1px solid #e2e8f0;padding:.3rem .45rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}
.follow{white-space:pre-line;margin:0}
svg.chart{width:100%;max-width:32rem;height:auto;display:block;margin:.5rem 0}
svg.chart text{fill:#2d3748;font-family:inherit}
footer{padding:1.5rem 1rem;color:#4a5568;font-size:.85rem}
"""


def e(value: object) -> str:
    return escape(str(value), quote=True)


def _link(params: dict[str, str], path: str = "/publik") -> str:
    return e(path + ("?" + urlencode(params) if params else ""))


def _params(data: PublicData, tr: Texts, **changes: str) -> dict[str, str]:
    params = {"lang": tr.language, "q": data.period} | changes
    if params["lang"] == "id":
        del params["lang"]
    if params["q"] == data.current:
        del params["q"]
    return params


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int) -> str:
    def cells(tag: str, row: Sequence[str]) -> str:
        return "".join(
            f"<{tag}{' class=n' if i >= numeric_from else ''}>{e(v)}</{tag}>"
            for i, v in enumerate(row)
        )

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    return (
        f'<div class="scroll"><table><thead><tr>{cells("th", header)}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _ikm_chart(data: PublicData, unit: UnitSurvey, tr: Texts) -> str:
    bars = []
    for period in data.periods:
        result = unit.results[period]
        shown = published(result)
        if shown is not None:
            caption = f"{fixed(shown.ikm, tr.language)} {shown.grade}"
        else:
            caption = tr.plain("public.not_published") if result is None else SMALL
        label = period_name(period, tr.language).split(" ", 1)[-1]  # "IV 2026"
        bars.append(Bar(label, float(shown.ikm) if shown else None, caption))
    guides = [(letter, float(lowest)) for letter, lowest in GRADES[:-1]]
    return bar_chart(tr.plain("public.chart_ikm", unit=unit.name), bars, 100.0, guides)


def _unit_section(data: PublicData, unit: UnitSurvey, tr: Texts) -> str:
    result = unit.results[data.period]
    shown = published(result)
    numbers = page_numbers(tr)
    parts = [f'<article class="unit" id="unit-{e(unit.code)}">']
    parts.append(f"<h3>{e(unit.name)} <small>({e(unit.code)})</small></h3>")
    if shown is not None:
        summary = tr.plain(
            "public.summary",
            ikm=numbers(shown.ikm, 2),
            grade=shown.grade,
            label=tr.plain(f"skm.grade_{shown.grade}"),
            respondents=shown.respondents,
        )
        parts.append(f'<p class="big">{e(summary)}</p>')
    else:
        key = "public.no_respondents" if result is None else "public.too_few"
        parts.append(f'<p class="note">{e(tr.plain(key))}</p>')
    parts.append(_ikm_chart(data, unit, tr))
    if shown is not None:
        rows = [
            [tr.plain(f"skm_element.{element}"), numbers(shown.element_mean(i), 2)]
            for i, element in enumerate(ELEMENTS)
        ]
        parts.append(_table([tr.plain("public.element"), tr.plain("public.mean")], rows, 1))
    follow_up = unit.follow_ups.get(data.period)
    parts.append(f"<h4>{e(tr.plain('public.follow_up'))}</h4>")
    if follow_up:
        parts.append(f'<p class="follow">{e(follow_up)}</p>')
    else:
        parts.append(f'<p class="note">{e(tr.plain("public.follow_up_none"))}</p>')
    parts.append("</article>")
    return "".join(parts)


def _ikm_section(data: PublicData, tr: Texts) -> str:
    links = []
    # The recent quarters, whichever is shown: an older one asked for gets its own link too.
    recent = previous_periods(data.current, len(data.periods))
    for period in recent if data.period in recent else [data.period, *recent]:
        current = ' aria-current="page"' if period == data.period else ""
        href = _link(_params(data, tr, q=period))
        label = e(quarter_label(data, period, tr))
        links.append(f'<a href="{href}"{current}>{label}</a>')
    units = [_unit_section(data, unit, tr) for unit in data.units]
    body = "".join(units) or f'<p class="note">{e(tr.plain("public.no_units"))}</p>'
    return (
        f'<section id="ikm"><h2>{e(tr.plain("public.ikm_heading"))}</h2>'
        f'<p class="note">{e(tr.plain("public.ikm_intro"))}</p>'
        f'<nav class="quarters" aria-label="{e(tr.plain("public.quarters"))}">{"".join(links)}'
        f"</nav><h3>{e(quarter_label(data, data.period, tr))}</h3>{body}</section>"
    )


def _complaint_section(data: PublicData, tr: Texts) -> str:
    intro = tr.plain("public.complaints_intro", verify=data.verify_days, answer=data.answer_days)
    parts = [
        f'<section id="aduan"><h2>{e(tr.plain("public.complaints_heading"))}</h2>',
        f'<p class="note">{e(intro)}</p>',
    ]
    if not any(month.received for month in data.months):
        parts.append(f'<p class="note">{e(tr.plain("public.no_complaints"))}</p>')
    bars = [
        Bar(
            f"{month.month[5:]}/{month.month[2:4]}",
            float(month.received) if month.received >= MIN_SHOWN else None,
            shown_count(month.received),
        )
        for month in reversed(data.months)
    ]
    top = max([5.0, *(b.value or 0.0 for b in bars)]) * 1.15
    parts.append(bar_chart(tr.plain("public.chart_received"), bars, top))
    rows = complaint_rows(data, tr, page_numbers(tr))
    parts.append(_table(complaint_header(tr), rows, 1))
    parts.append(f"<h3>{e(tr.plain('public.by_category'))}</h3>")
    parts.append(_table(category_header(tr), category_rows(data, tr), 2))
    parts.append("</section>")
    return "".join(parts)


def _downloads(data: PublicData, tr: Texts) -> str:
    params = _params(data, tr)
    items = "".join(
        f'<li><a href="{_link(params, f"/publik/{name}.csv")}" download>{e(tr.plain(key))}</a></li>'
        for name, key in (
            ("ikm", "public.csv_ikm"),
            ("aduan", "public.csv_complaints"),
            ("aduan-kategori", "public.csv_categories"),
        )
    )
    return (
        f'<section id="unduh"><h2>{e(tr.plain("public.downloads"))}</h2><ul>{items}</ul></section>'
    )


def render_page(data: PublicData, tr: Texts) -> str:
    other = "en" if tr.language == "id" else "id"
    switch = _link(_params(data, tr, lang=other))
    title = tr.plain("public.title", organization=data.organization)
    updated = format_datetime(data.generated, data.zone, tr.language)
    footer = tr.plain("public.footer", time=updated, organization=data.organization)
    return (
        f'<!doctype html><html lang="{e(tr.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>"
        f'<header><nav><a href="{switch}" hreflang="{e(other)}" lang="{e(other)}">'
        f"{e(tr.plain('public.switch_language'))}</a></nav>"
        f"<h1>{e(title)}</h1><p>{e(tr.plain('public.intro', organization=data.organization))}</p>"
        f"</header><main>{_ikm_section(data, tr)}{_complaint_section(data, tr)}"
        f"{_downloads(data, tr)}</main><footer>{e(footer)}</footer></body></html>"
    )
