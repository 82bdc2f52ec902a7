"""The admin desk's buttons and its one access gate.

Who may do what is decided in ``domain.access`` (``admin_refusal``); every command, button and
file of the desk passes through ``requires_admin`` below, so no handler of the package tests a
role itself. A press of a button that names a person or a unit is checked again on that
person's unit by the handler, through the same function, once it knows the unit.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from domain.access import AdminScope, AdminTask, admin_refusal, admin_scope
from handlers.callback import CallbackData, Press
from handlers.common import answer_button, is_private, reply
from handlers.context import SigapContext

# ``adm:<verb>[:<id>]``: the desk's menu and the people panel.
ADMIN = CallbackData(
    "adm",
    {
        "menu": "",
        "roster": "",
        "targets": "",
        "categories": "",
        "people": "",
        "audit": "",
        "holidays": "",
        "schedule": "",
        "person": "n",
        "invite": "n",
        "revoke": "n",
        "unlink": "n",
        "unlinkok": "n",
        "bans": "",
        "holadd": "",
        "holrm": "d",
        "unit": "n",
    },
)

# Which task each press is: checked before the press is handled.
TASK_OF_VERB = {
    "menu": None,
    "roster": AdminTask.ROSTER,
    "targets": AdminTask.TARGETS,
    "categories": AdminTask.CATEGORIES,
    "people": AdminTask.PEOPLE,
    "audit": AdminTask.AUDIT,
    "holidays": AdminTask.HOLIDAYS,
    "schedule": AdminTask.SCHEDULE,
    "person": AdminTask.PEOPLE,
    "invite": AdminTask.PEOPLE,
    "revoke": AdminTask.PEOPLE,
    "unlink": AdminTask.PEOPLE,
    "unlinkok": AdminTask.PEOPLE,
    "bans": AdminTask.BANS,
    "holadd": AdminTask.HOLIDAYS,
    "holrm": AdminTask.HOLIDAYS,
    "unit": AdminTask.SCHEDULE,
}

AdminCallback = Callable[[Update, SigapContext, AdminScope], Awaitable[Any]]


async def refuse(update: Update, context: SigapContext) -> None:
    """The one answer to someone outside their reach: the same for a non-admin, a unit admin
    beyond their unit and a forged press, so nothing is learnt from it."""
    tr = context.texts
    await answer_button(update, tr.plain("common.denied"), alert=True)
    if update.callback_query is None:
        await reply(update, context, tr.t("common.denied"))


def requires_admin(task: AdminTask | None) -> Callable[[AdminCallback], Callable[..., Any]]:
    """Run the handler with the admin's scope if ``task`` (None: just being an admin) is theirs,
    in a private chat (the desk shows personal data)."""

    def decorate(handler: AdminCallback) -> Callable[..., Any]:
        @functools.wraps(handler)
        async def guarded(update: Update, context: SigapContext) -> Any:
            scope = admin_scope(context.actor)
            if scope is None or (task is not None and admin_refusal(context.actor, task)):
                await refuse(update, context)
                return None
            if not is_private(update):
                await answer_button(update)
                await reply(update, context, context.texts.t("common.private_only"))
                return None
            return await handler(update, context, scope)

        return guarded

    return decorate


def may(context: SigapContext, task: AdminTask, unit_id: int | None = None) -> bool:
    return admin_refusal(context.actor, task, unit_id) is None


def unpack(update: Update) -> Press | None:
    query = update.callback_query
    return ADMIN.unpack(query.data if query else None)
