"""/ekspor: work-log entries as an XLSX file (one sheet per employee and a summary).

whose (own; a supervisor: all reports or one; a unit head: the whole unit; skipped for plain
employees) → period (this month, last month, this quarter, or a typed range) → the file arrives
as a document. Who may export whom is decided again when the file is made, so a forged or old
press cannot widen it; every export is audit-logged (``models.export``).
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date, timedelta
from pathlib import Path

from telegram import Update

from domain.access import Action, Audience, allowed, supervision_refusal, unit_export_refusal
from domain.assessment import quarter_bounds, quarter_of
from domain.ids import parse_id
from domain.worklog import ParseProblem, parse_date
from handlers.common import requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.routes import Command, Route
from handlers.worklog import problem_text
from models import export
from models.audit import telegram_actor
from models.roster import get_employee
from services.export import file_name, period_text, write_workbook
from texts.format import format_date

MAX_DAYS = 366
MAX_REPORT_BUTTONS = 40


def preset_period(name: str, today: date) -> tuple[date, date] | None:
    """This month and this quarter run up to today; last month is the whole month."""
    if name == "this_month":
        return today.replace(day=1), today
    if name == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if name == "this_quarter":
        return quarter_bounds(today.year, quarter_of(today))[0], today
    return None


async def _reach(call: FlowCall) -> export.ExportReach:
    context = call.context
    employee_id = context.actor.employee_id
    assert employee_id is not None
    return await export.reach_of(
        context.services.db,
        employee_id,
        indirect=context.services.settings.supervise_indirect_reports,
    )


def _may_supervise(call: FlowCall) -> bool:
    return allowed(call.context.actor, Action.SUPERVISE)


# --- steps ------------------------------------------------------------------------------


async def _ask_scope(call: FlowCall) -> None:
    tr = call.texts
    reach = await _reach(call)
    rows: list[list[tuple[str, str]]] = [[(tr.plain("export.button_self"), "me")]]
    if _may_supervise(call) and reach.reports:
        rows.append([(tr.plain("export.button_reports", count=len(reach.reports)), "reports")])
        people = [(e.name, f"p:{e.id}") for e in reach.reports[:MAX_REPORT_BUTTONS]]
        rows += [people[i : i + 2] for i in range(0, len(people), 2)]
    if unit_export_refusal(call.context.actor, is_head=reach.unit_head) is None:
        rows.append([(tr.plain("export.button_unit", unit=reach.unit_code), "unit")])
    await call.say(tr.t("export.ask_scope"), rows)


async def _scope_refusal(call: FlowCall, scope: str) -> str | None:
    """The text key of the refusal for this scope, or None when the person may export it."""
    actor = call.context.actor
    if scope == "me":
        return None
    if scope == "reports":
        return None if _may_supervise(call) else "common.denied"
    if scope == "unit":
        reach = await _reach(call)
        refusal = unit_export_refusal(actor, is_head=reach.unit_head)
        return None if refusal is None else "export.not_unit_head"
    if scope.startswith("p:") and (employee_id := parse_id(scope[2:])) is not None:
        chain = await export.chain_of(call.context.services.db, employee_id)
        refusal = supervision_refusal(
            actor, chain, indirect=call.context.services.settings.supervise_indirect_reports
        )
        return None if refusal is None else "export.not_found"
    return "common.stale_button"


async def _scope_chosen(call: FlowCall, value: str) -> None:
    refusal = await _scope_refusal(call, value)
    if refusal is not None:
        await call.say(call.texts.t(refusal))
        await _ask_scope(call)
        return
    await call.goto("period", call.data | {"scope": value})


async def _ask_period(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("export.ask_period"),
        [
            [
                (tr.plain("export.button_this_month"), "this_month"),
                (tr.plain("export.button_last_month"), "last_month"),
            ],
            [
                (tr.plain("export.button_this_quarter"), "this_quarter"),
                (tr.plain("export.button_custom"), "custom"),
            ],
        ],
    )


async def _period_chosen(call: FlowCall, value: str) -> None:
    if value == "custom":
        await call.goto("start", call.data)
        return
    period = preset_period(value, call.context.services.today())
    if period is not None:
        await _deliver(call, *period)


async def _ask_start(call: FlowCall) -> None:
    await call.say(call.texts.t("export.ask_start"))


async def _got_start(call: FlowCall, text: str) -> None:
    parsed = parse_date(text, call.context.services.today())
    if isinstance(parsed, ParseProblem):
        await call.say(problem_text(parsed, call.texts))
        return
    await call.goto("end", call.data | {"start": parsed.isoformat()})


async def _ask_end(call: FlowCall) -> None:
    start = date.fromisoformat(call.data["start"])
    await call.say(call.texts.t("export.ask_end", start=format_date(start, call.texts.language)))


async def _got_end(call: FlowCall, text: str) -> None:
    start = date.fromisoformat(call.data["start"])
    parsed = parse_date(text, start)
    if isinstance(parsed, ParseProblem):
        await call.say(problem_text(parsed, call.texts))
        return
    if parsed < start:
        await call.say(call.texts.t("export.end_before_start"))
        return
    if (parsed - start).days >= MAX_DAYS:
        await call.say(call.texts.t("export.too_long", days=MAX_DAYS))
        return
    await _deliver(call, start, parsed)


# --- the file ---------------------------------------------------------------------------


async def _people(
    call: FlowCall, scope: str, start: date, end: date
) -> tuple[list[int], str, str] | None:
    """(employee ids, who for the caption, who for the file name and audit) of a scope."""
    tr, actor = call.texts, call.context.actor
    assert actor.employee_id is not None
    if scope == "me":
        return [actor.employee_id], tr.plain("export.who_self"), f"employee:{actor.nip}"
    reach = await _reach(call)
    if scope == "reports":
        ids = [e.id for e in reach.reports if e.id is not None]
        return ids, tr.plain("export.who_reports"), f"reports:{actor.nip}"
    if scope == "unit":
        members = await export.unit_members(call.context.services.db, reach.unit_id, start, end)
        ids = [e.id for e in members if e.id is not None]
        return ids, tr.plain("export.who_unit", unit=reach.unit_code), f"unit:{reach.unit_code}"
    employee = await get_employee(call.context.services.db, int(scope[2:]))
    if employee is None or employee.id is None:
        return None
    return [employee.id], employee.name, f"employee:{employee.nip}"


async def _deliver(call: FlowCall, start: date, end: date) -> None:
    tr, context = call.texts, call.context
    services = context.services
    scope = call.data.get("scope", "me")
    # Checked again now: the roster may have changed since the button was shown.
    refusal = await _scope_refusal(call, scope)
    people = await _people(call, scope, start, end) if refusal is None else None
    await call.finish()
    if people is None:
        await call.say(tr.t(refusal or "export.not_found"))
        return
    ids, who, subject = people
    period = period_text(start, end, tr.language)
    exports = await export.load_export(services.db, ids, start, end, services.settings.data_dir)
    if not export.has_entries(exports):
        await call.say(tr.t("export.empty", who=who, period=period))
        return
    await export.record_export(
        services.db,
        telegram_actor(context.actor.telegram_id),
        subject,
        exports,
        start,
        end,
        services.clock.now(),
    )
    name = file_name(start, end, subject.split(":", 1)[1])
    chat = call.update.effective_chat
    assert chat is not None
    # A temporary file: the export is personal data and is not kept after it is sent.
    with tempfile.TemporaryDirectory(prefix="sigap-export-") as folder:
        path = Path(folder) / name
        # The workbook is CPU work: off the event loop.
        await asyncio.to_thread(write_workbook, exports, start, end, tr, path)
        with path.open("rb") as handle:
            await context.bot.send_document(
                chat.id,
                handle,
                filename=name,
                caption=tr.t(
                    "export.caption",
                    who=who,
                    period=period,
                    entries=sum(len(e.entries) for e in exports),
                    people=sum(1 for e in exports if e.entries),
                ),
            )


EXPORT_FLOW = register(
    Flow(
        "export",
        "scope",
        {
            "scope": Step(prompt=_ask_scope, on_button=_scope_chosen),
            "period": Step(prompt=_ask_period, on_button=_period_chosen),
            "start": Step(prompt=_ask_start, on_text=_got_start),
            "end": Step(prompt=_ask_end, on_text=_got_end),
        },
    )
)


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def export_command(update: Update, context: SigapContext) -> None:
    actor = context.actor
    assert actor.employee_id is not None
    reach = await export.reach_of(
        context.services.db,
        actor.employee_id,
        indirect=context.services.settings.supervise_indirect_reports,
    )
    others = (allowed(actor, Action.SUPERVISE) and bool(reach.reports)) or (
        unit_export_refusal(actor, is_head=reach.unit_head) is None
    )
    if others:
        await EXPORT_FLOW.start(update, context, {})
    else:
        await EXPORT_FLOW.start(update, context, {"scope": "me"}, step="period")


ROUTES: list[Route] = [
    Command("ekspor", export_command, "export.command", (Audience.EMPLOYEE,), english="export"),
]
