"""Employees log their daily work ("progres harian").

Guided (/lapor): description → output (quantity and unit) → duration → SKP target → evidence →
summary with Save / Edit / Cancel. Quick: "/lapor Rapat koordinasi 2 jam" or a plain message is
parsed and shown back as the same summary before anything is saved. Editing an entry from
/hariini runs the same flow with the entry's values. Saving ends the flow in the same transaction
that writes the entry, so a second Save cannot create a second row.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

from telegram import Message, Update

from domain.ids import parse_id
from domain.worklog import (
    COMMON_UNITS,
    ParseProblem,
    is_late,
    normalize_unit,
    parse_duration,
    parse_quantity,
    parse_work_date,
    validate_description,
)
from handlers import files
from handlers.common import reply
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.settle import settle
from handlers.worklog.shared import (
    BACKDATE_WINDOW_DAYS,
    DURATION_BUTTONS,
    edit_into_saved,
    problem_text,
    send_saved,
)
from models import activities
from models.activities import ActivityDraft, EvidenceDraft
from texts import Texts
from texts.format import duration, format_date

# The summary and its confirmation name a day and durations on every quick log: through Babel
# that was a fifth of the handlers' own work there (bench/paths.py). Both are pure, and the
# days and durations people log are few.
_day = functools.lru_cache(maxsize=64)(format_date)
_duration = functools.lru_cache(maxsize=512)(duration)

MAX_EVIDENCE = 10


def _next(data: dict[str, Any], default: str) -> str:
    """After a field is answered: back to the summary when editing, else onwards."""
    return "summary" if data.get("back") else default


# --- steps ------------------------------------------------------------------------------


async def _ask_description(call: FlowCall) -> None:
    day = date.fromisoformat(call.data["work_date"])
    await call.say(call.texts.t("log.ask_description", date=format_date(day, call.texts.language)))


async def _got_description(call: FlowCall, text: str) -> None:
    result = validate_description(text)
    if isinstance(result, ParseProblem):
        await call.say(problem_text(result, call.texts))
        return
    data = call.data | {"description": result}
    await call.goto(_next(data, "quantity"), data)


def _unit_rows(call: FlowCall) -> list[list[tuple[str, str]]]:
    labels = [(unit, f"u:{i}") for i, unit in enumerate(COMMON_UNITS)]
    return [labels[i : i + 2] for i in range(0, len(labels), 2)]


async def _ask_quantity(call: FlowCall) -> None:
    await call.say(call.texts.t("log.ask_quantity"), _unit_rows(call))


async def _got_quantity(call: FlowCall, text: str) -> None:
    result = parse_quantity(text)
    if isinstance(result, ParseProblem):
        await call.say(problem_text(result, call.texts))
        return
    quantity, unit = result
    data = call.data | {"quantity": quantity}
    if unit is None:
        await call.goto("unit", data)
        return
    data["unit"] = unit
    await call.goto(_next(data, "duration"), data)


async def _quantity_unit_button(call: FlowCall, value: str) -> None:
    unit = _unit_from_button(value)
    if unit is None:
        return
    await call.goto("quantity_number", call.data | {"unit": unit})


def _unit_from_button(value: str) -> str | None:
    index = parse_id(value.removeprefix("u:")) if value.startswith("u:") else None
    return COMMON_UNITS[index] if index is not None and index < len(COMMON_UNITS) else None


async def _ask_quantity_number(call: FlowCall) -> None:
    await call.say(call.texts.t("log.ask_quantity_number", unit=call.data["unit"]))


async def _got_quantity_number(call: FlowCall, text: str) -> None:
    result = parse_quantity(text)
    if isinstance(result, ParseProblem):
        await call.say(problem_text(result, call.texts))
        return
    data = call.data | {"quantity": result[0]}
    await call.goto(_next(data, "duration"), data)


async def _ask_unit(call: FlowCall) -> None:
    await call.say(call.texts.t("log.ask_unit", quantity=call.data["quantity"]), _unit_rows(call))


async def _got_unit_text(call: FlowCall, text: str) -> None:
    unit = normalize_unit(text)
    if not unit or len(unit) > 40:
        await call.say(call.texts.t("log.unit_invalid"))
        return
    data = call.data | {"unit": unit}
    await call.goto(_next(data, "duration"), data)


async def _got_unit_button(call: FlowCall, value: str) -> None:
    unit = _unit_from_button(value)
    if unit is not None:
        data = call.data | {"unit": unit}
        await call.goto(_next(data, "duration"), data)


async def _ask_duration(call: FlowCall) -> None:
    await call.say(
        call.texts.t("log.ask_duration"),
        [[(label, str(minutes)) for label, minutes in DURATION_BUTTONS]],
    )


async def _got_duration(call: FlowCall, text: str) -> None:
    result = parse_duration(text)
    if isinstance(result, ParseProblem):
        await call.say(problem_text(result, call.texts))
        return
    await _set_duration(call, result)


async def _duration_button(call: FlowCall, value: str) -> None:
    minutes = parse_id(value)
    if minutes is not None and minutes in {m for _, m in DURATION_BUTTONS}:
        await _set_duration(call, minutes)


async def _set_duration(call: FlowCall, minutes: int) -> None:
    data = call.data | {"minutes": minutes}
    await call.goto(_next(data, "target"), data)


async def _ask_target(call: FlowCall) -> None:
    employee_id = call.context.actor.employee_id
    assert employee_id is not None
    year = date.fromisoformat(call.data["work_date"]).year
    targets = await activities.targets_for(call.context.services.db, employee_id, year)
    if not targets:
        data = call.data
        if data.get("back"):
            await call.say(call.texts.t("log.no_targets"))
        await call.goto(_next(data, "evidence"), data | {"target_id": None})
        return
    rows = [[(_short(t.indicator or t.rhk), f"t:{t.id}")] for t in targets]
    rows.append([(call.texts.plain("log.button_skip"), "skip")])
    await call.say(call.texts.t("log.ask_target"), rows)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _target_button(call: FlowCall, value: str) -> None:
    data = call.data
    if value == "skip":
        data |= {"target_id": None, "target_label": None}
    elif value.startswith("t:") and (target_id := parse_id(value[2:])) is not None:
        employee_id = call.context.actor.employee_id
        assert employee_id is not None
        year = date.fromisoformat(data["work_date"]).year
        targets = {
            t.id: t
            for t in await activities.targets_for(call.context.services.db, employee_id, year)
        }
        target = targets.get(target_id)
        if target is None:  # not theirs, or a forged press
            await call.say(call.texts.t("common.stale_button"))
            return
        data |= {"target_id": target.id, "target_label": _short(target.indicator or target.rhk)}
    else:
        return
    await call.goto(_next(data, "evidence"), data)


async def _ask_evidence(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    count = len(data.get("evidence", []))
    rows = [[(tr.plain("log.button_done" if count else "log.button_skip"), "done")]]
    existing = data.get("evidence_existing", 0)
    if data.get("activity_id") and existing:
        # Editing a saved entry: a wrong photo can be taken away, not only added to.
        rows.append([(tr.plain("log.button_clear_evidence", count=existing), "clear")])
    await call.say(tr.t("log.ask_evidence", count=count + existing), rows)


async def _got_evidence(call: FlowCall, message: Message) -> bool:
    draft = await _download_evidence(call, message)
    if draft is None:
        # A file we refused (too big) was answered already; anything else is not evidence.
        return bool(message.photo) or message.document is not None
    data = call.data
    evidence = list(data.get("evidence", []))
    if len(evidence) >= MAX_EVIDENCE:
        await call.say(call.texts.t("log.evidence_full", limit=MAX_EVIDENCE))
        return True
    evidence.append(draft.as_dict())
    data["evidence"] = evidence
    group = message.media_group_id
    first_of_album = group is None or data.get("album") != group
    data["album"] = group
    await call.save(data)
    if first_of_album:
        # One acknowledgement per album, not one per photo (Telegram allows ~1 message/s/chat).
        await call.say(
            call.texts.t("log.evidence_received"), [[(call.texts.plain("log.button_done"), "done")]]
        )
    return True


async def _download_evidence(call: FlowCall, message: Message) -> EvidenceDraft | None:
    if not files.has_attachment(message):
        return None
    try:
        return await files.download_attachment(call.context, message, "evidence")
    except files.AttachmentTooBig:
        await call.say(call.texts.t("log.evidence_too_big"))
        return None


async def _evidence_button(call: FlowCall, value: str) -> None:
    if value == "done":
        await call.goto("summary", call.data)
    elif value == "clear" and call.data.get("activity_id"):
        await call.say(
            call.texts.t("log.evidence_cleared", count=call.data.get("evidence_existing", 0))
        )
        await call.goto("evidence", call.data | {"evidence_existing": 0, "replace_evidence": True})


def summary_text(
    data: dict[str, Any], tr: Texts, today: date, title: str = "log.summary_title"
) -> str:
    day = date.fromisoformat(data["work_date"])
    quantity = (
        f"{data['quantity']} {data.get('unit') or ''}".strip()
        if data.get("quantity") is not None
        else tr.plain("log.missing")
    )
    minutes = (
        _duration(data["minutes"], tr.language)
        if data.get("minutes") is not None
        else tr.plain("log.missing")
    )
    late = tr.plain("log.late_mark") if is_late(day, today) else ""
    lines = [
        tr.t(title),
        tr.t("log.field_date", value=_day(day, tr.language), late=late),
        tr.t("log.field_description", value=data.get("description") or tr.plain("log.missing")),
        tr.t("log.field_quantity", value=quantity),
        tr.t("log.field_duration", value=minutes),
        tr.t("log.field_target", value=data.get("target_label") or "—"),
        tr.t(
            "log.field_evidence",
            value=len(data.get("evidence", [])) + data.get("evidence_existing", 0),
        ),
    ]
    if data.get("training_jp"):
        lines.append(tr.t("log.field_training", value=data["training_jp"]))
    return "\n".join(lines)


def _missing_step(data: dict[str, Any]) -> str | None:
    if not data.get("description"):
        return "description"
    if data.get("quantity") is None:
        return "quantity"
    if not data.get("unit"):
        return "unit"
    if data.get("minutes") is None:
        return "duration"
    return None


async def _show_summary(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    text = summary_text(data, tr, call.context.services.today())
    missing = _missing_step(data)
    first = (
        (tr.plain("log.button_complete"), "complete")
        if missing
        else (tr.plain("log.button_save"), "save")
    )
    last = (
        (tr.plain("log.button_not_activity"), "not")
        if data.get("source") == "quick"
        else (tr.plain("log.button_cancel"), "cancel")
    )
    await call.say(text, [[first, (tr.plain("log.button_edit"), "edit")], [last]])


async def _summary_button(call: FlowCall, value: str) -> None:
    tr, data = call.texts, call.data
    if value in {"cancel", "not"}:
        await call.finish()
        await call.say(tr.t("log.not_saved" if value == "not" else "common.cancelled"))
    elif value == "edit":
        await call.goto("edit_menu", data | {"back": True})
    elif value == "complete":
        missing = _missing_step(data)
        await call.goto(missing or "summary", data | {"back": True})
    elif value == "save":
        await _save(call)


async def _save(call: FlowCall) -> None:
    """Save, and edit the pressed summary into "Tersimpan" (``Step.in_place``)."""
    tr, data, context = call.texts, call.data, call.context
    if _missing_step(data):
        await settle(call.update, context)
        await call.goto("summary", data)
        return
    employee_id = context.actor.employee_id
    assert employee_id is not None
    today = context.services.today()
    day = date.fromisoformat(data["work_date"])
    draft = ActivityDraft(
        work_date=day,
        description=data["description"],
        minutes=data["minutes"],
        quantity=data.get("quantity"),
        output_unit=data.get("unit"),
        target_id=data.get("target_id"),
        training_jp=data.get("training_jp") or None,
        late=is_late(day, today),
        evidence=[EvidenceDraft(**e) for e in data.get("evidence", [])],
    )
    shown = _what_was_saved(data)
    token = call.ending(shown)
    actor = f"tg:{context.actor.telegram_id}"
    now = context.services.clock.now()
    # The summary becomes the confirmation: a reply to it corrects the entry, from the save's
    # own transaction on (no write after the edit, nothing to lose to a kill in between).
    pressed = call.pressed
    confirmation = (pressed.chat_id, pressed.message_id) if pressed is not None else None
    totals: tuple[int, int] | None = None  # an edit reads the day's totals after
    try:
        if data.get("activity_id"):
            saved = await activities.update_activity(
                context.services.db,
                data["activity_id"],
                draft.as_changes(),
                actor=actor,
                now=now,
                expected_employee_id=employee_id,
                conversation=token,
                evidence=draft.evidence,
                replace_evidence=bool(data.get("replace_evidence")),
                confirmation=confirmation,
            )
        else:
            saved, totals = await activities.save_and_count(
                context.services.db,
                employee_id,
                draft,
                source=data.get("source", "guided"),
                actor=actor,
                now=now,
                conversation=token,
                confirmation=confirmation,
            )
    except activities.AlreadySaved:
        return  # the first tap saved it and answered
    except (activities.NotEditable, LookupError) as exc:
        await settle(call.update, context)
        await call.finish()
        locked = isinstance(exc, activities.NotEditable)
        await call.say(tr.t("log.locked" if locked else "log.not_found"))
        return
    context.forget_conversation(None)
    await _confirm_saved(call.update, context, shown | {"activity_id": saved.id}, totals)


def _what_was_saved(data: dict[str, Any]) -> dict[str, Any]:
    """The summary's fields, for the confirmation (also given again from the flow's receipt:
    the evidence as its count, not its files)."""
    shown = {name: data.get(name) for name in _SHOWN}
    shown["evidence_existing"] = len(data.get("evidence", [])) + data.get("evidence_existing", 0)
    return shown


_SHOWN = ("work_date", "description", "quantity", "unit", "minutes", "target_label", "training_jp")


async def _confirm_saved(
    update: Update,
    context: SigapContext,
    receipt: dict[str, Any],
    totals: tuple[int, int] | None = None,
) -> None:
    """What was saved and the day's count and total after it (``totals``: as the save read
    them), in place of the pressed summary; also what a save delivered again (or pressed
    again) is told: the same edit, which Telegram calls "not modified" once it went out."""
    tr, employee_id = context.texts, context.actor.employee_id
    assert employee_id is not None
    day = date.fromisoformat(receipt["work_date"])
    count, minutes = totals or await activities.minutes_on(context.services.db, employee_id, day)
    total = _duration(minutes, tr.language)
    what = (
        summary_text(receipt, tr, context.services.today(), title="log.saved_title")
        if receipt.get("description") is not None
        else tr.t("log.saved_title")  # a receipt left by an older version: the date only
    )
    day_so_far = tr.t("log.saved", date=_day(day, tr.language), count=count, total=total)
    text = f"{what}\n\n{day_so_far}"
    if await edit_into_saved(update, context, text):
        return
    if receipt.get("activity_id"):
        # No summary to edit: a message of its own, remembered so that a reply corrects the
        # entry (not for a confirmation given again after a kill: that one is a plain message).
        await send_saved(update, context, text, [int(receipt["activity_id"])])
    else:
        await reply(update, context, text)


EDIT_FIELDS = ("description", "quantity", "duration", "target", "date", "evidence", "training")


async def _ask_edit_field(call: FlowCall) -> None:
    tr = call.texts
    labels = [(tr.plain(f"log.edit_{field}"), field) for field in EDIT_FIELDS]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    rows.append([(tr.plain("log.button_back"), "back")])
    await call.say(tr.t("log.ask_edit_field"), rows)


async def _edit_field_button(call: FlowCall, value: str) -> None:
    if value == "back":
        await call.goto("summary", call.data)
    elif value in EDIT_FIELDS:
        await call.goto(value, call.data | {"back": True})


async def _ask_date(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("log.ask_date", days=BACKDATE_WINDOW_DAYS),
        [[(tr.plain("log.button_today"), "0"), (tr.plain("log.button_yesterday"), "1")]],
    )


async def _got_date(call: FlowCall, text: str) -> None:
    result = parse_work_date(text, call.context.services.today(), BACKDATE_WINDOW_DAYS)
    if isinstance(result, ParseProblem):
        await call.say(problem_text(result, call.texts))
        return
    await call.goto("summary", call.data | {"work_date": result.isoformat()})


async def _date_button(call: FlowCall, value: str) -> None:
    if value in {"0", "1"}:
        day = call.context.services.today() - timedelta(days=int(value))
        await call.goto("summary", call.data | {"work_date": day.isoformat()})


async def _ask_training(call: FlowCall) -> None:
    await call.say(call.texts.t("log.ask_training"))


async def _got_training(call: FlowCall, text: str) -> None:
    hours = parse_id(text.strip())
    if hours is None or hours > 200:
        await call.say(call.texts.t("log.training_invalid"))
        return
    await call.goto("summary", call.data | {"training_jp": hours or None})


LOG_FLOW = register(
    Flow(
        "log",
        "description",
        {
            "description": Step(prompt=_ask_description, on_text=_got_description),
            "quantity": Step(
                prompt=_ask_quantity, on_text=_got_quantity, on_button=_quantity_unit_button
            ),
            "quantity_number": Step(prompt=_ask_quantity_number, on_text=_got_quantity_number),
            "unit": Step(prompt=_ask_unit, on_text=_got_unit_text, on_button=_got_unit_button),
            "duration": Step(
                prompt=_ask_duration, on_text=_got_duration, on_button=_duration_button
            ),
            "target": Step(prompt=_ask_target, on_button=_target_button),
            "evidence": Step(
                prompt=_ask_evidence, on_message=_got_evidence, on_button=_evidence_button
            ),
            "summary": Step(
                prompt=_show_summary, on_button=_summary_button, in_place=frozenset({"save"})
            ),
            "edit_menu": Step(prompt=_ask_edit_field, on_button=_edit_field_button),
            "date": Step(prompt=_ask_date, on_text=_got_date, on_button=_date_button),
            "training": Step(prompt=_ask_training, on_text=_got_training),
        },
        confirm_again=_confirm_saved,
    )
)
