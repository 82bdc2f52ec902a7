"""The public satisfaction survey (SKM, PermenPANRB 14/2017): /survei for anyone, and /ikm for
supervisors and admins.

/survei: unit → service (buttons, or typed) → the nine questions, one tap each ("3/9") →
optional comment → optional profile (age, sex, education, occupation; each skippable) → saved.
The invitation sent when a complaint closes ("Isi survei", ``svy:c:<complaint>``) starts at the
first question with the complaint's unit and the complaint-handling service. The flow's state is
in the database (``handlers.flow``): a person can stop and continue later, /survei resumes it.
A person answers once per unit, service and quarter; the answers are stored without identity
(``models.survey``).
"""

from __future__ import annotations

import asyncio
from io import BytesIO
from typing import Any

from telegram import Update

from domain.access import Action, Audience, complaint_owner_refusal, survey_results_refusal
from domain.complaints import Status
from domain.ids import parse_id
from domain.skm import (
    ELEMENTS,
    GRADES,
    PROFILE_CHOICES,
    SCORES,
    SkmResult,
    normalise_service,
    period_of,
    previous_periods,
)
from handlers.callback import CallbackData
from handlers.common import answer_button, reply, requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.ikm_follow_up import follow_up_markup
from handlers.routes import Button, Command, Key, Route
from handlers.settle import settle
from models import complaints, survey
from models.activities import AlreadySaved
from services.charts import CHART_LOCK
from texts import Texts
from texts.format import fixed
from texts.format import period as period_name

SERVICE_MIN, SERVICE_MAX = 3, 80
HISTORY = 4  # quarters shown before the current one
COMMENTS_SHOWN = 5
# ``svy:c:<complaint>``: the invitation queued when a complaint closed (``services.buttons``).
BUTTONS = CallbackData("svy", {"c": "n"})


def _service_label(data: dict[str, Any], tr: Texts) -> str:
    if tr.language != "id" and data.get("service_name_en"):
        return str(data["service_name_en"])
    return str(data["service_name"])


def _receipt(context: SigapContext, data: dict[str, Any]) -> str:
    services = context.services
    return survey.receipt_digest(
        survey.receipt_key(services.settings.survey_receipt_secret()),
        context.actor.telegram_id,
        data["unit_id"],
        data["service_key"],
        period_of(services.today()),
    )


async def _already_answered(update: Update, context: SigapContext, data: dict[str, Any]) -> bool:
    """True (and the person told so) if they answered for this unit and service this quarter."""
    if not await survey.has_answered(context.services.db, _receipt(context, data)):
        return False
    tr = context.texts
    await reply(
        update,
        context,
        tr.t(
            "survey.already",
            service=_service_label(data, tr),
            unit=data["unit_name"],
            period=period_name(period_of(context.services.today()), tr.language),
        ),
    )
    return True


# --- steps ------------------------------------------------------------------------------------


async def _ask_unit(call: FlowCall) -> None:
    units = await survey.survey_units(call.context.services.db)
    if not units:
        await call.finish()
        await call.say(call.texts.t("survey.no_units"))
        return
    await call.say(call.texts.t("survey.ask_unit"), [[(u.name, f"u:{u.id}")] for u in units])


async def _unit_chosen(call: FlowCall, value: str) -> None:
    unit_id = parse_id(value.removeprefix("u:")) if value.startswith("u:") else None
    if unit_id is None:
        return
    unit = await survey.get_unit(call.context.services.db, unit_id)
    if unit is None:
        await call.say(call.texts.t("common.stale_button"))
        return
    await call.goto("service", call.data | {"unit_id": unit.id, "unit_name": unit.name})


