"""A whole working day in one message: a list is shown as one summary, saved with one tap.

summary (each line with what was understood, the day's total, overlaps and a day past 24 hours
flagged) → Simpan semua: every complete line saved in one transaction → the lines still
needing something (a duration, a rewrite) asked one by one, each saved when answered, or
dropped. "Ubah baris N" rewrites or drops a line before saving. The same summary serves
"Salin kemarin" (yesterday's entries, to edit) and "Ulangi semua" (the routines).

The state lives in the conversation like every flow's; after the last save it stays at a
final step that repeats the confirmation to a redelivered press and ends at the next message.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update

from domain.ids import parse_id
from domain.worklog import (
    MINUTES_PER_DAY,
    DayLine,
    DayReading,
    ParseProblem,
    QuickLog,
    TimeRange,
    day_flags,
    is_late,
    parse_duration,
    parse_quick_log,
)
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, parse_button, register
from handlers.settle import settle
from handlers.worklog import corrections
from handlers.worklog.shared import (
    DURATION_BUTTONS,
    actor_of,
    edit_into_saved,
    employee_of,
    problem_text,
    send_saved,
)
from models import activities, daylog
from models.activities import ActivityDraft
from texts import Html, Texts
from texts.format import duration, format_date

EDIT_BUTTONS_PER_ROW = 4
MAX_SUMMARY = 4096
DEFAULT_QUANTITY = (1, "kegiatan")  # "Rapat 2 jam" has no count: one activity of that kind


def line_data(
    number: int, text: str, reading: QuickLog | None, problem: str | None = None
) -> dict[str, Any]:
    """One line as the conversation keeps it (JSON); ``problem`` is already in words."""
    quantity, unit = (None, None)
    if reading is not None:
        quantity, unit = (
            (reading.quantity, reading.unit) if reading.quantity is not None else DEFAULT_QUANTITY
        )
    span = reading.time_range if reading is not None else None
    return {
        "n": number,
        "text": text,
        "description": reading.description if reading else None,
        "quantity": quantity,
        "unit": unit,
        "minutes": reading.minutes if reading else None,
        "range": [span.start, span.end] if span else None,
        "problem": problem,
    }


def lines_of(reading: DayReading, tr: Texts) -> list[dict[str, Any]]:
    return [
        line_data(
            line.number,
            line.text,
            line.reading,
            problem_text(line.problems[0], tr) if line.problems else None,
        )
        for line in reading.lines
    ]


def _ready(line: dict[str, Any]) -> bool:
    return bool(line["description"]) and line["minutes"] is not None and not line["problem"]


def _as_day_lines(lines: list[dict[str, Any]]) -> tuple[DayLine, ...]:
    def reading(line: dict[str, Any]) -> QuickLog | None:
        if not line["description"]:
            return None
        span = TimeRange(*line["range"]) if line["range"] else None
        return QuickLog(line["description"], line["quantity"], line["unit"], line["minutes"], span)

    return tuple(DayLine(line["n"], line["text"], reading(line)) for line in lines)


def _line_text(line: dict[str, Any], tr: Texts) -> str:
    if line["problem"]:
        text = line["description"] or line["text"]
        return tr.t("day.line_unreadable", n=line["n"], text=text, problem=Html(line["problem"]))
    if line["minutes"] is None:
        return tr.t("day.line_needs_duration", n=line["n"], description=line["description"])
    details = [duration(line["minutes"], tr.language)]
    if line["range"]:
        start, end = line["range"]
        details.append(f"{start // 60:02d}.{start % 60:02d}–{end // 60:02d}.{end % 60:02d}")
    if (line["quantity"], line["unit"]) != DEFAULT_QUANTITY:
        details.insert(0, f"{line['quantity']} {line['unit'] or ''}".strip())
    return tr.t(
        "day.line_ready", n=line["n"], description=line["description"], details=" · ".join(details)
    )


def summary_text(data: dict[str, Any], tr: Texts, earlier_minutes: int) -> str:
    day = date.fromisoformat(data["work_date"])
    lines: list[dict[str, Any]] = data["lines"]
    total = sum(line["minutes"] or 0 for line in lines)
    parts = [tr.t("day.title", date=format_date(day, tr.language), count=len(lines))]
    parts += [_line_text(line, tr) for line in lines]
    parts.append("")
    parts.append(tr.t("day.total", total=duration(total, tr.language)))
    if earlier_minutes:
        parts.append(tr.t("day.earlier", total=duration(earlier_minutes, tr.language)))
    if total + earlier_minutes > MINUTES_PER_DAY:
        parts.append(tr.t("day.over_24_hours"))
    overlaps, duplicates = day_flags(_as_day_lines(lines))
    parts += [tr.t("day.overlap", first=a, second=b) for a, b in overlaps]
    parts += [tr.t("day.duplicate", first=a, second=b) for a, b in duplicates]
    waiting = sum(1 for line in lines if not _ready(line))
    if waiting:
        parts.append(tr.t("day.asked_after", count=waiting))
    return "\n".join(parts)


async def _earlier_minutes(call: FlowCall) -> int:
    day = date.fromisoformat(call.data["work_date"])
    _, minutes = await activities.minutes_on(
        call.context.services.db, employee_of(call.context), day
    )
    return minutes


async def _show_summary(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    earlier = await _earlier_minutes(call)
    total = sum(line["minutes"] or 0 for line in data["lines"]) + earlier
    rows: list[list[tuple[str, str]]] = []
    if total <= MINUTES_PER_DAY and any(_ready(line) for line in data["lines"]):
        rows.append([(tr.plain("day.button_save_all"), "save")])
    edits = [(tr.plain("day.button_edit", n=line["n"]), f"e:{line['n']}") for line in data["lines"]]
    rows += [
        edits[i : i + EDIT_BUTTONS_PER_ROW] for i in range(0, len(edits), EDIT_BUTTONS_PER_ROW)
    ]
    rows.append([(tr.plain("log.button_cancel"), "cancel")])
    text = summary_text(data, tr, earlier)
    if len(text) > MAX_SUMMARY:  # Telegram refuses longer messages; never cut a day short
        await call.finish()
        await call.say(tr.t("day.too_long", count=len(data["lines"])))
        return
    await call.say(text, rows)


async def _summary_button(call: FlowCall, value: str) -> None:
    if value == "cancel":
        await call.finish()
        await call.say(call.texts.t("common.cancelled"))
    elif value == "save":
        await _save_ready(call, call.data)
    elif value.startswith("e:") and (number := parse_id(value[2:])) is not None:
        if any(line["n"] == number for line in call.data["lines"]):
            await call.goto("line", call.data | {"editing": number})


def _draft(line: dict[str, Any], day: date, today: date) -> ActivityDraft:
    return ActivityDraft(
        work_date=day,
        description=line["description"],
        minutes=line["minutes"],
        quantity=line["quantity"],
        output_unit=line["unit"],
        target_id=line.get("target_id"),
        late=is_late(day, today),
    )


async def _save_ready(call: FlowCall, data: dict[str, Any]) -> None:
    """Save every complete line in one transaction; the rest are asked about afterwards."""
    context = call.context
    day = date.fromisoformat(data["work_date"])
    ready = [line for line in data["lines"] if _ready(line)]
    waiting = [line for line in data["lines"] if not _ready(line)]
    if not ready:
        await settle(call.update, context)  # "save" answers in place only when it saves
        await call.goto(call.conversation.step, data)
        return
    services = context.services
    try:
        _, call.conversation = await daylog.save_day(
            services.db,
            employee_of(context),
            [_draft(line, day, services.today()) for line in ready],
            source=data.get("source", "list"),
            actor=actor_of(context),
            now=services.clock.now(),
            conversation=call.conversation,
            update_id=call.update.update_id,
            then=(
                "pending" if waiting else "saved",
                _without_edit(data) | {"lines": waiting, "saved_lines": ready},
            ),
            numbers=[line["n"] for line in ready],
        )
    except activities.AlreadySaved:
        return  # the first tap saved them and answered
    context.forget_conversation(call.conversation)
    await call.flow.steps[call.conversation.step].prompt(call)


async def _confirm(call: FlowCall) -> None:
    """The confirmation of the last save (``just_saved``), given again to a redelivered press.
    After "Simpan semua" the pressed summary becomes it (``Step.in_place``): one message that
    says what was saved, rather than the summary marked as chosen and a "Tersimpan" below it."""
    tr, data, context = call.texts, call.data, call.context
    saved: list[list[int]] = data.get("just_saved") or []
    if not saved:
        return
    services = context.services
    day = date.fromisoformat(data["work_date"])
    count, minutes = await activities.minutes_on(services.db, employee_of(context), day)
    params = {
        "saved": len(saved),
        "date": format_date(day, tr.language),
        "count": count,
        "total": duration(minutes, tr.language),
    }
    lines = [_line_text(line, tr) for line in data.get("saved_lines", [])]
    text = tr.t("day.saved", lines=Html("\n".join(lines)), **params)
    while len(text) > MAX_SUMMARY and lines:  # a long day: the first lines, and the count
        lines = lines[:-1]
        text = tr.t("day.saved", lines=Html("\n".join([*lines, "…"])), **params)
    ids, numbers = [i for _, i in saved], [n for n, _ in saved]
    pressed = call.pressed
    if _pressed(call) == "save" and pressed is not None:
        if await edit_into_saved(call.update, context, text):
            # A reply to it corrects these entries, as a reply to any "Tersimpan" does.
            await daylog.remember_saved(
                services.db,
                pressed.chat_id,
                pressed.message_id,
                ids,
                services.clock.now(),
                numbers,
            )
            return
    await send_saved(call.update, context, text, ids, numbers=numbers)


def _pressed(call: FlowCall) -> str | None:
    """The value of the flow button this update pressed (None for a message)."""
    query = call.update.callback_query
    press = parse_button(query.data or "") if query is not None else None
    return press[1] if press is not None else None


def _without_edit(data: dict[str, Any]) -> dict[str, Any]:
    dropped = {"editing", "just_saved", "saved_lines"}
    return {key: value for key, value in data.items() if key not in dropped}


def _line(data: dict[str, Any], number: int | None) -> dict[str, Any] | None:
    return next((line for line in data["lines"] if line["n"] == number), None)


def _line_rows(call: FlowCall, line: dict[str, Any]) -> list[list[tuple[str, str]]]:
    tr = call.texts
    rows: list[list[tuple[str, str]]] = []
    if line["description"]:
        rows.append([(label, str(minutes)) for label, minutes in DURATION_BUTTONS])
    rows.append([(tr.plain("day.button_drop", n=line["n"]), "drop")])
    return rows


async def _ask_line(call: FlowCall) -> None:
    line = _line(call.data, call.data.get("editing"))
    if line is None:
        await call.goto("summary", call.data)
        return
    rows = _line_rows(call, line)
    rows.append([(call.texts.plain("log.button_back"), "back")])
    await call.say(call.texts.t("day.ask_line", n=line["n"], text=line["text"]), rows)


async def _ask_pending(call: FlowCall) -> None:
    await _confirm(call)
    line = call.data["lines"][0]
    key = "day.ask_rewrite" if line["problem"] else "day.ask_duration"
    text = call.texts.t(
        key,
        n=line["n"],
        text=line["text"],
        description=line["description"] or "",
        problem=Html(line["problem"] or ""),
    )
    await call.say(text, _line_rows(call, line))


def _rewritten(line: dict[str, Any], text: str, tr: Texts) -> dict[str, Any] | str:
    """The line after the person's answer: a duration alone for a line that has its
    description, else the whole line typed again. A problem is returned in words."""
    if line["description"]:
        minutes = parse_duration(text)
        if isinstance(minutes, int):
            return line | {"minutes": minutes, "range": None, "problem": None}
    reading = parse_quick_log(text)
    if isinstance(reading, ParseProblem):
        return problem_text(reading, tr)
    return line_data(line["n"], text, reading)


async def _line_answer(call: FlowCall, number: int, change: dict[str, Any] | None) -> None:
    """A line rewritten (``change``) or dropped (None): back to the summary, or, after the
    save, on to saving it and asking about the next one."""
    data = call.data
    lines = [
        change if line["n"] == number else line
        for line in data["lines"]
        if line["n"] != number or change is not None
    ]
    data = _without_edit(data) | {"lines": lines}
    if call.conversation.step == "line":
        await call.goto("summary", data)
    elif change is not None and _ready(change):
        await _save_ready(call, data)
    elif lines:
        await call.goto("pending", data)
    else:
        await call.finish()
        await call.say(call.texts.t("day.all_done"))


def _current_line(call: FlowCall, data: dict[str, Any]) -> dict[str, Any] | None:
    """The line being rewritten ("Ubah baris N"), or after the save the first still waiting."""
    if call.conversation.step == "line":
        return _line(data, data.get("editing"))
    return data["lines"][0] if data["lines"] else None


async def _line_text_answer(call: FlowCall, text: str) -> None:
    if await corrections.correct_by_reply(call.update, call.context):
        return  # a reply to an earlier "Tersimpan", not this line's answer
    data = call.data
    line = _current_line(call, data)
    if line is None:
        await call.goto("summary", data)
        return
    change = _rewritten(line, text, call.texts)
    if isinstance(change, str):
        await call.say(change)
        return
    await _line_answer(call, line["n"], change)


async def _line_button(call: FlowCall, value: str) -> None:
    data = call.data
    line = _current_line(call, data)
    if line is None or value == "back":
        await call.goto("summary", _without_edit(data))
    elif value == "drop":
        await _line_answer(call, line["n"], None)
    elif line["description"] and (minutes := parse_id(value)) in {m for _, m in DURATION_BUTTONS}:
        change = line | {"minutes": minutes, "range": None, "problem": None}
        await _line_answer(call, line["n"], change)


DAY_FLOW = register(
    Flow(
        "day",
        "summary",
        {
            "summary": Step(
                prompt=_show_summary, on_button=_summary_button, in_place=frozenset({"save"})
            ),
            "line": Step(prompt=_ask_line, on_text=_line_text_answer, on_button=_line_button),
            "pending": Step(prompt=_ask_pending, on_text=_line_text_answer, on_button=_line_button),
            "saved": Step(prompt=_confirm, final=True),
        },
    )
)


async def start_day(
    update: Update, context: SigapContext, work_date: date, lines: list[dict[str, Any]], source: str
) -> None:
    """Show a day's lines as one summary; nothing is saved before Simpan semua."""
    data = {"work_date": work_date.isoformat(), "lines": lines, "source": source}
    await DAY_FLOW.start(update, context, data)
