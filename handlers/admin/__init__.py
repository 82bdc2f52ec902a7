"""The admin's desk in the chat (/admin): the roster, SKP targets and complaint categories as
Excel files in and out, people and their invites, the office's days off, unit schedules and
the audit log. Modules: ``guard`` (buttons and the access gate) ← ``preview`` (kinds of file,
preview text, downloads) ← ``roster`` and ``tables`` (the kinds: roster; SKP targets and
complaint categories) ← ``intake`` (a file arrives; the preview step); ``people`` (search,
invites, unlink, bans), ``calendar`` (/libur, unit schedules), ``menu`` (/admin, audit view).
"""

from __future__ import annotations

from telegram import Update

from domain.access import Audience, admin_refusal, admin_scope
from handlers.admin import calendar, intake, menu, people, roster, tables
from handlers.admin.guard import ADMIN, TASK_OF_VERB, refuse, unpack
from handlers.common import answer_button
from handlers.context import SigapContext
from handlers.routes import Button, Command, Route

take_file = intake.take_file

# The handler of each press, by verb; each passes the access gate itself.
_PRESSES = {
    "menu": menu.menu_pressed,
    "roster": roster.download_pressed,
    "audit": menu.audit_pressed,
    "people": people.people_pressed,
    "person": people.person_pressed,
    "invite": people.invite_pressed,
    "revoke": people.revoke_pressed,
    "unlink": people.unlink_pressed,
    "unlinkok": people.unlink_confirmed,
    "bans": people.bans_pressed,
    "targets": tables.targets_pressed,
    "categories": tables.categories_pressed,
    "holidays": calendar.days_off_command,
    "holadd": calendar.add_pressed,
    "holrm": calendar.remove_pressed,
    "schedule": calendar.schedule_pressed,
    "unit": calendar.unit_pressed,
}


async def pressed(update: Update, context: SigapContext) -> None:
    press = unpack(update)
    if press is None:
        # Garbled, forged or from an older version: nothing is done, nothing is revealed.
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    task = TASK_OF_VERB[press.verb]
    if admin_scope(context.actor) is None or (task and admin_refusal(context.actor, task)):
        await refuse(update, context)
        return
    handler = _PRESSES.get(press.verb)
    if handler is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    await handler(update, context)


ROUTES: list[Route] = [
    Command("admin", menu.admin_command, "commands.admin", (Audience.UNIT_ADMIN, Audience.ADMIN)),
    Command(
        "libur",
        calendar.days_off_command,
        "commands.days_off",
        (Audience.ADMIN,),
        english="daysoff",
    ),
    Button(ADMIN, pressed),
]
