"""A citizen's first message is usually free text ("halo pak, saya mau tanya cara buat KTP"),
not a command. Outside any conversation such text is taken as the start of what they want:
they are offered, with their words kept, to send it on as a complaint, a suggestion or an
information request, to fill in the satisfaction survey, or, when the text holds a tracking
number, to see that complaint's status.

The offer is a one-step flow whose data is the text, so the words survive a restart and more
messages sent before choosing are added to them. (Citizens also have a reply keyboard,
``handlers.routes.CITIZEN_KEYBOARD``, whose keys the modules of those commands answer.)

Each message is answered with an offer under it, where the thumb is. A message that adds to
the words keeps the conversation's version, so every offer shown for it acts on the same,
whole text: the earlier offers keep their buttons while the citizen is still writing (they
would do exactly what the newest does; no press is refused and no Bot API call is spent per
message taking them off), and all of them but the pressed one lose their buttons once the
citizen chooses. Whenever the text an offer acts on changes (a new conversation, or words
too long to join), the earlier offers lose their buttons before the new one is shown: a
citizen never sees two live offers that would act on different texts.
"""

from __future__ import annotations

from telegram import Update

from domain.access import Action, allowed
from domain.complaints import Kind, find_tracking_number
from handlers import survey
from handlers.common import buttons_json, remove_buttons, reply
from handlers.complaints.filing import start_filing
from handlers.complaints.follow_up import status_command
from handlers.context import SigapContext
from handlers.flow import (
    BUTTONS,
    MAX_TEXT,
    Flow,
    FlowCall,
    Step,
    register,
    remember_keyboard,
    retire_keyboard,
)

OFFERS_KEPT = 2000  # people whose offers shown are remembered (as flow.KEYBOARDS_KEPT)


async def _offer(call: FlowCall) -> None:
    tr, data, context = call.texts, call.data, call.context
    rows = [[(tr.plain(f"citizen_text.as_{kind.value}"), f"k:{kind.value}")] for kind in Kind]
    rows.append([(tr.plain("citizen_text.survey"), "survey")])
    if data.get("number"):
        rows.insert(0, [(tr.plain("citizen_text.status", number=data["number"]), "status")])
    key = (call.conversation.chat_id, call.conversation.user_id)
    version = call.conversation.version
    offers = context.bot_data.citizen_offers
    shown = offers.pop(key, None)
    if shown is None or shown[0] != version:
        # The earlier offers acted on another text (or another flow's question is open).
        await _retire_offers(context, key, shown[1] if shown else [])
        shown = (version, [])
    packed = [[(label, BUTTONS.pack(version, value)) for label, value in row] for row in rows]
    sent = await reply(call.update, context, tr.t("citizen_text.offer"), buttons_json(packed))
    if sent is None:
        return
    shown[1].append(sent.message_id)
    offers[key] = shown
    while len(offers) > OFFERS_KEPT:
        offers.popitem(last=False)
    # The flow engine takes the newest offer's buttons off when the conversation moves on
    # without a press on it (a command starting another flow).
    remember_keyboard(context, key, sent.message_id)


async def _retire_offers(context: SigapContext, key: tuple[int, int], shown: list[int]) -> None:
    """Take the buttons off these offers, and off the flow question remembered for ``key``."""
    remembered = context.bot_data.flow_keyboards.get(key)
    await retire_keyboard(context, key)
    for message_id in shown:
        if message_id != remembered:
            await remove_buttons(context, key[0], message_id)


async def _more_text(call: FlowCall, text: str) -> None:
    """A second message before choosing ("halo pak" … "mau tanya KTP"): one request. Kept in
    the same version (``save``), so the offers already shown act on the joined words too."""
    combined = f"{call.data['text']}\n{text}"
    data = {"text": combined, "number": find_tracking_number(combined)}
    if len(combined) > MAX_TEXT:
        # Only the new words are kept: the earlier offers must not act on them.
        await call.goto("offer", {"text": text, "number": find_tracking_number(text)})
        return
    await call.save(data)
    await _offer(call)


async def _chosen(call: FlowCall, value: str) -> None:
    update, context, data = call.update, call.context, call.data
    # The pressed offer is settled by the flow engine; the others shown for the same words
    # lose their buttons once the choice is answered.
    key = (call.conversation.chat_id, call.conversation.user_id)
    query = update.callback_query
    pressed = query.message.message_id if query is not None and query.message else None
    shown = context.bot_data.citizen_offers.pop(key, None)
    others = [m for m in shown[1] if m != pressed] if shown else []
    if context.bot_data.flow_keyboards.get(key) in others:
        del context.bot_data.flow_keyboards[key]
    if value.startswith("k:") and value[2:] in {kind.value for kind in Kind}:
        await start_filing(update, context, value[2:], data["text"])
    elif value == "survey":
        await survey.survey_command(update, context)
    elif value == "status" and data.get("number"):
        await call.finish()
        context.args = [data["number"]]
        await status_command(update, context)
    for message_id in others:
        await remove_buttons(context, key[0], message_id)


OFFER_FLOW = register(
    Flow("citizen_text", "offer", {"offer": Step(_offer, on_text=_more_text, on_button=_chosen)})
)


async def offer_for_text(update: Update, context: SigapContext) -> bool:
    """Free text from a citizen outside any flow: offer what it could start."""
    message = update.effective_message
    if (
        message is None
        or message.text is None
        or context.actor.is_employee
        or not allowed(context.actor, Action.USE_CITIZEN_SERVICES)
    ):
        return False
    text = message.text
    await OFFER_FLOW.start(update, context, {"text": text, "number": find_tracking_number(text)})
    return True
