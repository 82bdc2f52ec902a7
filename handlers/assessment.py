"""/penilaian: the quarterly assessment of a direct report (PermenPANRB 6/2022).

quarter (Triwulan I–IV; the last finished one first) → direct report → the realisation of each
SKP target from approved entries, and the hasil kerja rating → the perilaku kerja rating →
confirmation with the predikat the matrix gives (``domain.assessment``) → stored, audit-logged
and the employee notified through the outbox, in one transaction. Assessing a quarter again
updates it. Access is checked when the person is chosen and again when saving.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update

from domain.access import Action, Audience, supervision_refusal
from domain.assessment import (
    Predikat,
    Rating,
    last_finished_quarter,
    predikat,
    quarter_bounds,
    quarter_of,
    selectable_quarters,
)
from domain.ids import parse_id
from handlers.common import reply, requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.routes import Command, Route
from models import assessment as store
from models import export
from models.audit import telegram_actor
from models.identity import contact_of
from models.outbox import text_payload
from models.roster import get_employee
from models.tables import Employee
from texts import Texts, texts
from texts.format import format_date, number
from texts.format import quarter as quarter_name

MAX_PEOPLE_BUTTONS = 40
LABEL_MAX = 120
RATINGS = (Rating.BELOW, Rating.MEETS, Rating.ABOVE)


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


async def _reports(call: FlowCall) -> list[Employee]:
    context = call.context
    assert context.actor.employee_id is not None
    reach = await export.reach_of(
        context.services.db,
        context.actor.employee_id,
        indirect=context.services.settings.supervise_indirect_reports,
    )
    return reach.reports


async def _refusal(call: FlowCall, employee_id: int) -> bool:
    """True (and answered) when this supervisor may not assess this employee."""
    chain = await export.chain_of(call.context.services.db, employee_id)
    refusal = supervision_refusal(
        call.context.actor,
        chain,
        indirect=call.context.services.settings.supervise_indirect_reports,
    )
    if refusal is None:
        return False
    await call.say(call.texts.t("assessment.not_found"))
    return True


# --- steps ------------------------------------------------------------------------------


async def _ask_quarter(call: FlowCall) -> None:
    tr = call.texts
    today = call.context.services.today()
    finished = last_finished_quarter(today)
    current = (today.year, quarter_of(today))
    rows = []
    for year, quarter in selectable_quarters(today):
        label = quarter_name(year, quarter, tr.language)
        if (year, quarter) == finished:
            label = tr.plain("assessment.quarter_finished", quarter=label)
        elif (year, quarter) == current:
            label = tr.plain("assessment.quarter_current", quarter=label)
        rows.append([(label, f"q:{year}:{quarter}")])
    await call.say(tr.t("assessment.ask_quarter"), rows)


async def _quarter_chosen(call: FlowCall, value: str) -> None:
    parts = value.split(":")
    numbers = [parse_id(part) for part in parts[1:]] if len(parts) == 3 else []
    if len(numbers) != 2 or numbers[0] is None or numbers[1] is None:
        return
    chosen = (numbers[0], numbers[1])
    if chosen not in selectable_quarters(call.context.services.today()):
        await call.say(call.texts.t("common.stale_button"))
        await _ask_quarter(call)
        return
    await call.goto("person", call.data | {"year": chosen[0], "quarter": chosen[1]})


async def _ask_person(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    reports = (await _reports(call))[:MAX_PEOPLE_BUTTONS]
    done = await store.assessed(
        call.context.services.db,
        [e.id for e in reports if e.id is not None],
        data["year"],
        data["quarter"],
    )
    rows = [[(("✅ " if e.id in done else "") + e.name, f"p:{e.id}")] for e in reports]
    await call.say(
        tr.t(
            "assessment.ask_person",
            quarter=quarter_name(data["year"], data["quarter"], tr.language),
            done=len(done),
            total=len(reports),
        ),
        rows,
    )


async def _person_chosen(call: FlowCall, value: str) -> None:
    employee_id = parse_id(value.removeprefix("p:")) if value.startswith("p:") else None
    if employee_id is None:
        return
    if await _refusal(call, employee_id):
        await _ask_person(call)
        return
    employee = await get_employee(call.context.services.db, employee_id)
    assert employee is not None
    await call.goto(
        "hasil", call.data | {"employee_id": employee_id, "employee_name": employee.name}
    )


def realisation_text(
    tr: Texts, realisation: store.QuarterRealisation, year: int, quarter: int, today: date
) -> str:
    # "Up to" the quarter's last day, or today while the quarter is still running.
    end = min(quarter_bounds(year, quarter)[1], today)
    lines = []
    for row in realisation.targets:
        target = row.target
        lines.append(
            tr.t(
                "assessment.target_row",
                kind=tr.plain(f"skp.kind_{target.kind}"),
                indicator=_short(target.indicator or target.rhk),
                quarter_quantity=number(row.quarter_quantity, tr.language),
                unit=target.unit,
                entries=row.quarter_entries,
                year_to_date=number(row.year_to_date, tr.language),
                target=number(target.target_quantity, tr.language),
                percent=_percent(row.year_to_date, target.target_quantity),
                until=format_date(end, tr.language, weekday=False),
            )
        )
    if not lines:
        lines.append(tr.t("assessment.no_targets", year=year))
    lines.append(
        tr.t(
            "assessment.totals",
            entries=realisation.approved_entries,
            hours=round(realisation.approved_minutes / 60, 1),
            unlinked=realisation.unlinked_entries,
            waiting=realisation.waiting_entries,
        )
    )
    return "\n".join(lines)


def _rating_rows(tr: Texts) -> list[list[tuple[str, str]]]:
    return [[(tr.plain(f"assessment.rating_{r.value}"), r.value)] for r in RATINGS]


async def _ask_hasil(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    db = call.context.services.db
    year, quarter, employee_id = data["year"], data["quarter"], data["employee_id"]
    realisation = await store.quarter_realisation(db, employee_id, year, quarter)
    earlier = await store.assessment_of(db, employee_id, year, quarter)
    text = tr.t(
        "assessment.realisation_title",
        name=data["employee_name"],
        quarter=quarter_name(year, quarter, tr.language),
    )
    text += "\n" + realisation_text(tr, realisation, year, quarter, call.context.services.today())
    if earlier is not None:
        text += "\n\n" + tr.t(
            "assessment.earlier",
            predikat=tr.plain(f"assessment.predikat_{earlier.predikat}"),
        )
    await call.say(text + "\n\n" + tr.t("assessment.ask_hasil"), _rating_rows(tr))


async def _hasil_chosen(call: FlowCall, value: str) -> None:
    if value in {r.value for r in RATINGS}:
        await call.goto("perilaku", call.data | {"hasil": value})


async def _ask_perilaku(call: FlowCall) -> None:
    await call.say(call.texts.t("assessment.ask_perilaku"), _rating_rows(call.texts))


async def _perilaku_chosen(call: FlowCall, value: str) -> None:
    if value in {r.value for r in RATINGS}:
        await call.goto("confirm", call.data | {"perilaku": value})


def _verdict(tr: Texts, hasil: str, perilaku: str) -> dict[str, str]:
    result: Predikat = predikat(Rating(hasil), Rating(perilaku))
    return {
        "hasil": tr.plain(f"assessment.rating_{hasil}"),
        "perilaku": tr.plain(f"assessment.rating_{perilaku}"),
        "predikat": tr.plain(f"assessment.predikat_{result.value}"),
    }


async def _ask_confirm(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    await call.say(
        tr.t(
            "assessment.confirm",
            name=data["employee_name"],
            quarter=quarter_name(data["year"], data["quarter"], tr.language),
            **_verdict(tr, data["hasil"], data["perilaku"]),
        ),
        [
            [
                (tr.plain("assessment.button_save"), "save"),
                (tr.plain("assessment.button_again"), "again"),
            ],
            [(tr.plain("log.button_cancel"), "cancel")],
        ],
    )


async def _confirmed(call: FlowCall, value: str) -> None:
    tr, data = call.texts, call.data
    if value == "cancel":
        await call.finish()
        await call.say(tr.t("common.cancelled"))
        return
    if value == "again":
        await call.goto("hasil", data)
        return
    if value != "save":
        return
    if await _refusal(call, data["employee_id"]):
        await call.finish()
        return
    await _save(call)


async def _save(call: FlowCall) -> None:
    tr, data, context = call.texts, call.data, call.context
    services = context.services
    actor = context.actor
    assert actor.employee_id is not None
    year, quarter, employee_id = data["year"], data["quarter"], data["employee_id"]
    result = predikat(Rating(data["hasil"]), Rating(data["perilaku"]))
    contact = await contact_of(services.db, employee_id)
    notify = None
    if contact is not None:
        theirs = texts(contact.language or services.settings.default_language)
        earlier = await store.assessment_of(services.db, employee_id, year, quarter)
        notify = (
            contact.telegram_id,
            text_payload(
                theirs.t(
                    "assessment.notice_updated" if earlier else "assessment.notice",
                    supervisor=actor.employee_name or "",
                    quarter=quarter_name(year, quarter, theirs.language),
                    **_verdict(theirs, data["hasil"], data["perilaku"]),
                )
            ),
        )
    receipt = {
        "name": data["employee_name"],
        "year": year,
        "quarter": quarter,
        "predikat": result.value,
        "linked": contact is not None,
    }
    try:
        saved = await store.save_assessment(
            services.db,
            employee_id=employee_id,
            supervisor_id=actor.employee_id,
            year=year,
            quarter=quarter,
            hasil_kerja=data["hasil"],
            perilaku_kerja=data["perilaku"],
            predikat=result.value,
            actor=telegram_actor(actor.telegram_id),
            now=services.clock.now(),
            conversation=call.ending(receipt),
            notify=notify,
        )
    except store.AlreadySaved:
        return  # the first tap saved it and answered
    context.forget_conversation(None)
    await reply(call.update, context, _saved_text(tr, receipt, saved.updated))


async def _confirm_saved(update: Update, context: SigapContext, receipt: dict[str, Any]) -> None:
    """The save delivered again after a kill before its confirmation went out."""
    await reply(update, context, _saved_text(context.texts, receipt, updated=False))


def _saved_text(tr: Texts, receipt: dict[str, Any], updated: bool) -> str:
    text = tr.t(
        "assessment.updated" if updated else "assessment.saved",
        name=receipt["name"],
        quarter=quarter_name(receipt["year"], receipt["quarter"], tr.language),
        predikat=tr.plain(f"assessment.predikat_{receipt['predikat']}"),
    )
    if not receipt["linked"]:
        text += "\n" + tr.t("assessment.not_linked")
    return text


ASSESSMENT_FLOW = register(
    Flow(
        "assessment",
        "quarter",
        {
            "quarter": Step(prompt=_ask_quarter, on_button=_quarter_chosen),
            "person": Step(prompt=_ask_person, on_button=_person_chosen),
            "hasil": Step(prompt=_ask_hasil, on_button=_hasil_chosen),
            "perilaku": Step(prompt=_ask_perilaku, on_button=_perilaku_chosen),
            "confirm": Step(prompt=_ask_confirm, on_button=_confirmed),
        },
        confirm_again=_confirm_saved,
    )
)


@requires(Action.SUPERVISE, private=True)
async def assessment_command(update: Update, context: SigapContext) -> None:
    actor = context.actor
    if actor.employee_id is None:
        await reply(update, context, context.texts.t("common.denied"))
        return
    reach = await export.reach_of(
        context.services.db,
        actor.employee_id,
        indirect=context.services.settings.supervise_indirect_reports,
    )
    if not reach.reports:
        await reply(update, context, context.texts.t("assessment.no_reports"))
        return
    await ASSESSMENT_FLOW.start(update, context, {})


ROUTES: list[Route] = [
    Command(
        "penilaian",
        assessment_command,
        "assessment.command",
        (Audience.SUPERVISOR,),
        english="assessment",
    ),
]
