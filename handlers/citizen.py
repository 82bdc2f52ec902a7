"""A citizen's first message is usually free text ("halo pak, saya mau tanya cara buat KTP"),
not a command. Outside any conversation such text is taken as the start of what they want:
they are offered, with their words kept, to send it on as a complaint, a suggestion or an
information request, to fill in the satisfaction survey, or, when the text holds a tracking
number, to see that complaint's status.

The offer is a one-step flow whose data is the text, so the words survive a restart and more
messages sent before choosing are added to them. (Citizens also have a reply keyboard,
``handlers.routes.CITIZEN_KEYBOARD``, whose keys the modules of those commands answer.)
"""

from __future__ import annotations

from telegram import Update

from domain.access import Action, allowed
from domain.complaints import Kind, find_tracking_number
from handlers import survey
from handlers.complaints.filing import start_filing
from handlers.complaints.follow_up import status_command
from handlers.context import SigapContext
from handlers.flow import MAX_TEXT, Flow, FlowCall, Step, register


async def _offer(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    rows = [[(tr.plain(f"citizen_text.as_{kind.value}"), f"k:{kind.value}")] for kind in Kind]
    rows.append([(tr.plain("citizen_text.survey"), "survey")])
    if data.get("number"):
        rows.insert(0, [(tr.plain("citizen_text.status", number=data["number"]), "status")])
    await call.say(tr.t("citizen_text.offer"), rows)


async def _more_text(call: FlowCall, text: str) -> None:
    """A second message before choosing ("halo pak" … "mau tanya KTP"): one request."""
    combined = f"{call.data['text']}\n{text}"
    if len(combined) > MAX_TEXT:
        combined = text
    await call.goto("offer", {"text": combined, "number": find_tracking_number(combined)})


async def _chosen(call: FlowCall, value: str) -> None:
    update, context, data = call.update, call.context, call.data
    if value.startswith("k:") and value[2:] in {kind.value for kind in Kind}:
        await start_filing(update, context, value[2:], data["text"])
    elif value == "survey":
        await survey.survey_command(update, context)
    elif value == "status" and data.get("number"):
        await call.finish()
        context.args = [data["number"]]
        await status_command(update, context)


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
