"""/start (with invite deep links), /bantuan, /bahasa, /batal and what answers everything else."""

from __future__ import annotations

from telegram import BotCommand, BotCommandScopeChat, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.i18n import Texts, texts
from bot.services import SigapContext
from bot.settings import LANGUAGES
from domain.access import Action, Actor, Audience, allowed
from handlers import complaints, desk, flow, leave, myday, worklog
from handlers.common import answer_button, buttons, is_private, reload_sender, reply
from models import identity
from models.identity import LinkOutcome

# Which commands each audience sees in Telegram's menu, in both languages (Indonesian name,
# English name, description key). Later features add their rows here.
COMMANDS: dict[Audience, list[tuple[str, str, str]]] = {
    Audience.CITIZEN: [
        ("start", "start", "commands.start"),
        ("bantuan", "help", "commands.help"),
        ("aduan", "complaint", "complaint_commands.complaint"),
        ("status", "status", "complaint_commands.status"),
        ("survei", "survey", "survey_commands.survey"),
        ("bahasa", "language", "commands.language"),
        ("batal", "cancel", "commands.cancel"),
    ],
    Audience.EMPLOYEE: [
        ("lapor", "log", "commands.log"),
        ("hariini", "today", "commands.today"),
        ("rekap", "summary", "commands.recap"),
        ("skp", "skp", "commands.skp"),
        ("izin", "leave", "commands.leave"),
        ("pengingat", "reminder", "commands.reminder"),
        ("catatan", "feedback", "commands.feedback"),
        ("ekspor", "export", "export.command"),
    ],
    Audience.SUPERVISOR: [
        ("persetujuan", "approvals", "commands.approvals"),
        ("tim", "team", "commands.team"),
        ("penilaian", "assessment", "assessment.command"),
        ("ikm", "ikm", "survey_commands.ikm"),
    ],
    Audience.COMPLAINT_HANDLER: [],
    Audience.ADMIN: [
        ("undang", "invite", "commands.invite"),
        ("ikm", "ikm", "survey_commands.ikm"),
        ("pasang_meja", "install_desk", "complaint_commands.install_desk"),
        ("lepas_meja", "uninstall_desk", "desk_lifecycle.command"),
    ],
}


def commands_for(audiences: list[Audience], language: str) -> list[BotCommand]:
    tr = texts(language)
    rows = COMMANDS[Audience.CITIZEN] + [r for a in audiences for r in COMMANDS[a]]
    # A command two roles share (/ikm for a supervisor who is also an admin) is listed once.
    return [
        BotCommand(name_id if language == "id" else name_en, tr.plain(key))
        for name_id, name_en, key in dict.fromkeys(rows)
    ]


async def set_chat_commands(context: SigapContext, chat_id: int, actor: Actor) -> None:
    """Telegram's command menu for one person, for their roles and language."""
    await context.bot.set_my_commands(
        commands_for(actor.audiences, actor.language), scope=BotCommandScopeChat(chat_id)
    )


def greeting(actor: Actor, tr: Texts, organization: str, unit_name: str | None = None) -> str:
    if actor.is_employee:
        head = tr.t(
            "start.employee", name=actor.employee_name, unit=unit_name or actor.unit_code or ""
        )
        roles = ", ".join(tr.plain(f"roles.{r}") for r in sorted(actor.effective_roles))
        head += f" ({roles})"
    else:
        head = tr.t("start.citizen", name=actor.first_name or "Anda", organization=organization)
    menu = "\n".join(tr.t(f"menu.{audience.value}") for audience in actor.audiences)
    return f"{head}\n\n<b>{tr.t('start.menu_title')}</b>\n{menu}"


KEYBOARD = (("log", "today"), ("recap", "leave"))


def employee_keyboard(tr: Texts) -> ReplyKeyboardMarkup:
    """The always-visible menu for employees: one tap instead of typing a command."""
    return ReplyKeyboardMarkup(
        [[tr.plain(f"keyboard.{key}") for key in row] for row in KEYBOARD],
        resize_keyboard=True,
        is_persistent=True,
    )


def keyboard_labels() -> dict[str, str]:
    """Every keyboard label in every language → its key (an old keyboard keeps working after
    a language switch)."""
    return {
        texts(language).plain(f"keyboard.{key}"): key
        for language in LANGUAGES
        for row in KEYBOARD
        for key in row
    }


async def start(update: Update, context: SigapContext) -> None:
    if not is_private(update):
        await reply(update, context, context.texts.t("common.private_only"))
        return
    args = context.args or []
    if args:
        await _redeem(update, context, args[0])
        return
    actor, tr = context.actor, context.texts
    markup = employee_keyboard(tr) if allowed(actor, Action.USE_EMPLOYEE_SERVICES) else None
    await reply(
        update, context, greeting(actor, tr, context.services.settings.organization), markup
    )


async def keyboard_button(update: Update, context: SigapContext) -> None:
    """A press on the reply keyboard arrives as plain text: treat it as the command."""
    message = update.effective_message
    key = keyboard_labels().get(message.text or "") if message else None
    handlers = {
        "log": worklog.lapor_command,
        "today": myday.today_command,
        "recap": myday.recap_command,
        "leave": leave.leave_command,
    }
    context.args = []
    if key in handlers:
        await handlers[key](update, context)


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
    # Reload: from now on this person is an employee with a role-specific menu.
    await reload_sender(update, context)
    actor = context.actor
    await set_chat_commands(context, user.id, actor)
    await reply(
        update,
        context,
        tr.t("start.linked", name=result.employee_name, nip=result.nip)
        + "\n\n"
        + greeting(actor, context.texts, services.settings.organization),
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
                    (tr.plain("language.button_id"), "lang:id"),
                    (tr.plain("language.button_en"), "lang:en"),
                ]
            ]
        ),
    )


async def language_chosen(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    language = (query.data or "").removeprefix("lang:")
    if language not in ("id", "en"):
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    services = context.services
    await identity.set_language(
        services.db, user.id, user.first_name or "", user.username, language, services.clock.now()
    )
    await answer_button(update)
    await reload_sender(update, context)
    if is_private(update):
        await set_chat_commands(context, user.id, context.actor)
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
        return
    if await complaints.citizen_reply(update, context):
        return
    message = update.effective_message
    if message is not None and message.text is None:
        await reply(update, context, context.texts.t("common.unsupported_message"))
        return
    if await worklog.quick_log_or_not_understood(update, context):
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
