"""People at the admin's desk: search by name or NIP, one person's card (unit, supervisor,
roles, linked or not, last entry, a pending invite), their invite link made or revoked, a lost
phone unlinked (the old account is told), and a complaint account banned or unbanned by one of
its tracking numbers (nobody sees who it is).

Every press names an employee by id; whether that employee is within the admin's reach is
decided on the employee's unit (``domain.access.admin_refusal``), so a forged id of another
unit is "not found".
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update

from domain.access import AdminScope, AdminTask, admin_refusal, admin_scope
from domain.complaints import parse_tracking_number
from handlers.admin.guard import ADMIN, refuse, requires_admin, unpack
from handlers.common import answer_button, buttons, reply
from handlers.context import SigapContext
from handlers.flow import Flow, FlowCall, Step, register
from handlers.invite import invite_link
from handlers.menus import context_menus
from models import identity
from models.admin_people import (
    PersonCard,
    person_card,
    revoke_invites,
    search_people,
    unlink_account,
)
from models.audit import telegram_actor
from models.complaints import ban_reporter, unban_reporter
from texts import Texts, texts
from texts.format import format_date, format_datetime

# --- search -------------------------------------------------------------------------------


async def _ask_query(call: FlowCall) -> None:
    await call.say(call.texts.t("admin_people.ask_query"))


async def _got_query(call: FlowCall, text: str) -> None:
    tr, context = call.texts, call.context
    if len(text.strip()) < 2:
        await call.say(tr.t("admin_people.query_short"))
        return
    scope = admin_scope(context.actor)
    if scope is None:
        await call.finish()
        await refuse(call.update, context)
        return
    hits = await search_people(context.services.db, text.strip(), scope.unit_id)
    await call.finish()
    if not hits:
        await call.say(tr.t("admin_people.none", query=text.strip()))
        return
    inactive = tr.plain("admin_people.inactive")
    rows = [
        [(f"{h.name} · {h.unit_code}{'' if h.active else inactive}", ADMIN.pack("person", h.id))]
        for h in hits
    ]
    await reply(call.update, context, tr.t("admin_people.found", count=len(hits)), buttons(rows))


SEARCH_FLOW = register(
    Flow("admin_people", "query", {"query": Step(prompt=_ask_query, on_text=_got_query)})
)


@requires_admin(AdminTask.PEOPLE)
async def people_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    await SEARCH_FLOW.start(update, context)


# --- one person -----------------------------------------------------------------------------


async def _card_in_reach(update: Update, context: SigapContext) -> PersonCard | None:
    """The employee the press names, if the admin reaches them; else refused here."""
    press = unpack(update)
    services = context.services
    card = None
    if press is not None and press.numbers:
        card = await person_card(services.db, press.numbers[0], services.clock.now())
    if card is None or admin_refusal(context.actor, AdminTask.PEOPLE, card.unit_id):
        await refuse(update, context)
        return None
    return card


def card_text(card: PersonCard, tr: Texts, zone: ZoneInfo) -> str:
    roles = ", ".join(tr.plain(f"roles.{r}") for r in sorted(card.roles))
    if card.linked:
        account = tr.plain("admin_people.blocked" if card.blocked else "admin_people.linked")
    elif card.invite_expires is not None:
        expires = format_datetime(card.invite_expires, zone, tr.language)
        account = tr.plain("admin_people.invited", expires=expires)
    else:
        account = tr.plain("admin_people.not_linked")
    last = (
        format_date(card.last_entry, tr.language)
        if card.last_entry
        else tr.plain("admin_people.no_entries")
    )
    return tr.t(
        "admin_people.card",
        name=card.name,
        nip=card.nip,
        position=card.position or "–",
        unit=f"{card.unit_code} · {card.unit_name}",
        supervisor=card.supervisor or "–",
        roles=roles,
        status=tr.plain("admin_field.active_yes" if card.active else "admin_field.active_no"),
        account=account,
        last=last,
    )


def card_buttons(card: PersonCard, tr: Texts) -> InlineKeyboardMarkup | None:
    rows = []
    if card.active:
        rows.append([(tr.plain("admin_people.button_invite"), ADMIN.pack("invite", card.id))])
    if card.invite_expires is not None:
        rows.append([(tr.plain("admin_people.button_revoke"), ADMIN.pack("revoke", card.id))])
    if card.linked:
        rows.append([(tr.plain("admin_people.button_unlink"), ADMIN.pack("unlink", card.id))])
    return buttons(rows) if rows else None


PersonCallback = Callable[[Update, SigapContext, PersonCard], Awaitable[None]]


def on_person(handler: PersonCallback) -> Callable[..., Any]:
    """A press that names an employee: through the gate, then only for someone in reach."""

    @requires_admin(AdminTask.PEOPLE)
    @functools.wraps(handler)
    async def pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
        card = await _card_in_reach(update, context)
        if card is None:
            return
        await answer_button(update)
        await handler(update, context, card)

    return pressed


@on_person
async def person_pressed(update: Update, context: SigapContext, card: PersonCard) -> None:
    tr = context.texts
    await reply(
        update, context, card_text(card, tr, context.services.timezone), card_buttons(card, tr)
    )


@on_person
async def invite_pressed(update: Update, context: SigapContext, card: PersonCard) -> None:
    tr, services = context.texts, context.services
    issued = await identity.issue_invites(
        services.db,
        now=services.clock.now(),
        ttl=timedelta(days=services.settings.invite_ttl_days),
        actor=telegram_actor(context.actor.telegram_id),
        nip=card.nip,
        include_linked=True,
    )
    if not issued:  # deactivated meanwhile
        await reply(update, context, tr.t("admin_people.inactive_now"))
        return
    invite = issued[0]
    expires = format_datetime(invite.expires_at, services.timezone, tr.language)
    link = invite_link(services.bot_username, invite.token)
    await reply(
        update,
        context,
        tr.t("invite_flow.created", name=invite.employee.name, expires=expires, link=link),
    )


@on_person
async def revoke_pressed(update: Update, context: SigapContext, card: PersonCard) -> None:
    services = context.services
    count = await revoke_invites(
        services.db,
        card.id,
        actor=telegram_actor(context.actor.telegram_id),
        now=services.clock.now(),
    )
    key = "admin_people.revoked" if count else "admin_people.nothing_to_revoke"
    await reply(update, context, context.texts.t(key, name=card.name))


@on_person
async def unlink_pressed(update: Update, context: SigapContext, card: PersonCard) -> None:
    tr = context.texts
    confirm = buttons(
        [[(tr.plain("admin_people.button_unlink_ok"), ADMIN.pack("unlinkok", card.id))]]
    )
    await reply(update, context, tr.t("admin_people.unlink_confirm", name=card.name), confirm)


@on_person
async def unlink_confirmed(update: Update, context: SigapContext, card: PersonCard) -> None:
    services = context.services
    default = services.settings.default_language

    def notice(language: str | None) -> dict[str, object]:
        tr = texts(language or default)
        return {
            "method": "sendMessage",
            "text": tr.t("admin_people.unlinked_notice", name=card.name),
        }

    old = await unlink_account(
        services.db,
        card.id,
        actor=telegram_actor(context.actor.telegram_id),
        now=services.clock.now(),
        notice=notice,
        menus=context_menus(context),
    )
    if old is None:
        await reply(update, context, context.texts.t("admin_people.not_linked_now", name=card.name))
        return
    services.identities.forget(old)
    await reply(update, context, context.texts.t("admin_people.unlinked", name=card.name))


# --- complaint bans ---------------------------------------------------------------------------


async def _ask_number(call: FlowCall) -> None:
    await call.say(call.texts.t("admin_ban.ask_number"))


async def _got_number(call: FlowCall, text: str) -> None:
    number = parse_tracking_number(text)
    if number is None:
        await call.say(call.texts.t("admin_ban.invalid_number", text=text.strip()[:40]))
        return
    await call.goto("decide", {"number": number})


async def _ask_decision(call: FlowCall) -> None:
    tr = call.texts
    await call.say(
        tr.t("admin_ban.decide", number=call.data["number"]),
        [
            [
                (tr.plain("admin_ban.button_ban"), "ban"),
                (tr.plain("admin_ban.button_unban"), "unban"),
            ],
            [(tr.plain("admin_preview.button_cancel"), "cancel")],
        ],
    )


async def _decided(call: FlowCall, value: str) -> None:
    tr, data, services = call.texts, call.data, call.context.services
    if value == "ban":
        await call.goto("reason", data)
        return
    await call.finish()
    if value != "unban":
        await call.say(tr.t("admin_preview.cancelled"))
        return
    lifted = await unban_reporter(
        services.db,
        data["number"],
        actor=telegram_actor(call.context.actor.telegram_id),
        now=services.clock.now(),
    )
    await call.say(
        tr.t("admin_ban.unbanned" if lifted else "admin_ban.not_banned", number=data["number"])
    )


async def _ask_reason(call: FlowCall) -> None:
    await call.say(call.texts.t("admin_ban.ask_reason", number=call.data["number"]))


async def _got_reason(call: FlowCall, text: str) -> None:
    tr, data, services = call.texts, call.data, call.context.services
    reason = " ".join(text.split())[:500]
    if not reason:
        await call.say(tr.t("admin_ban.ask_reason", number=data["number"]))
        return
    await call.finish()
    banned = await ban_reporter(
        services.db,
        data["number"],
        reason,
        actor=telegram_actor(call.context.actor.telegram_id),
        now=services.clock.now(),
    )
    await call.say(
        tr.t("admin_ban.banned" if banned else "admin_ban.not_found", number=data["number"])
    )


BAN_FLOW = register(
    Flow(
        "admin_ban",
        "number",
        {
            "number": Step(prompt=_ask_number, on_text=_got_number),
            "decide": Step(prompt=_ask_decision, on_button=_decided),
            "reason": Step(prompt=_ask_reason, on_text=_got_reason),
        },
    )
)


@requires_admin(AdminTask.BANS)
async def bans_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    await BAN_FLOW.start(update, context)
