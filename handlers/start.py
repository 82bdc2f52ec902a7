"""/start (with invite deep links), /bantuan, /bahasa, /batal and what answers everything else."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError

from domain.access import Action, Actor, Audience, admin_scope, allowed
from handlers import admin, citizen, complaints, desk, flow, worklog
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, is_private, reload_sender, reply
from handlers.context import SigapContext
from handlers.menus import context_menus, set_chat_commands
from handlers.routes import Button, Command, Key, Route, citizen_keyboard, employee_keyboard
from models import identity, menus, survey
from models.identity import LinkOutcome
from texts import LANGUAGES, Texts, texts
from texts.format import listing

log = logging.getLogger("sigap.start")

# The roles besides being an employee, in the order people name them.
ROLE_ORDER = ("supervisor", "complaint_handler", "admin")

# ``lang:id``, ``lang:en``: one verb per language of the catalogues.
LANGUAGE = CallbackData("lang", dict.fromkeys(LANGUAGES, ""))


async def unit_name(context: SigapContext) -> str | None:
    unit_id = context.actor.unit_id
    unit = await survey.get_unit(context.services.db, unit_id) if unit_id is not None else None
    return unit.name if unit is not None else None


def greeting(actor: Actor, tr: Texts, organization: str, unit: str | None = None) -> str:
    if actor.is_employee:
        head = tr.t("start.employee", name=actor.employee_name, unit=unit or actor.unit_code or "")
        # "Pegawai" is what the sentence already says; the other roles follow in words.
        others = [tr.plain(f"roles.{r}").lower() for r in ROLE_ORDER if r in actor.effective_roles]
        if others:
            head += "\n" + tr.t("start.roles", roles=listing(others, tr.language))
    else:
        head = tr.t("start.citizen", name=actor.first_name or "Anda", organization=organization)
    menu = "\n".join(tr.t(f"menu.{audience.value}") for audience in actor.audiences)
    return f"{head}\n\n<b>{tr.t('start.menu_title')}</b>\n{menu}"


async def start(update: Update, context: SigapContext) -> None:
    if not is_private(update):
        await reply(update, context, context.texts.t("common.private_only"))
        return
    args = context.args or []
    if args:
        await _redeem(update, context, args[0])
        return
    actor, tr = context.actor, context.texts
    employee = allowed(actor, Action.USE_EMPLOYEE_SERVICES)
    markup = employee_keyboard(tr) if employee else citizen_keyboard(tr)
    organization = context.services.settings.organization
    unit = await unit_name(context) if actor.is_employee else None
    await reply(update, context, greeting(actor, tr, organization, unit), markup)
    # Set again: a release that changed the command tables, or a menu call that failed,
    # reaches the person when they come back with /start (a citizen with no menu of their own
    # sees the default one: nothing to send).
    try:
        await set_chat_commands(context, actor.telegram_id, actor, own_only=True)
    except TelegramError as exc:
        log.warning("could not set a chat's command menu: %s", exc)


async def _redeem(update: Update, context: SigapContext, token: str) -> None:
    user = update.effective_user
    assert user is not None
    services = context.services
    try:
        result = await identity.redeem_invite(
            services.db,
            token[:64],
            telegram_id=user.id,
            first_name=user.first_name or "",
            username=user.username,
            now=services.clock.now(),
        )
    except identity.LinkRace:
        result = await identity.redeem_invite(
            services.db,
            token[:64],
            telegram_id=user.id,
            first_name=user.first_name or "",
            username=user.username,
            now=services.clock.now(),
        )
    tr = context.texts
    if result.outcome is not LinkOutcome.LINKED:
        # Never the NIP: whoever holds a stray link need not learn whose it was.
        await reply(update, context, tr.t(f"invite.{result.outcome.value}"))
        return
    if result.replaced_telegram_id is not None:
        services.identities.forget(result.replaced_telegram_id)
        # The old account is no longer this employee: its menu goes back to the default.
        await menus.refresh_menus(
            services.db, [result.replaced_telegram_id], context_menus(context), services.clock.now()
        )
    # Reload: from now on this person is an employee with a role-specific menu.
    await reload_sender(update, context)
    actor = context.actor
    await set_chat_commands(context, user.id, actor)
    await reply(
        update,
        context,
        tr.t("start.linked", name=result.employee_name, nip=result.nip)
        + "\n\n"
        + greeting(actor, context.texts, services.settings.organization, await unit_name(context)),
        employee_keyboard(context.texts),
    )


async def help_command(update: Update, context: SigapContext) -> None:
    actor, tr = context.actor, context.texts
    organization = context.services.settings.organization
    text = (
        tr.t("help.employee")
        if actor.is_employee
        else tr.t("help.citizen", organization=organization)
    )
    text += tr.t("survey.help")
    if allowed(actor, Action.VIEW_SURVEY_RESULTS):
        text += tr.t("skm.help")
    if Audience.ADMIN in actor.audiences:
        text += tr.t("help.admin")
    elif Audience.UNIT_ADMIN in actor.audiences:
        text += tr.t("help.unit_admin")
    await reply(update, context, text)


async def language_command(update: Update, context: SigapContext) -> None:
    tr = context.texts
    await reply(
        update,
        context,
        tr.t("language.choose"),
        buttons(
            [
                [
                    (tr.plain("language.button_id"), LANGUAGE.pack("id")),
                    (tr.plain("language.button_en"), LANGUAGE.pack("en")),
                ]
            ]
        ),
    )


async def language_chosen(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    press = LANGUAGE.unpack(query.data)
    if press is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    language = press.verb
    services = context.services
    await identity.set_language(
        services.db, user.id, user.first_name or "", user.username, language, services.clock.now()
    )
    await answer_button(update)
    await reload_sender(update, context)
    if is_private(update):
        await set_chat_commands(context, user.id, context.actor)
    else:
        # Chosen in a group (a complaint desk): the menu of their private chat follows, through
        # the outbox, which fails only that row should they never have opened one.
        await menus.refresh_menus(
            services.db, [user.id], context_menus(context), services.clock.now()
        )
    try:
        await query.edit_message_text(texts(language).t("language.changed"))
    except BadRequest:
        # The choice message is gone or already says this (a double tap): confirm anew.
        await reply(update, context, texts(language).t("language.changed"))


async def cancel_command(update: Update, context: SigapContext) -> None:
    await flow.cancel(update, context)


async def unknown_command(update: Update, context: SigapContext) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0][:64]
    await reply(update, context, context.texts.t("common.unknown_command", command=command))


async def not_understood(update: Update, context: SigapContext) -> None:
    """Text, a photo or anything else outside a flow. Later features (quick activity log,
    complaint replies) plug in here."""
    if not is_private(update):
        await desk.group_message(update, context)
        return
    if await complaints.citizen_reply(update, context):
        return
    message = update.effective_message
    if message is not None and message.document is not None and admin_scope(context.actor):
        # An admin's spreadsheet: the roster, SKP targets or categories to preview.
        await admin.take_file(update, context)
        return
    if message is not None and message.text is None:
        await reply(update, context, context.texts.t("common.unsupported_message"))
        return
    if await worklog.quick_log_or_not_understood(update, context):
        return
    if await citizen.offer_for_text(update, context):
        return
    await reply(update, context, context.texts.t("common.not_understood"))


async def route_message(update: Update, context: SigapContext) -> None:
    await flow.dispatch(update, context, not_understood)


async def membership_changed(update: Update, context: SigapContext) -> None:
    """A person blocked (status "kicked") or unblocked the bot in their private chat; or the
    bot was removed from a group (a complaint desk is then removed)."""
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type != "private":
        if change.new_chat_member.status in ("left", "kicked"):
            await desk.bot_left_group(update, context)
        return
    services = context.services
    if change.new_chat_member.status == "kicked":
        await identity.mark_blocked(services.db, change.chat.id, services.clock.now())
    elif change.new_chat_member.status == "member":
        await identity.mark_unblocked(services.db, change.chat.id)
    services.identities.forget(change.chat.id)


async def edited_message(update: Update, context: SigapContext) -> None:
    if is_private(update):
        await reply(update, context, context.texts.t("common.edit_ignored"))


async def stale_button(update: Update, context: SigapContext) -> None:
    await answer_button(update, context.texts.plain("common.stale_button"))


ROUTES: list[Route] = [
    Command("start", start, "commands.start", (Audience.CITIZEN,)),
    Command("bantuan", help_command, "commands.help", (Audience.CITIZEN,), english="help"),
    Command(
        "bahasa", language_command, "commands.language", (Audience.CITIZEN,), english="language"
    ),
    Command("batal", cancel_command, "commands.cancel", (Audience.CITIZEN,), english="cancel"),
    Key("help", help_command),
    Button(LANGUAGE, language_chosen),
    # A flow's buttons go to the person's open conversation, as their messages do.
    Button(flow.BUTTONS, route_message),
]
