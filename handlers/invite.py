"""/undang: an admin creates an employee's invite link from the chat.

Two steps: type the NIP (validated, looked up in the roster) → confirm the person → the link.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from domain.access import Action, Audience
from domain.nip import validate_nip
from handlers.common import requires
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.routes import Command, Route
from models import identity
from texts import Html
from texts.format import format_datetime


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


async def _ask_nip(call: FlowCall) -> None:
    await call.say(call.texts.t("invite_flow.ask_nip"))


async def _got_nip(call: FlowCall, text: str) -> None:
    tr = call.texts
    check = validate_nip(text)
    if not check.ok:
        await call.say(tr.t("nip.invalid", reason=tr.plain(f"nip.{check.code}")))
        return
    found = await identity.find_employee(call.context.services.db, check.nip)
    if found is None:
        await call.say(tr.t("invite_flow.nip_not_found", nip=check.nip))
        return
    employee, unit_code, linked = found
    await call.goto(
        "confirm", {"nip": employee.nip, "name": employee.name, "unit": unit_code, "linked": linked}
    )


async def _confirm_prompt(call: FlowCall) -> None:
    tr, data = call.texts, call.data
    note = tr.t("invite_flow.already_linked_note") if data["linked"] else ""
    await call.say(
        tr.t(
            "invite_flow.confirm",
            name=data["name"],
            nip=data["nip"],
            unit=data["unit"],
            linked_note=Html(note),
        ),
        [
            [
                (tr.plain("invite_flow.button_create"), "create"),
                (tr.plain("invite_flow.button_cancel"), "cancel"),
            ]
        ],
    )


async def _confirmed(call: FlowCall, value: str) -> None:
    tr, data, services = call.texts, call.data, call.context.services
    if value != "create":
        await call.finish()
        await call.say(tr.t("common.cancelled"))
        return
    issued = await identity.issue_invites(
        services.db,
        now=services.clock.now(),
        ttl=timedelta(days=services.settings.invite_ttl_days),
        actor=f"tg:{call.context.actor.telegram_id}",
        nip=data["nip"],
        include_linked=True,
    )
    await call.finish()
    invite = issued[0]
    expires = format_datetime(invite.expires_at, services.timezone, tr.language)
    await call.say(
        tr.t(
            "invite_flow.created",
            name=invite.employee.name,
            expires=expires,
            link=invite_link(services.bot_username, invite.token),
        )
    )


INVITE_FLOW = register(
    Flow(
        "invite",
        "nip",
        {
            "nip": Step(prompt=_ask_nip, on_text=_got_nip),
            "confirm": Step(prompt=_confirm_prompt, on_button=_confirmed),
        },
    )
)


@requires(Action.CREATE_INVITE, private=True)
async def invite_command(update: Update, context: SigapContext) -> None:
    await INVITE_FLOW.start(update, context)


ROUTES: list[Route] = [
    Command("undang", invite_command, "commands.invite", (Audience.ADMIN,), english="invite"),
]
