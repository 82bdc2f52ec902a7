"""The composition root: ``build_application`` makes the whole bot from settings.

Production (``sigap run``), the end-to-end tests, the benchmark and the sandbox all call this same
function; they differ only in settings (API base URL, database) and the injected clock.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from telegram import BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.http import AiohttpRequest
from bot.processor import ChatOrderedProcessor
from bot.services import Services, SigapContext
from bot.settings import LANGUAGES, Settings
from domain.clock import Clock, SystemClock
from handlers import (
    approvals,
    assessment,
    complaints,
    desk,
    digest,
    errors,
    export,
    invite,
    leave,
    myday,
    reminders,
    start,
    survey,
    team,
    worklog,
)
from handlers.common import load_sender
from models.db import Database
from models.identity import IdentityCache
from scheduler.outbox import OutboxSender, outbox_bot
from scheduler.service import Scheduler, blocked_hook

log = logging.getLogger("sigap")

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


def build_application(
    settings: Settings, *, db: Database | None = None, clock: Clock | None = None
) -> Application:  # type: ignore[type-arg]
    token = settings.require_token()
    services = Services(
        settings=settings,
        db=db or Database(settings.resolved_database_url),
        clock=clock or SystemClock(),
        identities=IdentityCache(ttl=settings.identity_cache_seconds),
    )
    pool = settings.concurrent_updates + 8
    application = (
        Application.builder()
        .token(token)
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)))
        .context_types(ContextTypes(context=SigapContext))
        .concurrent_updates(ChatOrderedProcessor(settings.concurrent_updates))
        .request(AiohttpRequest(connection_limit=pool, read_timeout=15, write_timeout=15))
        .get_updates_request(AiohttpRequest(connection_limit=1, read_timeout=40))
        # Replies are not throttled overall (a reminder wave brings hundreds of replies at once);
        # groups are held to 20/min and a 429 is waited out and retried instead of lost
        # (PTB's defaults lose messages under a strict limit: perf-notes.md).
        .rate_limiter(AIORateLimiter(overall_max_rate=0, max_retries=3))
        # Updates come from bot.polling's DurablePoller or bot.webhook, never PTB's Updater,
        # which confirms updates to Telegram before they are handled.
        .updater(None)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["services"] = services
    # Notifications that are not replies go through the outbox, paced by its own sender on a
    # Bot without PTB's rate limiter (the sender handles 429s itself).
    notifier = outbox_bot(token, settings.bot_api_url)
    sender = OutboxSender(
        services.db,
        notifier,
        services.clock,
        # 25/s rather than Telegram's 30/s: replies to people share the same overall limit.
        overall_rate=25,
        on_blocked=desk.blocked_hook(application, then=blocked_hook(services)),
        on_migrated=desk.migrated_hook(application),
        data_dir=settings.data_dir,
    )
    application.bot_data["scheduler"] = Scheduler(services, sender, notifier)
    register_handlers(application)
    return application


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Every handler, in one place. Order matters within group 0: the first match answers.

    group -1  load who is talking (stops updates without a sender)
    group 0   commands → known buttons → flow buttons → unknown commands → edits →
              replies in groups (complaint desks) →
              everything else to the open conversation (or the no-conversation answer) →
              leftover buttons (stale)
    """
    application.add_handler(TypeHandler(Update, load_sender), group=-1)
    private = filters.ChatType.PRIVATE
    add = application.add_handler
    add(CommandHandler("start", start.start))
    add(CommandHandler(["bantuan", "help"], start.help_command))
    add(CommandHandler(["bahasa", "language"], start.language_command))
    add(CommandHandler(["batal", "cancel"], start.cancel_command))
    add(CommandHandler(["undang", "invite"], invite.invite_command))
    add(CommandHandler(["lapor", "log"], worklog.lapor_command))
    add(CommandHandler(["hariini", "today"], myday.today_command))
    add(CommandHandler(["rekap", "summary"], myday.recap_command))
    add(CommandHandler("skp", myday.skp_command))
    add(CommandHandler(["izin", "leave"], leave.leave_command))
    add(CommandHandler(["pengingat", "reminder"], reminders.reminder_command))
    add(CommandHandler("digest", digest.digest_command))
    add(CommandHandler(["ekspor", "export"], export.export_command))
    add(CommandHandler(["penilaian", "assessment"], assessment.assessment_command))
    add(CommandHandler(["persetujuan", "approvals"], approvals.approvals_command))
    add(CommandHandler(["tim", "team"], team.team_command))
    add(CommandHandler(["catatan", "feedback"], team.feedback_command))
    add(CommandHandler(["aduan", "complaint"], complaints.complaint_command))
    add(CommandHandler("status", complaints.status_command))
    add(CommandHandler(["survei", "survey"], survey.survey_command))
    add(CommandHandler("ikm", survey.ikm_command))
    add(CommandHandler(["pasang_meja", "install_desk"], desk.install_desk_command))
    add(CommandHandler(["lepas_meja", "uninstall_desk"], desk.uninstall_desk_command))
    add(CallbackQueryHandler(start.language_chosen, pattern=r"^lang:"))
    add(CallbackQueryHandler(start.route_message, pattern=r"^f:"))
    add(CallbackQueryHandler(myday.activity_button, pattern=r"^act:"))
    add(CallbackQueryHandler(reminders.reminder_button, pattern=r"^rem:"))
    add(CallbackQueryHandler(reminders.reminder_time_button, pattern=r"^remt:"))
    add(CallbackQueryHandler(complaints.complaint_button, pattern=r"^cmp:"))
    add(CallbackQueryHandler(desk.desk_button, pattern=r"^desk:"))
    add(CallbackQueryHandler(desk.uninstall_button, pattern=r"^deskrm:"))
    add(CallbackQueryHandler(approvals.approvals_button, pattern=r"^apv:"))
    add(CallbackQueryHandler(team.team_button, pattern=r"^tim:"))
    add(CallbackQueryHandler(survey.survey_button, pattern=r"^svy:"))
    add(
        MessageHandler(
            filters.COMMAND & private & filters.UpdateType.MESSAGE, start.unknown_command
        )
    )
    add(ChatMemberHandler(start.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    # A group became a supergroup: a complaint desk follows it to the new id.
    add(MessageHandler(filters.StatusUpdate.MIGRATE, desk.chat_migrated))
    add(MessageHandler(filters.UpdateType.EDITED, start.edited_message))
    add(
        MessageHandler(filters.Text(list(start.keyboard_labels())) & private, start.keyboard_button)
    )
    # Replies in groups: answers to complaint tickets and reasons the desk asked for. Before
    # the catch-all, which answers private chats only.
    add(
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.UpdateType.MESSAGE & ~filters.COMMAND,
            desk.group_reply,
        )
    )
    add(MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, start.route_message))
    add(CallbackQueryHandler(start.stale_button))
    application.add_error_handler(errors.on_error)  # type: ignore[arg-type]


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data["services"]
    services.bot_username = application.bot.username
    # Citizens (everyone by default) get the citizen menu; employees get theirs per chat.
    for language in LANGUAGES:
        commands = start.commands_for([], language)
        try:
            await application.bot.set_my_commands(
                commands,
                scope=BotCommandScopeDefault(),
                language_code=None if language == "id" else language,
            )
        except TelegramError as exc:
            log.warning("could not set the command menu: %s", exc)
    await application.bot_data["scheduler"].start()


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data["services"]
    await application.bot_data["scheduler"].stop()
    await services.db.dispose()
