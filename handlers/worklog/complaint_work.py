"""Complaint work as logged work: the offer a handler finds in their private chat after work on
a ticket (``models.complaints.work``) is saved with one tap on a duration, through the work
log's own ``add_activity``, so the day view, the digest, /tim and approvals count it like any
other entry. The offer keeps the entry it made: a second tap, or the same tap delivered again
after a kill, shows the same confirmation and saves nothing more.

``cwk:s:<offer>:<minutes>`` saves, ``cwk:x:<offer>`` puts the offer away
(``services.buttons`` writes them; they wait in the outbox).
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.error import BadRequest

from domain.access import Action, complaint_work_refusal
from domain.worklog.workdates import is_late
from handlers.callback import CallbackData
from handlers.common import answer_button, not_modified, requires
from handlers.context import SigapContext
from handlers.worklog.shared import BACKDATE_WINDOW_DAYS, actor_of, employee_of
from models import activities, complaints, daylog
from models.tables import Activity
from services.buttons import WORK_MINUTES
from services.complaint_work import target_label
from texts.format import duration, format_date

BUTTONS = CallbackData("cwk", {"s": "nn", "x": "n"})


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def work_offer_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.texts
    press = BUTTONS.unpack(query.data)
    offer = await complaints.get_offer(context.services.db, press.numbers[0]) if press else None
    if (
        press is None
        or offer is None
        or complaint_work_refusal(context.actor, offer.employee_id) is not None
        or (press.verb == "s" and press.numbers[1] not in WORK_MINUTES)
    ):
        await answer_button(update, tr.plain("common.stale_button"))
        return
    if press.verb == "x":
        await answer_button(update)
        if offer.activity_id is None:
            await _replace(update, tr.t("complaint_work.skipped", description=offer.description))
        return
    today = context.services.today()
    if offer.activity_id is None and today - offer.work_date > timedelta(BACKDATE_WINDOW_DAYS):
        await answer_button(update)
        await _replace(
            update,
            tr.t("complaint_work.expired", date=format_date(offer.work_date, tr.language)),
        )
        return
    services = context.services
    try:
        saved = await complaints.save_offered_work(
            services.db,
            offer.id or 0,
            employee_of(context),
            press.numbers[1],
            late=is_late(offer.work_date, today),
            actor=actor_of(context),
            now=services.clock.now(),
        )
    except LookupError:
        await answer_button(update, tr.plain("common.stale_button"))
        return
    await answer_button(update, None if saved.created else tr.plain("complaint_work.already_saved"))
    await _confirm(update, context, saved.activity)


async def _confirm(update: Update, context: SigapContext, activity: Activity) -> None:
    """The offer becomes the "Tersimpan" confirmation (again, for a repeated tap), and a reply
    to it corrects the entry like a reply to any other confirmation."""
    services, tr = context.services, context.texts
    count, minutes = await activities.minutes_on(
        services.db, employee_of(context), activity.work_date
    )
    targets = {
        t.id: t
        for t in await activities.targets_for(
            services.db, employee_of(context), activity.work_date.year
        )
    }
    text = tr.t(
        "complaint_work.saved",
        description=activity.description,
        date=format_date(activity.work_date, tr.language),
        duration=duration(activity.minutes, tr.language),
        target=target_label(targets.get(activity.target_id), tr),
        count=count,
        total=duration(minutes, tr.language),
    )
    message = await _replace(update, text)
    if message is not None and activity.id is not None:
        await daylog.remember_saved(
            services.db, message[0], message[1], [activity.id], services.clock.now()
        )


async def _replace(update: Update, text: str) -> tuple[int, int] | None:
    """Show ``text`` in place of the offer, without its buttons; (chat, message) of it."""
    query = update.callback_query
    assert query is not None
    if query.message is None:
        return None
    try:
        await query.edit_message_text(text, reply_markup=None)
    except BadRequest as exc:
        if not not_modified(exc):
            return None
    return query.message.chat.id, query.message.message_id
