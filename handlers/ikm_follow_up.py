"""The unit's follow-up to its survey results ("rencana tindak lanjut"), written from /ikm.

/ikm shows the unit's head (or an admin) a button per recent quarter ("✍️ Rencana tindak lanjut
Triwulan IV 2026", ``ikf:w:<unit>:<quarter>``); the press asks for the text, showing the one it
would replace; the typed text is saved (one per unit and quarter, replacing the earlier one)
and appears on the public page (``/publik``). Whether the person may write for that unit is
decided by ``domain.access.ikm_follow_up_refusal``, on the press and again on the save.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update

from domain.access import Action, ikm_follow_up_refusal
from domain.skm import parse_period
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, reply, requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.routes import Button, Route
from models import ikm_follow_up as store
from models import survey
from models.activities import AlreadySaved
from models.audit import telegram_actor
from texts import Texts
from texts.format import period as period_name

# ``ikf:w:<unit id>:<quarter>``: write the follow-up of that unit and quarter.
BUTTONS = CallbackData("ikf", {"w": "ns"})
MIN_LENGTH = 10


async def may_write(context: SigapContext, unit_id: int) -> bool:
    actor = context.actor
    head = actor.employee_id is not None and await store.is_head(
        context.services.db, actor.employee_id
    )
    return ikm_follow_up_refusal(actor, unit_id, is_head=head) is None


async def follow_up_markup(
    context: SigapContext, unit_id: int, periods: list[str]
) -> InlineKeyboardMarkup | None:
    """The buttons /ikm shows under a unit's results, for those who may write (else None)."""
    if not await may_write(context, unit_id):
        return None
    tr = context.texts
    return buttons(
        [
            [
                (
                    tr.plain("ikm_follow_up.button", period=period_name(p, tr.language)),
                    BUTTONS.pack("w", unit_id, p),
                )
            ]
            for p in periods
        ]
    )


def _saved(tr: Texts, receipt: dict[str, Any]) -> str:
    key = "ikm_follow_up.replaced" if receipt["replaced"] else "ikm_follow_up.saved"
    return tr.t(key, period=period_name(receipt["period"], tr.language), unit=receipt["unit"])


async def _ask(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    current = await store.follow_up_text(call.context.services.db, data["unit_id"], data["period"])
    text = tr.t(
        "ikm_follow_up.ask",
        period=period_name(data["period"], tr.language),
        unit=data["unit_name"],
        limit=store.MAX_FOLLOW_UP,
    )
    if current:
        text += "\n\n" + tr.t("ikm_follow_up.current", text=current)
    await call.say(text)


async def _written(call: FlowCall, typed: str) -> None:
    tr, data, context = call.texts, call.data, call.context
    text = typed.strip()
    if len(text) > store.MAX_FOLLOW_UP:
        await call.say(tr.t("ikm_follow_up.too_long", length=len(text), limit=store.MAX_FOLLOW_UP))
        return
    if len(text) < MIN_LENGTH:
        await call.say(tr.t("ikm_follow_up.too_short", minimum=MIN_LENGTH))
        return
    if not await may_write(context, data["unit_id"]):  # the roster may have changed meanwhile
        await call.finish()
        await call.say(tr.t("ikm_follow_up.not_head"))
        return
    receipt = {"period": data["period"], "unit": data["unit_name"], "replaced": False}
    try:
        receipt["replaced"] = await store.save_follow_up(
            context.services.db,
            data["unit_id"],
            data["period"],
            text,
            employee_id=context.actor.employee_id,
            actor=telegram_actor(context.actor.telegram_id),
            now=context.services.clock.now(),
            ending=call.ending(receipt),
        )
    except AlreadySaved:
        return  # the same message delivered twice: the first one answered
    context.forget_conversation(None)
    await call.say(_saved(tr, receipt))


async def _confirm_again(update: Update, context: SigapContext, receipt: dict[str, Any]) -> None:
    await reply(update, context, _saved(context.texts, receipt))


FOLLOW_UP_FLOW = register(
    Flow(
        "ikm_follow_up",
        "text",
        {"text": Step(prompt=_ask, on_text=_written)},
        confirm_again=_confirm_again,
    )
)


@requires(Action.VIEW_SURVEY_RESULTS, private=True)
async def follow_up_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.texts
    press = BUTTONS.unpack(query.data)
    period = parse_period(press.text or "") if press is not None else None
    if press is None or period is None:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    unit = await survey.get_unit(context.services.db, press.numbers[0])
    if unit is None or unit.id is None or not await may_write(context, unit.id):
        await answer_button(update, tr.plain("ikm_follow_up.not_head"), alert=True)
        return
    await answer_button(update)
    await FOLLOW_UP_FLOW.start(
        update, context, {"unit_id": unit.id, "unit_name": unit.name, "period": period}
    )


ROUTES: list[Route] = [Button(BUTTONS, follow_up_button)]