async def _ask_service(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    choices = await survey.services_for(call.context.services.db, data["unit_id"])
    if not choices:
        await call.say(tr.t("survey.ask_service_typed", unit=data["unit_name"]))
        return
    english = tr.language != "id"
    await call.say(
        tr.t("survey.ask_service", unit=data["unit_name"]),
        [[((s.name_en or s.name) if english else s.name, f"s:{s.id}")] for s in choices],
    )


async def _service_chosen(call: FlowCall, value: str) -> None:
    service_id = parse_id(value.removeprefix("s:")) if value.startswith("s:") else None
    if service_id is None:
        return
    data = call.data
    service = await survey.get_service(call.context.services.db, service_id)
    if service is None or not service.active or service.unit_id not in (None, data["unit_id"]):
        await call.say(call.texts.t("common.stale_button"))
        return
    await _begin_questions(
        call,
        data
        | {
            "service_id": service.id,
            "service_key": f"s:{service.code}",
            "service_name": service.name,
            "service_name_en": service.name_en,
        },
    )


async def _service_typed(call: FlowCall, text: str) -> None:
    name = " ".join(text.split())
    if not SERVICE_MIN <= len(name) <= SERVICE_MAX:
        await call.say(
            call.texts.t("survey.service_invalid", minimum=SERVICE_MIN, maximum=SERVICE_MAX)
        )
        return
    await _begin_questions(
        call,
        call.data
        | {
            "service_id": None,
            "service_key": "t:" + normalise_service(name),
            "service_name": name,
        },
    )


async def _begin_questions(call: FlowCall, data: dict[str, Any]) -> None:
    if await _already_answered(call.update, call.context, data):
        await call.finish()
        return
    await call.goto("question", data | {"answers": []})


async def _ask_question(call: FlowCall) -> None:
    tr = call.texts
    answered = len(call.data["answers"])
    element = ELEMENTS[answered]
    await call.say(
        tr.t(
            "survey.question",
            progress=f"{answered + 1}/{len(ELEMENTS)}",
            element=tr.plain(f"skm_element.{element}"),
            question=tr.plain(f"skm_question.{element}"),
        ),
        [[(tr.plain(f"skm_answer.{element}_{score}"), f"a:{score}")] for score in SCORES],
    )


async def _answered(call: FlowCall, value: str) -> None:
    if value not in {f"a:{score}" for score in SCORES}:
        return
    data = call.data
    answers = [*data["answers"], int(value[2:])]
    step = "question" if len(answers) < len(ELEMENTS) else "comment"
    await call.goto(step, data | {"answers": answers})


async def _ask_comment(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("survey.ask_comment", unit=call.data["unit_name"]),
        [[(tr.plain("survey.button_skip"), "skip")]],
    )


async def _got_comment(call: FlowCall, text: str) -> None:
    comment = text.strip()
    if len(comment) > survey.MAX_COMMENT:
        await call.say(
            call.texts.t("survey.comment_too_long", limit=survey.MAX_COMMENT, length=len(comment))
        )
        return
    await call.goto(_PROFILE[0], call.data | {"comment": comment or None})


async def _comment_skipped(call: FlowCall, value: str) -> None:
    if value == "skip":
        await call.goto(_PROFILE[0], call.data | {"comment": None})


_PROFILE = tuple(PROFILE_CHOICES)


def _profile_step(name: str) -> Step:
    position = _PROFILE.index(name)
    following = _PROFILE[position + 1] if position + 1 < len(_PROFILE) else None

    async def ask(call: FlowCall) -> None:
        tr = call.texts
        labels = [(tr.plain(f"skm_profile.{name}_{c}"), f"p:{c}") for c in PROFILE_CHOICES[name]]
        rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
        rows.append(
            [
                (tr.plain("survey.button_skip"), "skip"),
                (tr.plain("survey.button_skip_all"), "all"),
            ]
        )
        await call.say(
            tr.t(
                "survey.ask_profile",
                step=position + 1,
                question=tr.plain(f"skm_profile.{name}"),
            ),
            rows,
        )

    async def chosen(call: FlowCall, value: str) -> None:
        data = call.data
        if value.startswith("p:") and value[2:] in PROFILE_CHOICES[name]:
            data["profile"] = {**data.get("profile", {}), name: value[2:]}
        elif value not in {"skip", "all"}:
            return
        if value == "all" or following is None:
            await _submit(call, data)
        else:
            await call.goto(following, data)

    return Step(prompt=ask, on_button=chosen)


async def _submit(call: FlowCall, data: dict[str, Any]) -> None:
    context, tr = call.context, call.texts
    services = context.services
    draft = survey.ResponseDraft(
        unit_id=data["unit_id"],
        service_id=data.get("service_id"),
        service_name=data["service_name"],
        answers=list(data["answers"]),
        comment=data.get("comment"),
        profile=dict(data.get("profile", {})),
    )
    conv = call.conversation
    try:
        await survey.submit_response(
            services.db,
            draft,
            digest=_receipt(context, data),
            today=services.today(),
            conversation=(conv.chat_id, conv.user_id, conv.version),
        )
    except AlreadySaved:
        return  # a second tap on the last button: the first one answered
    except survey.AlreadyAnswered:
        await call.finish()
        await _already_answered(call.update, context, data)
        return
    context.forget_conversation(None)
    await call.say(tr.t("survey.thanks", service=_service_label(data, tr), unit=data["unit_name"]))


SURVEY_FLOW = register(
    Flow(
        "survey",
        "unit",
        {
            "unit": Step(prompt=_ask_unit, on_button=_unit_chosen),
            "service": Step(prompt=_ask_service, on_text=_service_typed, on_button=_service_chosen),
            "question": Step(prompt=_ask_question, on_button=_answered),
            "comment": Step(prompt=_ask_comment, on_text=_got_comment, on_button=_comment_skipped),
            **{name: _profile_step(name) for name in _PROFILE},
        },
    )
)


async def _resume(update: Update, context: SigapContext, match: dict[str, Any] | None) -> bool:
    """Continue an unfinished survey (of the same unit and service, if ``match``)."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    conversation = await context.conversation(chat.id, user.id)
    if conversation is None or conversation.flow != SURVEY_FLOW.name:
        return False
    if match is not None and any(conversation.data.get(k) != v for k, v in match.items()):
        return False
    await reply(update, context, context.texts.t("survey.resumed"))
    step = SURVEY_FLOW.steps[conversation.step]
    await step.prompt(FlowCall(update, context, SURVEY_FLOW, conversation))
    return True


@requires(Action.USE_CITIZEN_SERVICES, private=True)
async def survey_command(update: Update, context: SigapContext) -> None:
    if await _resume(update, context, None):
        return
    await SURVEY_FLOW.start(update, context, {})


@requires(Action.USE_CITIZEN_SERVICES, private=True)
async def survey_button(update: Update, context: SigapContext) -> None:
    """``svy:c:<complaint>``: the invitation sent when the person's complaint closed."""
    query = update.callback_query
    assert query is not None
    tr, db = context.texts, context.services.db
    press = BUTTONS.unpack(query.data)
    if press is None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    complaint_id = press.numbers[0]
    complaint = await complaints.get_complaint(db, complaint_id)
    if complaint is None or complaint_owner_refusal(context.actor, complaint.reporter_telegram_id):
        await answer_button(update, tr.plain("complaint.not_found"), alert=True)
        return
    await answer_button(update)
    if complaint.status != Status.DITUTUP.value:
        await reply(update, context, tr.t("survey.offer_not_closed"))
        return
    await settle(update, context)
    unit = await survey.get_unit(db, complaint.unit_id)
    if unit is None:
        await reply(update, context, tr.t("complaint.not_found"))
        return
    service = await survey.service_by_code(db, survey.COMPLAINT_SERVICE)
    default = dict((code, (name, en)) for code, name, en in survey.DEFAULT_SERVICES)
    name, name_en = (
        (service.name, service.name_en) if service else default[survey.COMPLAINT_SERVICE]
    )
    data = {
        "unit_id": unit.id,
        "unit_name": unit.name,
        "service_id": service.id if service else None,
        "service_key": f"s:{survey.COMPLAINT_SERVICE}",
        "service_name": name,
        "service_name_en": name_en,
    }
    if await _resume(update, context, {"unit_id": unit.id, "service_key": data["service_key"]}):
        return
    if await _already_answered(update, context, data):
        return
    await SURVEY_FLOW.start(update, context, data | {"answers": []}, step="question")


# --- /ikm ------------------------------------------------------------------------------------


def _result_line(key: str, none_key: str, period: str, result: SkmResult | None, tr: Texts) -> str:
    shown = period_name(period, tr.language)
    if result is None:
        return tr.t(none_key, period=shown)
    return tr.t(
        key,
        period=shown,
        ikm=fixed(result.ikm, tr.language),
        grade=result.grade,
        label=tr.plain(f"skm.grade_{result.grade}"),
        respondents=result.respondents,
    )


@requires(Action.VIEW_SURVEY_RESULTS, private=True)
async def ikm_command(update: Update, context: SigapContext) -> None:
    tr, db, actor = context.texts, context.services.db, context.actor
    chat = update.effective_chat
    assert chat is not None
    typed = " ".join(context.args or []).strip()
    if typed or actor.unit_id is None:
        unit = await survey.unit_by_code(db, typed) if typed else None
        if unit is None:
            codes = ", ".join(u.code for u in await survey.survey_units(db))
            key = "skm.unknown_unit" if typed else "skm.ask_unit"
            await reply(update, context, tr.t(key, code=typed[:20], codes=codes))
            return
    else:
        unit = await survey.get_unit(db, actor.unit_id)
    if unit is None or unit.id is None or survey_results_refusal(actor, unit.id):
        await reply(update, context, tr.t("common.denied"))
        return
    period = period_of(context.services.today())
    periods = previous_periods(period, HISTORY + 1)
    results = await survey.unit_results(db, unit.id, periods)
    lines = [tr.t("skm.ikm_title", unit=unit.name)]
    current = results[period]
    lines.append(_result_line("skm.ikm_current", "skm.ikm_current_none", period, current, tr))
    if current is not None:
        for position, element in enumerate(ELEMENTS):
            lines.append(
                tr.t(
                    "skm.element_line",
                    element=tr.plain(f"skm_element.{element}"),
                    mean=fixed(current.element_mean(position), tr.language),
                )
            )
    lines += ["", tr.t("skm.history_title")]
    for earlier in periods[:-1][::-1]:
        lines.append(
            _result_line("skm.history_line", "skm.history_none", earlier, results[earlier], tr)
        )
    # The unit's head (or an admin) writes the published follow-up: this quarter or the last.
    markup = await follow_up_markup(context, unit.id, periods[:-3:-1])
    comments = await survey.recent_comments(db, unit.id, period, COMMENTS_SHOWN)
    if comments:
        lines += ["", tr.t("skm.comments_title")]
        lines += [
            tr.t("skm.comment_line", comment=c if len(c) <= 300 else c[:299] + "…")
            for c in comments
        ]
    if all(result is None for result in results.values()):
        # An empty chart says nothing: say how to look at a unit that has answers instead.
        lines += ["", tr.t("skm.no_answers_yet")]
        if Audience.ADMIN in actor.audiences:
            units = await survey.survey_units(db)
            others = [u.code for u in units if u.id != unit.id] or [unit.code]
            lines.append(tr.t("skm.other_units", example=others[0], codes=", ".join(others)))
        await reply(update, context, "\n".join(lines), markup)
        return
    await reply(update, context, "\n".join(lines), markup)
    # One render for the person who asked: a thread, started at once (the rendering process
    # is for the scheduler's waves, services/offload.py).
    chart = await asyncio.to_thread(ikm_chart, tr, periods, results)
    await context.bot.send_photo(
        chat.id,
        chart,
        caption=tr.t(
            "skm.chart_caption",
            unit=unit.name,
            first=period_name(periods[0], tr.language),
            last=period_name(period, tr.language),
        ),
    )


def ikm_chart(tr: Texts, periods: list[str], results: dict[str, SkmResult | None]) -> bytes:
    """IKM per quarter as bars, with the grade boundaries as lines (PNG)."""
    with CHART_LOCK:
        return _draw_ikm_chart(tr, periods, results)


def _draw_ikm_chart(tr: Texts, periods: list[str], results: dict[str, SkmResult | None]) -> bytes:
    # Imported here, on first use: heavy, and most processes never draw or write a workbook.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # The object API with the Agg canvas: no pyplot global state, safe beside the bot's loop.
    figure = Figure(figsize=(8, 4.5))
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    values = [float(r.ikm) if r else 0.0 for r in (results[p] for p in periods)]
    labels = [period_name(p, tr.language) for p in periods]
    bars = axes.bar(labels, values, color="#2b6cb0")
    axes.tick_params(axis="x", labelsize=8)
    for bar, period in zip(bars, periods, strict=True):
        result = results[period]
        label = tr.plain("skm.chart_respondents", count=result.respondents if result else 0)
        if result is not None:
            label = f"{fixed(result.ikm, tr.language)} {result.grade}\n{label}"
        axes.annotate(
            label,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    for letter, lowest in GRADES[:-1]:
        axes.axhline(float(lowest), color="#a0aec0", linewidth=0.8, linestyle="--")
        axes.text(len(periods) - 0.5, float(lowest), f" {letter}", va="bottom", fontsize=8)
    axes.set_ylim(0, 110)
    axes.set_title(tr.plain("skm.chart_title"))
    figure.tight_layout()
    out = BytesIO()
    figure.savefig(out, format="png", dpi=80)
    return out.getvalue()


ROUTES: list[Route] = [
    Command(
        "survei", survey_command, "survey_commands.survey", (Audience.CITIZEN,), english="survey"
    ),
    Command("ikm", ikm_command, "survey_commands.ikm", (Audience.SUPERVISOR, Audience.ADMIN)),
    Button(BUTTONS, survey_button),
    Key("survey", survey_command),
]
