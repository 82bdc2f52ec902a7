"""/digest: a supervisor's digest of last week, sent as a direct reply (not through the outbox)."""

from __future__ import annotations

import asyncio

from telegram import Update

from domain.access import Action, Audience
from domain.digest import previous_week
from handlers.common import reply, requires
from handlers.context import SigapContext
from handlers.routes import Command, Route
from models import activities
from models.digest import build_digests
from services.digest import render


@requires(Action.SUPERVISE, private=True)
async def digest_command(update: Update, context: SigapContext) -> None:
    supervisor_id = context.actor.employee_id
    chat = update.effective_chat
    if supervisor_id is None or chat is None:
        await reply(update, context, context.texts.t("common.denied"))
        return
    services = context.services
    tr = context.texts
    today = services.today()
    calendar = await activities.work_calendar(services.db)
    digests = await build_digests(
        services.db,
        calendar,
        *previous_week(today),
        [supervisor_id],
        zone=services.timezone,
        today=today,
    )
    if not digests:
        await reply(update, context, tr.t("digest.no_reports"))
        return
    name = context.actor.employee_name or ""
    data_dir = services.settings.data_dir
    # One render for the person who asked: a thread, started at once (the rendering process
    # is for the scheduler's waves, services/offload.py).
    out = await asyncio.to_thread(render, tr, digests[0], name, data_dir)
    for text in out.texts:
        await reply(update, context, text)
    with (data_dir / out.chart).open("rb") as chart:
        await context.bot.send_photo(chat.id, chart, caption=out.chart_caption)
    with (data_dir / out.xlsx).open("rb") as xlsx:
        await context.bot.send_document(
            chat.id, xlsx, caption=out.xlsx_caption, filename=out.xlsx_name
        )


ROUTES: list[Route] = [
    Command("digest", digest_command, "commands.digest", (Audience.SUPERVISOR,)),
]
